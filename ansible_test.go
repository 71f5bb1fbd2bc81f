package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// TestAnsibleInventoriesMatchEnvironments: each environment's dynamic
// inventory looks in the environment's region, filters on its Environment
// tag, and groups on the Role tags the compute construct writes; its
// group_vars file names the environment.
func TestAnsibleInventoriesMatchEnvironments(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		name := cfg.Identity.Name
		b, err := os.ReadFile(filepath.Join("ansible", "inventories", name, "aws_ec2.yml"))
		if err != nil {
			t.Fatal(err)
		}
		inv := string(b)
		for _, want := range []string{
			"plugin: amazon.aws.aws_ec2",
			"regions:\n  - " + cfg.Region + "\n",
			"tag:Environment: " + name + "\n",
			"tag:Project: " + account.Project + "\n",
			"odoo_servers: tags.Role == 'odoo'",
			"n8n_servers: tags.Role == 'n8n-main'",
			"n8n_workers: tags.Role == 'n8n-worker'",
			"ai_servers: tags.Role == 'ai'",
		} {
			if !strings.Contains(inv, want) {
				t.Errorf("inventory lacks %q", want)
			}
		}
		roles := map[string]bool{}
		for _, in := range s.Resources("aws_instance") {
			roles[in["tags"].(map[string]any)["Role"].(string)] = true
		}
		for role := range roles {
			if !strings.Contains(inv, "tags.Role == '"+role+"'") {
				t.Errorf("no inventory group for Role %s", role)
			}
		}
		gv, err := os.ReadFile(filepath.Join("ansible", "group_vars", name+".yml"))
		if err != nil || !strings.Contains(string(gv), "env_name: "+name+"\n") {
			t.Errorf("group_vars/%s.yml must set env_name: %v", name, err)
		}
	})
	all, err := os.ReadFile(filepath.Join("ansible", "group_vars", "all", "main.yml"))
	if err != nil || !strings.Contains(string(all), "aws_region: "+account.PrimaryRegion+"\n") || !strings.Contains(string(all), "project: "+account.Project+"\n") {
		t.Errorf("group_vars/all/main.yml must match environments/account.go (region %s, project %s): %v", account.PrimaryRegion, account.Project, err)
	}
}
