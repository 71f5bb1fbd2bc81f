package e2etest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// sgRoles maps each security group's logical name to its label ("odoo",
// "edge", "database", …): its name prefix without "<project>-<env>-".
func sgRoles(s synth.Stack, cfg environments.ParityConfig) map[string]string {
	out := map[string]string{}
	prefix := account.Project + "-" + cfg.Identity.Name + "-"
	for logical, g := range s.Resources("aws_security_group") {
		out[logical] = strings.TrimSuffix(strings.TrimPrefix(g["name_prefix"].(string), prefix), "-")
	}
	return out
}

// reachable returns, for each destination group, the sorted "source:port"
// pairs allowed in by security-group references.
func reachable(s synth.Stack, cfg environments.ParityConfig) map[string][]string {
	roles := sgRoles(s, cfg)
	out := map[string][]string{}
	for _, r := range s.Resources("aws_vpc_security_group_ingress_rule") {
		dst := roles[logicalName(r["security_group_id"])]
		src := fmt.Sprint(r["cidr_ipv4"])
		if r["referenced_security_group_id"] != nil {
			src = roles[logicalName(r["referenced_security_group_id"])]
		}
		out[dst] = append(out[dst], fmt.Sprintf("%s:%d", src, num(r["from_port"])))
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// TestNetworkPolicy pins who may reach whom: the whole matrix, per
// environment, as the tier table says it. Every server-to-server rule
// references a security group.
func TestNetworkPolicy(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		got := reachable(s, cfg)
		// The matrix of the platform's own tiers, pinned by hand: a change
		// to who reaches whom among them is a change of this list.
		want := map[string][]string{
			"edge":          {"0.0.0.0/0:443", "0.0.0.0/0:80"},
			"odoo":          {"edge:8080"},
			"n8n-main":      {"edge:5678"},
			"database":      {"n8n-main:5432", "n8n-worker:5432", "odoo:5432"},
			"cache":         {"n8n-main:6379", "n8n-worker:6379"},
			"filestore":     {"odoo:2049"},
			"ai":            {"n8n-main:8000", "n8n-worker:8000", "odoo:8000"},
			"vpc-endpoints": {cfg.Identity.VPCCIDR + ":443"},
		}
		// A tier added to the table since reaches, and is reached, as its
		// row says, and by nothing else.
		pinned := []string{environments.TierOdoo, environments.TierN8nMain, environments.TierN8nWorker, environments.TierAI}
		dataPorts := map[string]int{environments.ReachDatabase: 5432, environments.ReachCache: 6379, environments.ReachFilestore: 2049}
		for _, tier := range cfg.Tiers {
			if slices.Contains(pinned, tier.Name) {
				continue
			}
			if r := tier.Route; r != nil {
				want[tier.Name] = append(want[tier.Name], fmt.Sprintf("edge:%d", r.Port))
			}
			reaches := slices.Clone(tier.Reaches)
			if tier.Database != "" && !slices.Contains(reaches, environments.ReachDatabase) {
				reaches = append(reaches, environments.ReachDatabase)
			}
			for _, dst := range reaches {
				port := dataPorts[dst]
				if other, ok := cfg.Tier(dst); ok {
					port = other.Port
				}
				want[dst] = append(want[dst], fmt.Sprintf("%s:%d", tier.Name, port))
			}
		}
		for dst := range want {
			slices.Sort(want[dst])
		}
		for dst, w := range want {
			if fmt.Sprint(got[dst]) != fmt.Sprint(w) {
				t.Errorf("ingress to %s = %v, want %v", dst, got[dst], w)
			}
		}
		for dst := range got {
			if _, ok := want[dst]; !ok {
				t.Errorf("unexpected ingress to %s: %v", dst, got[dst])
			}
		}
		// Every egress rule is either to a security group or HTTP(S) out
		// through NAT, or a port the tier table names for that tier.
		roles := sgRoles(s, cfg)
		for _, r := range s.Resources("aws_vpc_security_group_egress_rule") {
			if r["referenced_security_group_id"] != nil {
				continue
			}
			port := num(r["from_port"])
			src := roles[logicalName(r["security_group_id"])]
			tier, _ := cfg.Tier(src)
			if r["cidr_ipv4"] != "0.0.0.0/0" || !(port == 80 || port == 443 || slices.Contains(tier.EgressPorts, port)) || src == "edge" {
				t.Errorf("egress from %s to %v:%d", src, r["cidr_ipv4"], port)
			}
		}
	})
}

// TestNoWorldIngressButALB mirrors trivy AVD-AWS-0107 / checkov CKV_AWS_24/260
// on the separate rule resources trivy cannot see in Terraform JSON.
func TestNoWorldIngressButALB(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		roles := sgRoles(s, cfg)
		for name, r := range s.Resources("aws_vpc_security_group_ingress_rule") {
			if num(r["from_port"]) == 22 || num(r["to_port"]) == 22 {
				t.Errorf("%s opens SSH although no admin CIDR is configured", name)
			}
			if r["cidr_ipv4"] == "0.0.0.0/0" || r["cidr_ipv6"] == "::/0" {
				port := num(r["from_port"])
				if roles[logicalName(r["security_group_id"])] != "edge" || (port != 80 && port != 443) || num(r["to_port"]) != port {
					t.Errorf("%s is open to the world on %d", name, port)
				}
			}
		}
	})
}

// TestServers: every tier of the table runs its count of servers of its
// type, tagged for the inventory, locked down, spread over the zones.
func TestServers(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		sc := cfg.Scale
		counts := map[string]int{}
		subnets := map[string]map[string]bool{}
		for name, in := range s.Resources("aws_instance") {
			tags := in["tags"].(map[string]any)
			role := fmt.Sprint(tags["Role"])
			counts[role]++
			tier, ok := cfg.Tier(role)
			if !ok {
				t.Errorf("%s: Role %q is no tier", name, role)
				continue
			}
			if tags["Environment"] != cfg.Identity.Name || tags["AnsibleGroup"] != tier.AnsibleGroup {
				t.Errorf("%s: Environment tag %v, AnsibleGroup tag %v", name, tags["Environment"], tags["AnsibleGroup"])
			}
			if in["instance_type"] != cfg.ServerSettings(tier).InstanceType {
				t.Errorf("%s: role %q type %v", name, role, in["instance_type"])
			}
			md := in["metadata_options"].(map[string]any)
			if md["http_tokens"] != "required" || num(md["http_put_response_hop_limit"]) != 1 {
				t.Errorf("%s: IMDSv2 not enforced: %v", name, md)
			}
			root := in["root_block_device"].(map[string]any)
			if root["encrypted"] != true || root["volume_type"] != "gp3" || !ref(root["kms_key_id"], "aws_kms_key", "kms_data") || num(root["volume_size"]) != cfg.ServerSettings(tier).RootVolumeGB {
				t.Errorf("%s: root volume %v", name, root)
			}
			if in["monitoring"] != true || in["ebs_optimized"] != true || in["associate_public_ip_address"] != false {
				t.Errorf("%s: monitoring %v, ebs_optimized %v, public IP %v", name, in["monitoring"], in["ebs_optimized"], in["associate_public_ip_address"])
			}
			if in["disable_api_termination"] != sc.DeletionProtection {
				t.Errorf("%s: termination protection %v", name, in["disable_api_termination"])
			}
			if !ref(in["subnet_id"], "aws_subnet", "network_private-app-") {
				t.Errorf("%s is not in a private-app subnet: %v", name, in["subnet_id"])
			}
			if subnets[role] == nil {
				subnets[role] = map[string]bool{}
			}
			subnets[role][in["subnet_id"].(string)] = true
			if !ref(in["iam_instance_profile"], "aws_iam_instance_profile", "") || in["key_name"] != nil {
				t.Errorf("%s: profile %v, key pair %v", name, in["iam_instance_profile"], in["key_name"])
			}
			lc := in["lifecycle"].(map[string]any)
			if fmt.Sprint(lc["ignore_changes"]) != "[ami]" {
				t.Errorf("%s: a new AMI would replace it: %v", name, lc)
			}
			if pre := fmt.Sprint(lc["precondition"]); tier.GPU != strings.Contains(pre, "data.aws_ec2_instance_type_offerings.") {
				t.Errorf("%s: GPU %v, zone offering precondition %s", name, tier.GPU, pre)
			}
		}
		for _, tier := range cfg.Tiers {
			want := cfg.Count(tier)
			if counts[tier.Name] != want {
				t.Errorf("%d %s servers, want %d", counts[tier.Name], tier.Name, want)
			}
			// Servers of a tier are spread over as many zones as possible.
			if exp := min(want, sc.AZCount); len(subnets[tier.Name]) != exp {
				t.Errorf("%s servers use %d subnets, want %d", tier.Name, len(subnets[tier.Name]), exp)
			}
		}
		if len(counts) != len(cfg.Tiers) {
			t.Errorf("servers of %d roles for %d tiers", len(counts), len(cfg.Tiers))
		}
	})
}

// TestInstancePolicies: Session Manager, a permissions boundary, and each
// tier reads exactly the secrets the tier table grants it, and its buckets
// under its prefixes only.
func TestInstancePolicies(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		ssm := 0
		for _, a := range s.Resources("aws_iam_role_policy_attachment") {
			if strings.HasSuffix(fmt.Sprint(a["policy_arn"]), ":iam::aws:policy/AmazonSSMManagedInstanceCore") {
				ssm++
			}
		}
		if ssm != len(cfg.Tiers) {
			t.Errorf("%d roles with AmazonSSMManagedInstanceCore, want one per tier (%d)", ssm, len(cfg.Tiers))
		}
		for name, r := range s.Resources("aws_iam_role") {
			if !strings.HasSuffix(fmt.Sprint(r["permissions_boundary"]), ":policy/"+account.Project+"-"+cfg.Identity.Name+"-boundary") {
				t.Errorf("%s has no permissions boundary: %v", name, r["permissions_boundary"])
			}
		}
		for _, tier := range cfg.Tiers {
			own := append([]string(nil), tier.Secrets...)
			if tier.Database != "" {
				own = append(own, tier.Database+"/db-password")
			}
			if slices.Contains(tier.Reaches, environments.ReachCache) {
				own = append(own, "redis/auth-token")
			}
			p := named(t, s, "aws_iam_role_policy", tier.Name+"_policy")["policy"].(string)
			if refs := strings.Count(p, "${aws_secretsmanager_secret."); refs != len(own) {
				t.Errorf("%s reads %d secrets, want %d %v", tier.Name, refs, len(own), own)
			}
			for _, o := range own {
				if !strings.Contains(p, "aws_secretsmanager_secret.secrets_"+strings.ReplaceAll(o, "/", "-")+"_") {
					t.Errorf("%s cannot read its secret %s", tier.Name, o)
				}
			}
			checkBucketGrants(t, tier, p)
			if slices.Contains(tier.Reaches, environments.ReachFilestore) != strings.Contains(p, "elasticfilesystem:AccessPointArn") {
				t.Errorf("%s: filestore grant does not follow the table (through the access point): %s", tier.Name, p)
			}
			if strings.Contains(p, "ClientRootAccess") {
				t.Errorf("%s may act as root on the filestore", tier.Name)
			}
		}
	})
}

// bucketConstructs are the construct IDs of the environment buckets a tier
// may be granted (constructs/platform).
var bucketConstructs = map[string]string{"models": "model-bucket", "backups": "backup-bucket"}

// checkBucketGrants: a tier's policy grants, on each bucket, exactly what
// its row says: reads under its prefixes, writes only under the prefixes
// it writes, no delete, and a listing limited to those prefixes.
func checkBucketGrants(t *testing.T, tier environments.Tier, policy string) {
	t.Helper()
	var doc struct {
		Statement []struct {
			Effect    string
			Action    []string
			Resource  []string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("%s: policy: %v", tier.Name, err)
	}
	for bucket, construct := range bucketConstructs {
		arn := "${aws_s3_bucket." + construct + "_"
		want := map[string][]string{} // action -> object prefixes
		var listed []string
		for _, b := range tier.Buckets {
			if b.Bucket != bucket {
				continue
			}
			want["s3:GetObject"] = append(want["s3:GetObject"], b.Prefix)
			if b.Write {
				want["s3:PutObject"] = append(want["s3:PutObject"], b.Prefix)
			}
			listed = append(listed, b.Prefix+"*")
		}
		got := map[string][]string{}
		var gotListed []string
		for _, st := range doc.Statement {
			for _, r := range st.Resource {
				if !strings.HasPrefix(r, arn) {
					continue
				}
				_, object, isObject := strings.Cut(r, ".arn}/")
				for _, a := range st.Action {
					switch {
					case isObject:
						got[a] = append(got[a], strings.TrimSuffix(object, "*"))
					case a == "s3:ListBucket":
						gotListed = append(gotListed, st.Condition["StringLike"]["s3:prefix"]...)
					default:
						t.Errorf("%s: %s on the %s bucket itself", tier.Name, a, bucket)
					}
				}
			}
		}
		for _, a := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} {
			slices.Sort(want[a])
			slices.Sort(got[a])
			if !slices.Equal(got[a], want[a]) {
				t.Errorf("%s: %s on %s under %q, the tier table says %q", tier.Name, a, bucket, got[a], want[a])
			}
		}
		slices.Sort(listed)
		slices.Sort(gotListed)
		if !slices.Equal(gotListed, listed) && !(len(gotListed) == 0 && slices.Contains(listed, "*")) {
			t.Errorf("%s: lists %s under %q, the tier table says %q", tier.Name, bucket, gotListed, listed)
		}
	}
}

func TestEdge(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		alb := only(t, s, "aws_lb")
		if alb["internal"] != false || alb["drop_invalid_header_fields"] != true || alb["enable_deletion_protection"] != cfg.Scale.DeletionProtection || alb["load_balancer_type"] != "application" {
			t.Errorf("load balancer: %v", alb)
		}
		// Through the bucket policy, so the load balancer is created after
		// it (ELB test-writes the bucket when access logs are enabled).
		if logs := alb["access_logs"].(map[string]any); logs["enabled"] != true || !ref(logs["bucket"], "aws_s3_bucket_policy", "edge_logs") {
			t.Errorf("access logs: %v", logs)
		}
		for _, sn := range alb["subnets"].([]any) {
			if !ref(sn, "aws_subnet", "network_public-") {
				t.Errorf("load balancer subnet %v is not public", sn)
			}
		}
		// One target group, listener rule, alias record and certificate
		// name per routed tier; every server registered on its port.
		tgs := map[string]map[string]any{}
		for name, tg := range s.Resources("aws_lb_target_group") {
			tgs[strings.SplitN(name, "_", 3)[1]] = tg
			if tg["name"] != nil || tg["lifecycle"].(map[string]any)["create_before_destroy"] != true {
				t.Errorf("%s: a fixed name or no create_before_destroy blocks its replacement: %v", name, tg)
			}
		}
		rules := map[string]string{}
		for name, r := range s.Resources("aws_lb_listener_rule") {
			rules[strings.SplitN(name, "_", 3)[1]] = fmt.Sprintf("%v -> %v priority %v", r["condition"], logicalName(r["action"].([]any)[0].(map[string]any)["target_group_arn"]), r["priority"])
		}
		cert := only(t, s, "aws_acm_certificate")
		certNames := append([]any{cert["domain_name"]}, cert["subject_alternative_names"].([]any)...)
		attachments := s.Resources("aws_lb_target_group_attachment")
		routed := 0
		for _, tier := range cfg.Tiers {
			r := tier.Route
			if r == nil {
				continue
			}
			routed++
			host := cfg.Hostname(*r)
			tg := tgs[tier.Name+"-tg"]
			if tg == nil {
				t.Fatalf("no target group for %s", tier.Name)
			}
			hc := tg["health_check"].(map[string]any)
			if num(tg["port"]) != r.Port || hc["path"] != r.HealthPath || (tg["stickiness"] != nil) != r.Sticky {
				t.Errorf("%s: port %v health %v stickiness %v", tier.Name, tg["port"], hc["path"], tg["stickiness"])
			}
			for _, part := range []string{host, "edge_" + tier.Name + "-tg_", fmt.Sprintf("priority %d", r.Priority)} {
				if !strings.Contains(rules[tier.Name+"-rule"], part) {
					t.Errorf("rule of %s = %q, want it to contain %q", tier.Name, rules[tier.Name+"-rule"], part)
				}
			}
			if !slices.Contains(certNames, any(host)) {
				t.Errorf("certificate %v does not cover %s", certNames, host)
			}
			for n := 1; n <= cfg.Count(tier); n++ {
				a := withPrefix(s, "aws_lb_target_group_attachment", fmt.Sprintf("edge_%s-server-%d_", tier.Name, n))
				if len(a) != 1 {
					t.Errorf("%s server %d is not registered (by route and server)", tier.Name, n)
				}
			}
		}
		if len(tgs) != routed || len(rules) != routed || len(certNames) != routed {
			t.Errorf("%d target groups, %d rules, %d certificate names for %d routed tiers", len(tgs), len(rules), len(certNames), routed)
		}
		want := 0
		for _, tier := range cfg.Tiers {
			if tier.Route != nil {
				want += cfg.Count(tier)
			}
		}
		if len(attachments) != want {
			t.Errorf("%d target registrations, want %d", len(attachments), want)
		}
		hosts := map[string]bool{}
		for _, tier := range cfg.Tiers {
			if tier.Route != nil {
				hosts[cfg.Hostname(*tier.Route)] = true
			}
		}
		aliases := map[string]bool{}
		for _, r := range s.Resources("aws_route53_record") {
			if r["alias"] != nil {
				aliases[r["name"].(string)] = ref(r["alias"].(map[string]any)["name"], "aws_lb", "edge_alb")
			}
		}
		for h := range hosts {
			if !aliases[h] {
				t.Errorf("no alias record for %s: %v", h, aliases)
			}
		}
		acls := s.Resources("aws_wafv2_web_acl")
		if cfg.Edge.WAF {
			acl := only(t, s, "aws_wafv2_web_acl")
			for _, group := range []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} {
				if !strings.Contains(acl["rule_json"].(string), group) {
					t.Errorf("WAF lacks %s", group)
				}
			}
			// The WAFV2 API model's pattern for a description (tflint-ruleset-aws
			// aws_wafv2_web_acl_invalid_description): no parentheses, so a
			// description AWS would refuse at apply fails here first.
			if d, _ := acl["description"].(string); !wafDescription.MatchString(d) {
				t.Errorf("WAF description %q does not match the API pattern %s", d, wafDescription)
			}
			if len(s.Resources("aws_wafv2_web_acl_association")) != 1 {
				t.Error("WAF not associated with the load balancer")
			}
		} else if len(acls) != 0 {
			t.Error("WAF configured off but present")
		}
	})
}

// wafDescription is the WAFV2 API's pattern for EntityDescription.
var wafDescription = regexp.MustCompile(`^[\w+=:#@/\-,\.][\w+=:#@/\-,\.\s]+[\w+=:#@/\-,\.]$`)

// TestAIServers: the GPU tier's servers have a GPU large enough, and each
// a model volume in its subnet's zone, never in its instance's: replacing
// a server (a new AMI) must not replace its data.
func TestAIServers(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		tier, _ := cfg.Tier(environments.TierAI)
		typ := cfg.ServerSettings(tier).InstanceType
		g, ok := environments.GPUFor(typ)
		if !tier.GPU || !ok || g.VRAMGB < environments.MinVRAMGB || g.Unsupported != "" {
			t.Fatalf("%s: GPU %v", typ, g)
		}
		n := cfg.Count(tier)
		vols := s.Resources("aws_ebs_volume")
		if len(vols) != n || len(s.Resources("aws_volume_attachment")) != n {
			t.Fatalf("%d model volumes for %d GPU servers", len(vols), n)
		}
		for name, v := range vols {
			if num(v["size"]) != cfg.Scale.ModelVolumeGB || v["encrypted"] != true || v["type"] != "gp3" || !ref(v["kms_key_id"], "aws_kms_key", "kms_data") {
				t.Errorf("%s: %v", name, v)
			}
			if !ref(v["availability_zone"], "aws_subnet", "network_private-app-") {
				t.Errorf("%s takes its zone from %v, not from its server's subnet", name, v["availability_zone"])
			}
		}
	})
}

// TestProductionAppTier: production's servers, load balancer and WAF.
func TestProductionAppTier(t *testing.T) {
	s := envStack(t, "production")
	if g, _ := environments.GPUFor(aiTier(envs[0]).Instance.InstanceType); g.VRAMGB < 24 {
		t.Errorf("production GPU has %d GB", g.VRAMGB)
	}
	if len(s.Resources("aws_iam_instance_profile")) != len(envs[0].Tiers) || len(s.Resources("aws_wafv2_web_acl")) != 1 {
		t.Error("production needs an instance profile per tier and a WAF")
	}
}

// TestOutputsContract: the outputs Ansible and the scripts read exist in
// every environment stack (README "Outputs").
func TestOutputsContract(t *testing.T) {
	contract := []string{
		"urls", "alb_dns_name", "instance_ids", "ansible_groups", "service_urls", "db_endpoint", "db_replica_endpoints",
		"db_master_secret_arn", "app_databases", "redis_endpoint", "efs_id", "efs_access_point_id", "model_bucket", "backup_bucket", "secret_arns",
		"ai_model_volume_ids", "vpc_id", "app_subnet_ids", "kms_key_arns",
		"ansible_transfer_bucket", "alarm_topic_arn", "dashboard_name", "log_groups", "cloudwatch_agent_parameters",
		"backup_vault", "backup_copy_vault_arn", "backup_role_arn", "budget_name", "patch_window", "offhours_schedules",
		"quantizer_instance_ids", "lora_publisher_role_arn",
	}
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		outputs := s["output"].(map[string]any)
		for _, k := range contract {
			if _, ok := outputs[k]; !ok {
				t.Errorf("output %s missing", k)
			}
		}
		value := func(k string) map[string]any { return outputs[k].(map[string]any)["value"].(map[string]any) }
		for _, tier := range cfg.Tiers {
			if _, ok := value("instance_ids")[tier.Name]; !ok {
				t.Errorf("instance_ids lacks %s", tier.Name)
			}
			if value("ansible_groups")[tier.Name] != tier.AnsibleGroup {
				t.Errorf("ansible_groups[%s] = %v", tier.Name, value("ansible_groups")[tier.Name])
			}
			if _, ok := value("urls")[tier.Name]; ok != (tier.Route != nil) {
				t.Errorf("urls[%s] present = %v", tier.Name, ok)
			}
			if _, ok := value("service_urls")[tier.Name]; ok != (tier.Port != 0) {
				t.Errorf("service_urls[%s] present = %v", tier.Name, ok)
			}
			if _, ok := value("log_groups")[tier.Name]; !ok {
				t.Errorf("log_groups lacks %s", tier.Name)
			}
			if _, ok := value("cloudwatch_agent_parameters")[tier.Name]; !ok {
				t.Errorf("cloudwatch_agent_parameters lacks %s", tier.Name)
			}
		}
		dbs := fmt.Sprint(outputs["app_databases"].(map[string]any)["value"])
		for _, tier := range cfg.Tiers {
			if tier.Database != "" && !strings.Contains(dbs, "name:"+tier.Database+" owner:"+tier.Database+" password_secret:"+tier.Database+"_db_password") {
				t.Errorf("app_databases lacks %s: %s", tier.Database, dbs)
			}
		}
	})
}

func TestSharedStack(t *testing.T) {
	s := stacks["shared-stack"]
	if s == nil {
		t.Fatal("no shared-stack")
	}
	be := s["terraform"].(map[string]any)["backend"].(map[string]any)["s3"].(map[string]any)
	if be["key"] != "shared/terraform.tfstate" || be["use_lockfile"] != true {
		t.Errorf("backend: %v", be)
	}
	repos := s.Resources("aws_ecr_repository")
	if len(repos) != len(environments.Images) {
		t.Fatalf("%d repositories", len(repos))
	}
	for name, r := range repos {
		enc := fmt.Sprint(r["encryption_configuration"])
		if r["image_tag_mutability"] != "IMMUTABLE" || !strings.Contains(fmt.Sprint(r["image_scanning_configuration"]), "scan_on_push:true") || !strings.Contains(enc, "KMS") {
			t.Errorf("%s: %v", name, r)
		}
	}
	if len(s.Resources("aws_ecr_lifecycle_policy")) != len(environments.Images) {
		t.Error("every repository needs a lifecycle policy")
	}
	if oidc := only(t, s, "aws_iam_openid_connect_provider"); oidc["url"] != "https://token.actions.githubusercontent.com" {
		t.Errorf("OIDC provider: %v", oidc)
	}
	for _, e := range envs {
		role := named(t, s, "aws_iam_role", "github_deploy-"+e.Identity.Name)
		trust := role["assume_role_policy"].(string)
		if !strings.Contains(trust, "repo:"+account.Repository+":environment:"+e.Identity.Name) || strings.Contains(trust, "*") {
			t.Errorf("deploy-%s trust: %s", e.Identity.Name, trust)
		}
		p := named(t, s, "aws_iam_role_policy", "github_deploy-"+e.Identity.Name+"-policy")["policy"].(string)
		if !strings.Contains(p, account.StateBucket+"/"+e.Identity.StateKey+`"`) || strings.Count(p, "terraform.tfstate") != 4 {
			t.Errorf("deploy-%s must reach only its own state: %s", e.Identity.Name, p)
		}
		if !strings.Contains(p, `"aws:RequestedRegion":["`+e.Region+`"]`) {
			t.Errorf("deploy-%s is not limited to its region", e.Identity.Name)
		}
	}
}
