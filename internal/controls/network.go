package controls

// Network exposure: no public IPs, no public database, and world-open
// ingress only on the internet-facing load balancer's 80 and 443.

import (
	"github.com/influencegen/infrastructure/internal/stack"
)

func noPublicIPs(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_instance") {
		if r.attrs["associate_public_ip_address"] != false {
			out = append(out, finding(r, "may get a public IP (associate_public_ip_address is not false)"))
		}
	}
	for _, r := range each(s, "aws_subnet") {
		if r.attrs["map_public_ip_on_launch"] == true {
			out = append(out, finding(r, "maps public IPs on launch"))
		}
	}
	return out
}

func noPublicDB(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_db_instance") {
		if r.attrs["publicly_accessible"] != false {
			out = append(out, finding(r, "publicly accessible"))
		}
	}
	return out
}

// ingress allows world-open ingress only to security groups attached to an
// internet-facing load balancer, and only on 80 and 443.
func ingress(s stack.Stack, _ bool) []string {
	var out []string
	albGroups := map[string]bool{}
	for _, lb := range each(s, "aws_lb") {
		if lb.attrs["internal"] == false {
			// A network load balancer may have no security groups at all.
			groups, _ := lb.attrs["security_groups"].([]any)
			for _, g := range groups {
				albGroups[stack.ReferencedName(g)] = true
			}
		}
	}
	for _, r := range each(s, "aws_security_group") {
		if r.attrs["ingress"] != nil || r.attrs["egress"] != nil {
			out = append(out, finding(r, "inline rules (scanners miss them in JSON): use aws_vpc_security_group_*_rule"))
		}
	}
	for _, r := range each(s, "aws_security_group_rule") {
		out = append(out, finding(r, "legacy aws_security_group_rule: use aws_vpc_security_group_ingress_rule/egress_rule"))
	}
	for _, r := range each(s, "aws_vpc_security_group_ingress_rule") {
		world := r.attrs["cidr_ipv4"] == "0.0.0.0/0" || r.attrs["cidr_ipv6"] == "::/0"
		if !world {
			continue
		}
		from, _ := r.attrs["from_port"].(float64)
		to, _ := r.attrs["to_port"].(float64)
		if !albGroups[stack.ReferencedName(r.attrs["security_group_id"])] || from != to || (from != 80 && from != 443) {
			out = append(out, finding(r, "open to the world on %v-%v", from, to))
		}
		if r.attrs["ip_protocol"] == "-1" {
			out = append(out, finding(r, "open to the world on every protocol"))
		}
	}
	return out
}
