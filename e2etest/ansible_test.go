package e2etest

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// TestAnsibleInventoriesMatchEnvironments: each environment's dynamic
// inventory looks in the environment's region, filters on its Environment
// tag, and groups on the AnsibleGroup tag the compute construct writes from
// the tier table; site.yml configures every tier's group; the group_vars
// file names the environment.
func TestAnsibleInventoriesMatchEnvironments(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		name := cfg.Identity.Name
		b, err := os.ReadFile(repoFile("ansible", "inventories", name, "aws_ec2.yml"))
		if err != nil {
			t.Fatal(err)
		}
		inv := string(b)
		for _, want := range []string{
			"plugin: amazon.aws.aws_ec2",
			"regions:\n  - " + cfg.Region + "\n",
			"tag:Environment: " + name + "\n",
			"tag:Project: " + account.Project + "\n",
			"keyed_groups:\n",
			"  - key: tags.AnsibleGroup\n    prefix: \"\"\n    separator: \"\"\n",
		} {
			if !strings.Contains(inv, want) {
				t.Errorf("inventory lacks %q", want)
			}
		}
		site, err := os.ReadFile(repoFile("ansible", "playbooks", "site.yml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tier := range cfg.Tiers {
			if !regexp.MustCompile(`(?m)^  hosts: .*\b` + tier.AnsibleGroup + `\b`).Match(site) {
				t.Errorf("site.yml configures no play for %s (tier %s): give the tier its role", tier.AnsibleGroup, tier.Name)
			}
		}
		gv, err := os.ReadFile(repoFile("ansible", "group_vars", name+".yml"))
		if err != nil || !strings.Contains(string(gv), "env_name: "+name+"\n") {
			t.Errorf("group_vars/%s.yml must set env_name: %v", name, err)
		}
	})
	all, err := os.ReadFile(repoFile("ansible", "group_vars", "all", "main.yml"))
	if err != nil || !strings.Contains(string(all), "aws_region: "+account.PrimaryRegion+"\n") || !strings.Contains(string(all), "project: "+account.Project+"\n") {
		t.Errorf("group_vars/all/main.yml must match environments/account.go (region %s, project %s): %v", account.PrimaryRegion, account.Project, err)
	}
}

// TestOdooUIDMatchesTheAccessPoint: the EFS access point makes every
// client act as platform.OdooUID; the odoo_setup role must create the odoo
// user with that uid and gid, or Odoo cannot read its own filestore.
func TestOdooUIDMatchesTheAccessPoint(t *testing.T) {
	b, err := os.ReadFile(repoFile("ansible", "roles", "odoo_setup", "defaults", "main.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"odoo_uid", "odoo_gid"} {
		if want := fmt.Sprintf("\n%s: %d\n", v, platform.OdooUID); !strings.Contains(string(b), want) {
			t.Errorf("odoo_setup defaults lack %q", strings.TrimSpace(want))
		}
	}
	for _, s := range []string{"production", "staging", "dev"} {
		ap := only(t, envStack(t, s), "aws_efs_access_point")
		if fmt.Sprint(ap["posix_user"]) != fmt.Sprintf("map[gid:%d uid:%d]", platform.OdooUID, platform.OdooUID) {
			t.Errorf("%s access point posix_user = %v", s, ap["posix_user"])
		}
	}
}
