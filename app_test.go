package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// sgRoles maps each security group's logical name to its short name
// ("odoo", "alb", "postgres", …): its Name without "<project>-<env>-".
func sgRoles(s synth.Stack, cfg environments.ParityConfig) map[string]string {
	out := map[string]string{}
	prefix := account.Project + "-" + cfg.Identity.Name + "-"
	for logical, g := range s.Resources("aws_security_group") {
		out[logical] = strings.TrimPrefix(g["name"].(string), prefix)
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
// environment. Every server-to-server rule references a security group.
func TestNetworkPolicy(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		got := reachable(s, cfg)
		want := map[string][]string{
			"alb":            {"0.0.0.0/0:443", "0.0.0.0/0:80"},
			"odoo":           {"alb:8069", "alb:8072"},
			"n8n-main":       {"alb:5678"},
			"postgres":       {"n8n-main:5432", "n8n-worker:5432", "odoo:5432"},
			"redis":          {"n8n-main:6379", "n8n-worker:6379"},
			"odoo-filestore": {"odoo:2049"},
			"ai":             {"n8n-main:8000", "n8n-worker:8000", "odoo:8000"},
			"vpc-endpoints":  {cfg.Identity.VPCCIDR + ":443"},
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
		// Every egress rule is either to a security group or HTTP(S)/SMTP
		// out through NAT.
		roles := sgRoles(s, cfg)
		for _, r := range s.Resources("aws_vpc_security_group_egress_rule") {
			if r["referenced_security_group_id"] != nil {
				continue
			}
			port := num(r["from_port"])
			src := roles[logicalName(r["security_group_id"])]
			if r["cidr_ipv4"] != "0.0.0.0/0" || !(port == 80 || port == 443 || port == 587 && src == "odoo") || src == "alb" {
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
				if roles[logicalName(r["security_group_id"])] != "alb" || (port != 80 && port != 443) || num(r["to_port"]) != port {
					t.Errorf("%s is open to the world on %d", name, port)
				}
			}
		}
	})
}

func TestServers(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		sc := cfg.Scale
		want := map[string]struct {
			count int
			typ   string
		}{
			"odoo":       {sc.OdooInstances, cfg.Odoo.InstanceType},
			"n8n-main":   {1, cfg.N8n.MainInstanceType},
			"n8n-worker": {sc.N8nWorkers, cfg.N8n.WorkerInstanceType},
			"ai":         {sc.AIServers, cfg.AI.InstanceType},
		}
		counts := map[string]int{}
		subnets := map[string]map[string]bool{}
		for name, in := range s.Resources("aws_instance") {
			tags := in["tags"].(map[string]any)
			role := fmt.Sprint(tags["Role"])
			counts[role]++
			if tags["Environment"] != cfg.Identity.Name {
				t.Errorf("%s: Environment tag %v", name, tags["Environment"])
			}
			if w, ok := want[role]; !ok || in["instance_type"] != w.typ {
				t.Errorf("%s: role %q type %v", name, role, in["instance_type"])
			}
			md := in["metadata_options"].(map[string]any)
			if md["http_tokens"] != "required" || num(md["http_put_response_hop_limit"]) != 1 {
				t.Errorf("%s: IMDSv2 not enforced: %v", name, md)
			}
			root := in["root_block_device"].(map[string]any)
			if root["encrypted"] != true || root["volume_type"] != "gp3" || !ref(root["kms_key_id"], "aws_kms_key", "kms_data") {
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
			if fmt.Sprint(in["lifecycle"]) != "map[ignore_changes:[ami]]" {
				t.Errorf("%s: a new AMI would replace it: %v", name, in["lifecycle"])
			}
		}
		for role, w := range want {
			if counts[role] != w.count {
				t.Errorf("%d %s servers, want %d", counts[role], role, w.count)
			}
			// Servers of a role are spread over as many AZs as possible.
			if exp := min(w.count, sc.AZCount); len(subnets[role]) != exp {
				t.Errorf("%s servers use %d subnets, want %d", role, len(subnets[role]), exp)
			}
		}
	})
}

// TestInstancePolicies: Session Manager, no wildcard-on-wildcard, and each
// role reads only its own secrets.
func TestInstancePolicies(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		ssm := 0
		for _, a := range s.Resources("aws_iam_role_policy_attachment") {
			if strings.HasSuffix(fmt.Sprint(a["policy_arn"]), ":iam::aws:policy/AmazonSSMManagedInstanceCore") {
				ssm++
			}
		}
		if ssm != 4 {
			t.Errorf("%d roles with AmazonSSMManagedInstanceCore, want 4 (odoo, n8n main, n8n workers, ai)", ssm)
		}
		secrets := map[string][]string{
			"odoo_servers": {"odoo-admin-passwd", "odoo-db-password"},
			"n8n_main":     {"n8n-db-password", "n8n-encryption-key", "redis-auth-token", "n8n-runners-auth-token"},
			"n8n_workers":  {"n8n-db-password", "n8n-encryption-key", "redis-auth-token", "n8n-runners-auth-token"},
			"ai_servers":   nil,
		}
		for prefix, own := range secrets {
			p := named(t, s, "aws_iam_role_policy", prefix+"_policy")["policy"].(string)
			refs := strings.Count(p, "${aws_secretsmanager_secret.")
			if refs != len(own) {
				t.Errorf("%s reads %d secrets, want %d", prefix, refs, len(own))
			}
			for _, o := range own {
				if !strings.Contains(p, "aws_secretsmanager_secret.secrets_"+o+"_") {
					t.Errorf("%s cannot read its secret %s", prefix, o)
				}
			}
		}
		ai := named(t, s, "aws_iam_role_policy", "ai_servers_policy")["policy"].(string)
		if !strings.Contains(ai, `"s3:GetObject","s3:ListBucket"`) || !strings.Contains(ai, "aws_s3_bucket.model-bucket_") {
			t.Errorf("AI servers cannot read the model bucket: %s", ai)
		}
	})
}

func TestEdge(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		alb := only(t, s, "aws_lb")
		if alb["internal"] != false || alb["drop_invalid_header_fields"] != true || alb["enable_deletion_protection"] != cfg.Scale.DeletionProtection || alb["load_balancer_type"] != "application" {
			t.Errorf("load balancer: %v", alb)
		}
		if logs := alb["access_logs"].(map[string]any); logs["enabled"] != true || !ref(logs["bucket"], "aws_s3_bucket", "edge_logs") {
			t.Errorf("access logs: %v", logs)
		}
		for _, sn := range alb["subnets"].([]any) {
			if !ref(sn, "aws_subnet", "network_public-") {
				t.Errorf("load balancer subnet %v is not public", sn)
			}
		}
		tgs := map[string]map[string]any{}
		for name, tg := range s.Resources("aws_lb_target_group") {
			tgs[strings.SplitN(name, "_", 3)[1]] = tg
		}
		for id, w := range map[string]struct {
			port   int
			health string
			sticky bool
		}{"odoo-tg": {8069, "/web/health", true}, "odoo-ws-tg": {8072, "/web/health", true}, "n8n-tg": {5678, "/healthz", false}} {
			tg := tgs[id]
			if tg == nil {
				t.Fatalf("no target group %s", id)
			}
			hc := tg["health_check"].(map[string]any)
			if num(tg["port"]) != w.port || hc["path"] != w.health || (tg["stickiness"] != nil) != w.sticky {
				t.Errorf("%s: port %v health %v stickiness %v", id, tg["port"], hc["path"], tg["stickiness"])
			}
		}
		listeners := map[int]map[string]any{}
		for _, l := range s.Resources("aws_lb_listener") {
			listeners[num(l["port"])] = l
		}
		redirect := fmt.Sprint(listeners[80]["default_action"])
		if !strings.Contains(redirect, "protocol:HTTPS") || !strings.Contains(redirect, "HTTP_301") {
			t.Errorf("HTTP does not redirect to HTTPS: %s", redirect)
		}
		https := listeners[443]
		if https["protocol"] != "HTTPS" || https["ssl_policy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" || https["certificate_arn"] == nil {
			t.Errorf("HTTPS listener: %v", https)
		}
		rules := map[string]string{}
		for name, r := range s.Resources("aws_lb_listener_rule") {
			rules[strings.SplitN(name, "_", 3)[1]] = fmt.Sprintf("%v -> %v", r["condition"], logicalName(r["action"].([]any)[0].(map[string]any)["target_group_arn"]))
		}
		hosts := cfg.Identity.Hostnames
		for id, w := range map[string][]string{
			"odoo-websocket-rule": {hosts.Odoo, "/websocket*", "edge_odoo-ws-tg_"},
			"odoo-rule":           {hosts.Odoo, "edge_odoo-tg_"},
			"n8n-rule":            {hosts.N8n, "edge_n8n-tg_"},
		} {
			for _, part := range w {
				if !strings.Contains(rules[id], part) {
					t.Errorf("rule %s = %q, want it to contain %q", id, rules[id], part)
				}
			}
		}
		if n := len(s.Resources("aws_lb_target_group_attachment")); n != 2*cfg.Scale.OdooInstances+1 {
			t.Errorf("%d target registrations, want every Odoo server in both Odoo groups plus the n8n main", n)
		}
		aliases := map[string]bool{}
		for _, r := range s.Resources("aws_route53_record") {
			if r["alias"] != nil {
				aliases[r["name"].(string)] = ref(r["alias"].(map[string]any)["name"], "aws_lb", "edge_alb")
			}
		}
		if !aliases[hosts.Odoo] || !aliases[hosts.N8n] {
			t.Errorf("alias records: %v", aliases)
		}
		acls := s.Resources("aws_wafv2_web_acl")
		if cfg.Edge.WAF {
			acl := only(t, s, "aws_wafv2_web_acl")
			for _, group := range []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} {
				if !strings.Contains(acl["rule_json"].(string), group) {
					t.Errorf("WAF lacks %s", group)
				}
			}
			if len(s.Resources("aws_wafv2_web_acl_association")) != 1 {
				t.Error("WAF not associated with the load balancer")
			}
		} else if len(acls) != 0 {
			t.Error("WAF configured off but present")
		}
	})
}

func TestAIServers(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		g, ok := environments.GPUFor(cfg.AI.InstanceType)
		if !ok || g.VRAMGB < environments.MinVRAMGB {
			t.Fatalf("%s: GPU %v", cfg.AI.InstanceType, g)
		}
		if cfg.Kind != environments.Sandbox && g.VRAMGB < environments.PreferredVRAMGB {
			t.Errorf("%s runs a %d GB GPU", cfg.Identity.Name, g.VRAMGB)
		}
		vols := s.Resources("aws_ebs_volume")
		if len(vols) != cfg.Scale.AIServers || len(s.Resources("aws_volume_attachment")) != cfg.Scale.AIServers {
			t.Fatalf("%d model volumes for %d GPU servers", len(vols), cfg.Scale.AIServers)
		}
		for name, v := range vols {
			if num(v["size"]) != cfg.Scale.ModelVolumeGB || v["encrypted"] != true || v["type"] != "gp3" || !ref(v["kms_key_id"], "aws_kms_key", "kms_data") {
				t.Errorf("%s: %v", name, v)
			}
			if !ref(v["availability_zone"], "aws_instance", "ai_servers_server-") {
				t.Errorf("%s is not in its server's AZ: %v", name, v["availability_zone"])
			}
		}
	})
}

// TestProductionAppTier is issue 4's acceptance on the production stack.
func TestProductionAppTier(t *testing.T) {
	s := envStack(t, "production")
	if g, _ := environments.GPUFor(envs[0].AI.InstanceType); g.VRAMGB < 24 {
		t.Errorf("production GPU has %d GB", g.VRAMGB)
	}
	ports := map[int]bool{}
	for _, tg := range s.Resources("aws_lb_target_group") {
		ports[num(tg["port"])] = true
	}
	for _, p := range []int{8069, 8072, 5678} {
		if !ports[p] {
			t.Errorf("no target group on %d", p)
		}
	}
	if len(s.Resources("aws_iam_instance_profile")) != 4 || len(s.Resources("aws_wafv2_web_acl")) != 1 {
		t.Error("production needs 4 instance profiles and a WAF")
	}
}

// TestOutputsContract: the outputs Ansible and the scripts read exist in
// every environment stack (README "Outputs").
func TestOutputsContract(t *testing.T) {
	contract := []string{
		"odoo_url", "n8n_url", "alb_dns_name", "instance_ids", "db_endpoint", "db_replica_endpoints",
		"db_master_secret_arn", "redis_endpoint", "efs_id", "model_bucket", "backup_bucket", "secret_arns",
		"ai_private_ips", "ai_model_volume_ids", "vpc_id", "app_subnet_ids", "kms_key_arns",
		"ansible_transfer_bucket", "alarm_topic_arn", "dashboard_name", "log_groups", "cloudwatch_agent_parameters",
	}
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		outputs := s["output"].(map[string]any)
		for _, k := range contract {
			if _, ok := outputs[k]; !ok {
				t.Errorf("output %s missing", k)
			}
		}
		ids := fmt.Sprint(outputs["instance_ids"].(map[string]any)["value"])
		for _, role := range []string{"odoo", "n8n_main", "n8n_worker", "ai"} {
			if !strings.Contains(ids, role+":[") {
				t.Errorf("instance_ids lacks %s: %s", role, ids)
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
	if len(repos) != 2 {
		t.Fatalf("%d repositories", len(repos))
	}
	for name, r := range repos {
		enc := fmt.Sprint(r["encryption_configuration"])
		if r["image_tag_mutability"] != "IMMUTABLE" || !strings.Contains(fmt.Sprint(r["image_scanning_configuration"]), "scan_on_push:true") || !strings.Contains(enc, "KMS") {
			t.Errorf("%s: %v", name, r)
		}
	}
	if len(s.Resources("aws_ecr_lifecycle_policy")) != 2 {
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
