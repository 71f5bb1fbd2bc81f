package parity

import (
	"testing"

	"github.com/influencegen/infrastructure/environments"
	_ "github.com/influencegen/infrastructure/internal/golden" // -update is a known flag
)

// TestNormaliseName: the environment name is replaced as a whole word in
// the names the constructs build, never inside another word or a device
// path ("dev" is in "root_block_device" and "/dev/sdf").
func TestNormaliseName(t *testing.T) {
	cfg := environments.ParityConfig{Identity: environments.Identity{Name: "dev"}}
	for in, want := range map[string]string{
		"influencegen-dev-odoo":           "influencegen-{env}-odoo",
		"influencegen/dev/odoo/db":        "influencegen/{env}/odoo/db",
		"/influencegen-dev/odoo/app":      "/influencegen-{env}/odoo/app",
		"dev":                             "{env}",
		"InfluenceGen dev alarms":         "InfluenceGen {env} alarms",
		"dev-dev":                         "{env}-{env}",
		"root_block_device":               "root_block_device",
		"/dev/sdf":                        "/dev/sdf",
		"developer":                       "developer",
		"influencegen-dev-stack/ai/dev-x": "influencegen-{env}-stack/ai/{env}-x",
	} {
		if got := Normalise(in, cfg); got != want {
			t.Errorf("Normalise(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConstruct: copies made by a count fold into one construct; hashes
// are dropped; everything else is kept.
func TestConstruct(t *testing.T) {
	for in, want := range map[string]string{
		"odoo_servers_server-2_80CB6A7D":      "odoo_servers_server-#",
		"network_private-app-3-rt_F4C84352":   "network_private-app-#-rt",
		"network_nat-1-eip_9D53D89B":          "network_nat-#-eip",
		"observability_alarm-redis-12-cpu_AB": "observability_alarm-redis-#-cpu_AB",
		"network_s3-endpoint_3093E6A5":        "network_s3-endpoint",
		"n8n_main-sg_5ADEA376":                "n8n_main-sg",
	} {
		if got := construct(in); got != want {
			t.Errorf("construct(%q) = %q, want %q", in, got, want)
		}
	}
	if got := foldRefs("${aws_nat_gateway.network_nat-2_A72B97BB.id}"); got != "${aws_nat_gateway.network_nat-#.id}" {
		t.Errorf("foldRefs = %q", got)
	}
}

// TestScaleConstructs: a construct that a Scale field adds
// (environments.ScaleKeys Constructs) may exist on one side only; any other
// resource staging has and production lacks, or any type production has
// and staging lacks, is a violation.
func TestScaleConstructs(t *testing.T) {
	res := func(types map[string][]string) map[string]any {
		out := map[string]any{}
		for typ, names := range types {
			named := map[string]any{}
			for _, n := range names {
				named[n] = map[string]any{"name": "x"}
			}
			out[typ] = named
		}
		return map[string]any{"resource": out}
	}
	cfg := environments.ParityConfig{Identity: environments.Identity{Name: "staging"}}
	ref := environments.ParityConfig{Identity: environments.Identity{Name: "production"}}
	cases := []struct {
		name     string
		env, ref map[string][]string
		want     []string
	}{
		{"off-hours schedules only in staging",
			map[string][]string{"aws_scheduler_schedule": {"offhours_stop-ai_0A1B2C3D"}}, nil, nil},
		{"a vault lock only in production",
			nil, map[string][]string{"aws_backup_vault_lock_configuration": {"backup_vault-lock_0A1B2C3D"}}, nil},
		{"a resource of no Scale construct only in staging",
			map[string][]string{"aws_scheduler_schedule": {"odoo_stop_0A1B2C3D"}}, nil,
			[]string{"resource.aws_scheduler_schedule.odoo_stop_0A1B2C3D"}},
		{"a type production has, staging lacks",
			nil, map[string][]string{"aws_backup_vault_lock_configuration": {"backup_vault_0A1B2C3D"}},
			[]string{"resource.aws_backup_vault_lock_configuration"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, v := range CheckWhat(cfg, ref, res(c.env), res(c.ref)) {
				got = append(got, v.Address)
			}
			if len(got) != len(c.want) || len(got) > 0 && got[0] != c.want[0] {
				t.Errorf("violations %v, want %v", got, c.want)
			}
		})
	}
}

// TestRename: a piece of one environment's stack renamed into another
// carries the other's name and hosts, and nothing of the first.
func TestRename(t *testing.T) {
	a := environments.DefaultAccount()
	staging := environments.Staging(a)
	from := staging
	from.Identity = staging.Identity.Renamed("scale7", staging.Identity.VPCCIDR, a)
	in := map[string]any{
		"name": "influencegen-scale7-ai-quantizer",
		"tags": map[string]any{"Environment": "scale7", "Host": "odoo.scale7.influencegen.example.com"},
		"ref":  "${aws_subnet.network_app-1_ABCD1234.id}",
	}
	got := Rename(in, from, staging).(map[string]any)
	if got["name"] != "influencegen-staging-ai-quantizer" || got["ref"] != in["ref"] {
		t.Errorf("Rename = %v", got)
	}
	tags := got["tags"].(map[string]any)
	if tags["Environment"] != "staging" || tags["Host"] != "odoo.staging.influencegen.example.com" {
		t.Errorf("tags = %v", tags)
	}
}
