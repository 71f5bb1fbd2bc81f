package e2etest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/parity"
)

// TestParity is the parity proof: staging's synthesized JSON equals
// production rebuilt with staging's Scale, identity aside, so every
// difference between staging and production comes from Scale.
func TestParity(t *testing.T) {
	staging, prod := envStack(t, "staging"), envStack(t, "production")
	r := parity.Check(envs[1], envs[0], probe, staging, prod, stacks[probe.StackName()])
	var out bytes.Buffer
	r.Write(&out)
	if !r.OK() {
		t.Fatalf("staging differs from production outside Scale:\n%s", out.String())
	}
	// The proof is not vacuous: staging does run at a smaller scale.
	if len(r.Differences) == 0 {
		t.Fatal("staging and production are identical: Scale had no effect")
	}
	if !strings.Contains(out.String(), "[scale] resource.aws_nat_gateway.") {
		t.Errorf("expected the NAT gateway count among the scale differences:\n%s", out.String())
	}
}

// TestParityProofCatchesDrift: a staging whose non-scale field was changed
// behind the API's back (here the flow-log traffic type) fails the proof,
// and the report names the resource attribute.
func TestParityProofCatchesDrift(t *testing.T) {
	r := parity.Check(drift, envs[0], probe, stacks[drift.StackName()], envStack(t, "production"), stacks[probe.StackName()])
	if r.OK() {
		t.Fatal("the parity proof accepted a drifted staging")
	}
	var out bytes.Buffer
	r.Write(&out)
	if !strings.Contains(out.String(), "[NOT SCALE] resource.aws_flow_log.") || !strings.Contains(out.String(), "traffic_type") {
		t.Fatalf("report does not name the drifted attribute:\n%s", out.String())
	}
}

// TestParityProofCatchesScaleDrivenWhats plants, in copies of the
// synthesized staging stack, the kind of change a construct makes when it
// derives a *what* from a Scale value: the probe (production rebuilt with
// staging's Scale) would change the same way, so the first half of the
// proof cannot see it. Each plant is applied to staging and to the probe
// alike; the first half stays green and the second half must name the
// resource and attribute.
func TestParityProofCatchesScaleDrivenWhats(t *testing.T) {
	plants := []struct {
		name     string
		plant    func(s map[string]any)
		resource string // substring of the reported address
		attr     string // substring of the reported attribute
	}{
		{"smaller Odoo instance type", func(s map[string]any) {
			setAll(s, "aws_instance", "odoo_server-", "instance_type", "m6i.large")
		}, "aws_instance.odoo_server-1", "instance_type"},
		{"older PostgreSQL", func(s map[string]any) {
			setAll(s, "aws_db_instance", "database_primary", "engine_version", "15")
		}, "aws_db_instance.database_primary", "engine_version"},
		{"weaker TLS policy", func(s map[string]any) {
			setAll(s, "aws_lb_listener", "edge_https", "ssl_policy", "ELBSecurityPolicy-2016-08")
		}, "aws_lb_listener.edge_https", "ssl_policy"},
		{"another AMI", func(s map[string]any) {
			ami := s["data"].(map[string]any)["aws_ami"].(map[string]any)
			for _, a := range ami {
				a.(map[string]any)["owners"] = []any{"137112412989"}
			}
		}, "data.aws_ami.ami", "owners"},
		{"a rule production does not have", func(s map[string]any) {
			rules := s["resource"].(map[string]any)["aws_vpc_security_group_ingress_rule"].(map[string]any)
			rules["odoo_ssh-from-anywhere_0000AAAA"] = map[string]any{
				"cidr_ipv4": "0.0.0.0/0", "from_port": 22, "to_port": 22, "ip_protocol": "tcp",
				"security_group_id": "${aws_security_group.odoo-sg_sg_00000000.id}",
			}
		}, "odoo_ssh-from-anywhere", ""},
		{"no WAF at this scale", func(s map[string]any) {
			r := s["resource"].(map[string]any)
			delete(r, "aws_wafv2_web_acl")
			delete(r, "aws_wafv2_web_acl_association")
		}, "resource.aws_wafv2_web_acl", ""},
		{"a broader server policy", func(s map[string]any) {
			for name, p := range s["resource"].(map[string]any)["aws_iam_role_policy"].(map[string]any) {
				if strings.HasPrefix(name, "odoo_policy") {
					doc := p.(map[string]any)["policy"].(string)
					p.(map[string]any)["policy"] = strings.Replace(doc, `"s3:PutObject"`, `"s3:*"`, 1)
				}
			}
		}, "aws_iam_role_policy.odoo_policy", "policy (document) .Statement.Action"},
	}
	prod := envStack(t, "production")
	for _, p := range plants {
		t.Run(p.name, func(t *testing.T) {
			staging, probed := deepCopy(t, envStack(t, "staging")), deepCopy(t, stacks[probe.StackName()])
			p.plant(staging)
			p.plant(probed)
			r := parity.Check(envs[1], envs[0], probe, staging, prod, probed)
			if len(r.Unexplained) != 0 {
				t.Fatalf("the plant is not scale-driven (the first half saw it): %v", r.Unexplained)
			}
			if r.OK() {
				t.Fatal("the proof accepted a staging that runs something production does not")
			}
			found := false
			for _, v := range r.NotInRef {
				if strings.Contains(v.Address, p.resource) && strings.Contains(v.Attribute, p.attr) {
					found = true
				}
			}
			if !found {
				var out bytes.Buffer
				r.Write(&out)
				t.Errorf("the report does not name %s %s:\n%s", p.resource, p.attr, out.String())
			}
		})
	}
}

// TestParityWhatOfDev: dev is a sandbox and differs from production in
// exactly the instance types Dev() documents; the second half names each.
func TestParityWhatOfDev(t *testing.T) {
	var dev environments.ParityConfig
	for _, e := range envs {
		if e.Identity.Name == "dev" {
			dev = e
		}
	}
	// Every difference is one of the documented types, or a value derived
	// from one (a GPU type's offering check names the type).
	var devTypes []string
	for name, s := range dev.Servers {
		if t, _ := envs[0].Tier(name); s.InstanceType != envs[0].ServerSettings(t).InstanceType {
			devTypes = append(devTypes, s.InstanceType)
		}
	}
	documented := map[string]bool{"instance_type": true, "instance_class": true, "node_type": true}
	got := map[string]bool{}
	for _, v := range parity.CheckWhat(dev, envs[0], envStack(t, "dev"), envStack(t, "production")) {
		got[v.Attribute] = true
		derived := false
		for _, typ := range devTypes {
			derived = derived || strings.Contains(v.Env+v.Address, typ)
		}
		if !documented[v.Attribute] && !derived {
			t.Errorf("dev differs from production beyond its documented instance types: %s", v)
		}
	}
	for attr := range documented {
		if !got[attr] {
			t.Errorf("dev's documented %s override does not show", attr)
		}
	}
}

// setAll sets an attribute on every resource of a type whose logical name
// starts with prefix.
func setAll(s map[string]any, typ, prefix, attr string, value any) {
	for name, r := range s["resource"].(map[string]any)[typ].(map[string]any) {
		if strings.HasPrefix(name, prefix) {
			r.(map[string]any)[attr] = value
		}
	}
}

func deepCopy(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
