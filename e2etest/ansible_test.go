package e2etest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/constructs/secrets"
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

// play is one play of site.yml: its hosts pattern and its roles.
type play struct {
	hosts string
	roles []string
}

// sitePlays reads the plays of site.yml (its plain form: "- name:",
// "  hosts:", "    - role:" lines).
func sitePlays(t *testing.T) []play {
	t.Helper()
	b, err := os.ReadFile(repoFile("ansible", "playbooks", "site.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var plays []play
	for _, block := range regexp.MustCompile(`(?m)^- name: `).Split(string(b), -1)[1:] {
		var p play
		if m := regexp.MustCompile(`(?m)^  hosts: (\S+)`).FindStringSubmatch(block); m != nil {
			p.hosts = m[1]
		}
		for _, m := range regexp.MustCompile(`(?m)^    - role: (\S+)`).FindAllStringSubmatch(block, -1) {
			p.roles = append(p.roles, m[1])
		}
		if p.hosts == "" || len(p.roles) == 0 {
			t.Fatalf("site.yml: a play without hosts or roles:\n%s", block)
		}
		plays = append(plays, p)
	}
	return plays
}

// rolesOf lists the roles site.yml applies to a group, with the roles they
// depend on (meta/main.yml).
func rolesOf(t *testing.T, plays []play, group string) []string {
	t.Helper()
	var out []string
	var add func(r string)
	add = func(r string) {
		if slices.Contains(out, r) {
			return
		}
		out = append(out, r)
		meta, _ := os.ReadFile(repoFile("ansible", "roles", r, "meta", "main.yml"))
		for _, m := range regexp.MustCompile(`(?m)^\s+- role: (\S+)`).FindAllStringSubmatch(string(meta), -1) {
			add(m[1])
		}
	}
	for _, p := range plays {
		for _, h := range strings.Split(p.hosts, ":") {
			if h == "all" || strings.TrimSuffix(strings.Split(h, "[")[0], "") == group {
				for _, r := range p.roles {
					add(r)
				}
			}
		}
	}
	return out
}

// roleText is every file of a role, concatenated.
func roleText(t *testing.T, role string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(repoFile("ansible", "roles", role), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := os.ReadFile(path)
		b.Write(c)
		b.WriteByte('\n')
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// dockerJSONLogs is where Docker's json-file log driver writes a
// container's output: the docker role's daemon.json sets that driver.
const dockerJSONLogs = "/var/lib/docker/containers/*/*-json.log"

// TestEveryTierIsConfigured: for every tier of the table, the roles
// site.yml applies to its group look up each of its generated secrets (by
// its key in the stack's secret_arns output) and read its public URL (the
// urls output), serve the port and health path the load balancer uses,
// write each log file the CloudWatch agent ships for it, and run after
// app_databases when it has a database. A new tier's role that forgets one
// fails here, naming the tier and the value; so does a value changed on
// one side only.
func TestEveryTierIsConfigured(t *testing.T) {
	plays := sitePlays(t)
	cfg := fixtureService // the real tiers and the fixture's
	for _, tier := range cfg.Tiers {
		if tier.Name == fixtureName {
			continue // the fixture has no role: it is Go only
		}
		t.Run(tier.Name, func(t *testing.T) {
			roles := rolesOf(t, plays, tier.AnsibleGroup)
			var text strings.Builder
			for _, r := range roles {
				text.WriteString(roleText(t, r))
			}
			// Comments say nothing: only what the roles do counts.
			var code []string
			for _, line := range strings.Split(text.String(), "\n") {
				if trimmed := strings.TrimSpace(line); !strings.HasPrefix(trimmed, "#") && trimmed != "" {
					code = append(code, line)
				}
			}
			all := strings.Join(code, "\n")
			forms := func(output, key string) []string {
				return []string{output + "." + key, output + "['" + key + "']", output + `["` + key + `"]`}
			}
			// A secret is read by looking it up in Secrets Manager by its
			// ARN, on one line, not by naming its key.
			looksUp := func(key string) bool {
				for _, line := range code {
					if strings.Contains(line, "lookup('amazon.aws.aws_secret', ") && slices.ContainsFunc(forms("secret_arns", key), func(f string) bool { return strings.Contains(line, f) }) {
						return true
					}
				}
				return false
			}
			for _, name := range tier.SecretNames() {
				if key := secrets.OutputKey(name); !looksUp(key) {
					t.Errorf("no role of %s (%v) looks up the secret %s (lookup('amazon.aws.aws_secret', secret_arns.%s, …))", tier.AnsibleGroup, roles, name, key)
				}
			}
			if r := tier.Route; r != nil {
				if !slices.ContainsFunc(forms("stack_outputs.urls", tier.Name), func(f string) bool { return strings.Contains(all, f) }) {
					t.Errorf("no role of %s (%v) reads its public URL (stack_outputs.urls.%s)", tier.AnsibleGroup, roles, tier.Name)
				}
				// What the load balancer checks is what the roles serve.
				if !regexp.MustCompile(fmt.Sprintf(`\b%d\b`, r.Port)).MatchString(all) || !strings.Contains(all, r.HealthPath) {
					t.Errorf("the load balancer sends %s to port %d and checks %s; no role of %s (%v) names both", tier.Name, r.Port, r.HealthPath, tier.AnsibleGroup, roles)
				}
			}
			// Its database exists before the play that uses it (a role
			// that looks up its password): app_databases creates it.
			if tier.Database != "" {
				at := slices.IndexFunc(plays, func(p play) bool { return slices.Contains(p.roles, "app_databases") })
				password := secrets.OutputKey(environments.DatabaseSecret(tier.Database))
				for n, p := range plays {
					uses := slices.ContainsFunc(p.roles, func(r string) bool { return strings.Contains(roleText(t, r), password) })
					if n < at && uses && slices.ContainsFunc(strings.Split(p.hosts, ":"), func(h string) bool { return strings.Split(h, "[")[0] == tier.AnsibleGroup }) {
						t.Errorf("site.yml configures %s (play %d) before app_databases (play %d) creates its database %s", tier.AnsibleGroup, n+1, at+1, tier.Database)
					}
				}
			}
			for _, f := range tier.LogFiles {
				written := strings.Contains(all, f)
				if f == dockerJSONLogs {
					written = slices.Contains(roles, "docker") && strings.Contains(roleText(t, "docker"), "log-driver: json-file")
				}
				if !written {
					t.Errorf("the agent ships %s for %s, and no role of %s (%v) writes it", f, tier.Name, tier.AnsibleGroup, roles)
				}
			}
		})
	}
}
