package controls

import "testing"

// worldIngress is a rule opening a group to the internet.
func worldIngress(group string, from, to int) m {
	return m{"cidr_ipv4": "0.0.0.0/0", "from_port": from, "ip_protocol": "tcp", "security_group_id": "${aws_security_group." + group + ".id}", "to_port": to}
}

var networkFixtures = map[string][]fixture{
	"IG-NO-PUBLIC-IP": {
		{name: "an instance with a public IP", parts: parts(key, server, network),
			edits: []edit{set("aws_instance.server.associate_public_ip_address", true)},
			want:  `aws_instance.server: may get a public IP`},
		{name: "an instance that leaves it to the subnet", parts: parts(key, server, network),
			edits: []edit{unset("aws_instance.server.associate_public_ip_address")},
			want:  `aws_instance.server: may get a public IP`},
		{name: "a subnet mapping public IPs", parts: parts(key, server, network),
			edits: []edit{set("aws_subnet.app.map_public_ip_on_launch", true)},
			want:  `aws_subnet.app: maps public IPs on launch`},
		{name: "passes: a subnet leaving map_public_ip_on_launch at its default (false)", parts: parts(key, server, network),
			edits: []edit{unset("aws_subnet.app.map_public_ip_on_launch")}},
	},
	"IG-NO-PUBLIC-DB": {
		{name: "a publicly accessible database", parts: parts(key, database, backups),
			edits: []edit{set("aws_db_instance.db.publicly_accessible", true)},
			want:  `aws_db_instance.db: publicly accessible`},
		{name: "publicly_accessible not written", parts: parts(key, database, backups),
			edits: []edit{unset("aws_db_instance.db.publicly_accessible")},
			want:  `aws_db_instance.db: publicly accessible`},
	},
	"IG-INGRESS": {
		{name: "inline ingress", parts: parts(key, network, edge),
			edits: []edit{set("aws_security_group.app.ingress", l{m{"cidr_blocks": l{"10.30.0.0/16"}, "from_port": 8069, "protocol": "tcp", "to_port": 8069}})},
			want:  `aws_security_group.app: inline rules`},
		{name: "inline egress", parts: parts(key, network, edge),
			edits: []edit{set("aws_security_group.app.egress", l{m{"cidr_blocks": l{"0.0.0.0/0"}, "from_port": 443, "protocol": "tcp", "to_port": 443}})},
			want:  `aws_security_group.app: inline rules`},
		{name: "a legacy security group rule", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_security_group_rule": m{"db": m{"type": "ingress", "from_port": 5432, "to_port": 5432, "protocol": "tcp",
				"security_group_id": "${aws_security_group.app.id}", "cidr_blocks": l{"10.30.0.0/16"}}}})},
			want: `aws_security_group_rule.db: legacy aws_security_group_rule`},
		{name: "SSH from the world on the load balancer's group", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_vpc_security_group_ingress_rule": m{"ssh": worldIngress("edge", 22, 22)}})},
			want:  `aws_vpc_security_group_ingress_rule.ssh: open to the world on 22-22`},
		{name: "8080 from the world on the load balancer's group", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_vpc_security_group_ingress_rule": m{"alt-http": worldIngress("edge", 8080, 8080)}})},
			want:  `aws_vpc_security_group_ingress_rule.alt-http: open to the world on 8080-8080`},
		{name: "HTTPS from the world on a server's group", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_vpc_security_group_ingress_rule": m{"app-https": worldIngress("app", 443, 443)}})},
			want:  `aws_vpc_security_group_ingress_rule.app-https: open to the world on 443-443`},
		{name: "a port range from 80 to 443 on the load balancer's group", parts: parts(key, network, edge),
			edits: []edit{set("aws_vpc_security_group_ingress_rule.https.from_port", 80)},
			want:  `aws_vpc_security_group_ingress_rule.https: open to the world on 80-443`},
		{name: "the world on IPv6, port 22", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_vpc_security_group_ingress_rule": m{"ssh6": m{"cidr_ipv6": "::/0", "from_port": 22, "ip_protocol": "tcp",
				"security_group_id": "${aws_security_group.edge.id}", "to_port": 22}}})},
			want: `aws_vpc_security_group_ingress_rule.ssh6: open to the world on 22-22`},
		{name: "the world on every protocol", parts: parts(key, network, edge),
			edits: []edit{set("aws_vpc_security_group_ingress_rule.https.ip_protocol", "-1")},
			want:  `aws_vpc_security_group_ingress_rule.https: open to the world on every protocol`},
		{name: "80/443 from the world on an internal load balancer's group", parts: parts(key, network, edge),
			edits: []edit{set("aws_lb.alb.internal", true)},
			want:  `aws_vpc_security_group_ingress_rule.https: open to the world on 443-443`},
		{name: "passes: an internet-facing network load balancer without security groups", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_lb": m{"nlb": m{"enable_deletion_protection": true, "internal": false, "load_balancer_type": "network",
				"name": "influencegen-fixture-nlb", "subnets": l{"${aws_subnet.public-1.id}"}}}})}},
		{name: "passes: the VPC on a database port", parts: parts(key, network, edge),
			edits: []edit{add(part{"aws_vpc_security_group_ingress_rule": m{"db": m{"cidr_ipv4": "10.30.0.0/16", "from_port": 5432, "ip_protocol": "tcp",
				"security_group_id": "${aws_security_group.app.id}", "to_port": 5432}}})}},
	},
}

func TestNetworkControls(t *testing.T) { runFixtures(t, networkFixtures) }
