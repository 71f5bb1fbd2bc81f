package e2etest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/synth"
)

// The validation property: every configuration Validate accepts
// synthesizes. The generated configurations add a tier to a sandbox
// environment, named after every construct ID the platform uses (read from
// the golden stacks, so a new construct is a new case without editing this
// file), after every tier name, and after every name a tier's own IDs
// would collide with; with counts and route priorities at their bounds.
// Each is either refused by Validate with a field and a fix, or accepted.
// The accepted names that can collide at all are synthesized together, in
// one stack, which must build without a panic and without a physical name
// another resource already has: the names of the scopes where the platform
// puts a tier's own IDs (the stack, the load balancer, observability,
// patching, the security groups…: found in the golden stacks as the scopes
// with a child named after a tier), and the names derived from their IDs.
// A construct ID of any other scope cannot meet a tier's ID; a change that
// puts tier IDs in a new scope makes that scope's names candidates.

// propertyBase is the environment the generated tiers are added to.
const propertyEnv = "proptest"

// constructIDs lists every construct ID (each segment of every construct
// path) of the golden stacks, and, apart, those of the scopes that hold a
// tier's own IDs.
func constructIDs() (all, tierScopes []string, err error) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("no golden stacks in testdata/ (%v)", err)
	}
	ids := map[string]bool{}
	children := map[string]map[string]bool{} // scope path → child IDs
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		var s synth.Stack
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, nil, err
		}
		for _, section := range []string{"resource", "data"} {
			byType, _ := s[section].(map[string]any)
			for _, named := range byType {
				for _, r := range named.(map[string]any) {
					meta, _ := r.(map[string]any)["//"].(map[string]any)["metadata"].(map[string]any)
					path, _ := meta["path"].(string)
					parts := strings.Split(path, "/")
					for i, p := range parts[1:] {
						ids[p] = true
						scope := strings.Join(parts[1:i+1], "/")
						if children[scope] == nil {
							children[scope] = map[string]bool{}
						}
						children[scope][p] = true
					}
				}
			}
		}
	}
	scoped := map[string]bool{}
	for _, kids := range children {
		if holdsTierIDs(kids) {
			maps.Copy(scoped, kids)
		}
	}
	return slices.Sorted(maps.Keys(ids)), slices.Sorted(maps.Keys(scoped)), nil
}

// holdsTierIDs reports whether a scope has a child named after a tier.
func holdsTierIDs(children map[string]bool) bool {
	for id := range children {
		for _, t := range environments.DefaultTiers() {
			if id == t.Name || strings.HasPrefix(id, t.Name+"-") || strings.HasSuffix(id, "-"+t.Name) || strings.Contains(id, "-"+t.Name+"-") {
				return true
			}
		}
	}
	return false
}

// propertyCandidates are the generated tier names: every construct ID,
// every tier name, every tier name with each of the platform's suffixes
// for a tier's parts, the ID-derived names a tier's own IDs are made from
// (alarm-redis-1-cpu comes from "redis", logs-system from "system"), and
// names at the length bounds.
func propertyCandidates(ids []string) []string {
	set := map[string]bool{"ab": true, "a2345678901234567890": true, "a23456789012345678901": true}
	for _, id := range ids {
		set[id] = true
		for _, prefix := range []string{"alarm-", "agent-", "logs-", "target-", "task-", "stop-", "start-"} {
			if rest, ok := strings.CutPrefix(id, prefix); ok {
				set[rest] = true
				// alarm-<name>-<n>-<what>: the name before the number.
				if i := strings.IndexFunc(rest, func(r rune) bool { return r >= '0' && r <= '9' }); i > 1 {
					set[strings.TrimSuffix(rest[:i], "-")] = true
				}
			}
		}
		for _, sep := range []string{"-from-", "-to-"} {
			if _, peer, ok := strings.Cut(id, sep); ok {
				set[peer] = true
			}
		}
		for _, suffix := range []string{"-tg", "-rule", "-dns", "-server-1", "-unhealthy", "-no-healthy"} {
			if rest, ok := strings.CutSuffix(id, suffix); ok {
				set[rest] = true
			}
		}
	}
	for _, t := range environments.DefaultTiers() {
		set[t.Name] = true
		for _, s := range environments.TierIDSuffixes {
			set[t.Name+s] = true
		}
	}
	delete(set, "")
	return slices.Sorted(maps.Keys(set))
}

// propertyBaseConfig is dev renamed: a sandbox environment of its own.
func propertyBaseConfig() (environments.Account, environments.ParityConfig) {
	dev, _ := environments.Find(envs, "dev")
	cfg := dev.Derive(dev.Identity.Renamed(propertyEnv, "10.60.0.0/16", account), dev.Scale)
	cfg.Kind = environments.Sandbox
	a := account
	a.PatchWindows = maps.Clone(account.PatchWindows)
	a.PatchWindows[propertyEnv] = cfg.Identity.PatchWindow
	return a, cfg
}

// withTiers adds one generated tier per name, under a new group. The first
// two are the n8n worker's row (database, secrets, the cache and the GPU
// tier, log files), routed at priority 1 and 50000; the first runs 20
// servers, the second has a FixedCount of 20: every bound at once. The
// others reach the cache only, which still puts their name in another
// security group's rules and in a grant, and keeps a stack of 150 of them
// quick to build.
func withTiers(cfg environments.ParityConfig, names []string) environments.ParityConfig {
	cfg = cfg.Derive(cfg.Identity, cfg.Scale)
	cfg.Kind = environments.Sandbox
	worker, _ := cfg.Tier(environments.TierN8nWorker)
	for i, name := range names {
		t := worker
		t.Name = name
		t.AnsibleGroup = fmt.Sprintf("generated_%d", i)
		t.Reaches = slices.Clone(worker.Reaches)
		if i > 1 {
			t = environments.Tier{Name: name, AnsibleGroup: t.AnsibleGroup, Reaches: []string{environments.ReachCache}, LogFiles: worker.LogFiles, Instance: worker.Instance}
		}
		switch i {
		case 0:
			t.Route = &environments.Route{Subdomain: name, Port: 3000, HealthPath: "/health", Priority: 1}
			cfg.Scale.Servers[name] = 20
		case 1:
			t.Route = &environments.Route{Subdomain: name, Port: 3000, HealthPath: "/health", Priority: 50000}
			t.FixedCount = 20
		default:
			cfg.Scale.Servers[name] = 1
		}
		cfg.Tiers = append(cfg.Tiers, t)
	}
	return cfg
}

// propertyOutcome is what the generated configurations did.
type propertyOutcome struct {
	rejected map[string]environments.Errors // name → Validate's errors
	accepted []string
	// synthesized are the accepted names built together.
	synthesized []string
	// crash is the panic of building the accepted tiers together, "" if
	// none; duplicates are physical names the batch gave twice.
	crash      string
	duplicates []string
	synthErr   error
}

// runValidationProperty validates every candidate alone, then builds and
// synthesizes every accepted one that is also in collide together in one
// stack of a new app (jsii is already running: no second runtime),
// recovering a panic.
func runValidationProperty(candidates, collide []string, dir string) propertyOutcome {
	a, base := propertyBaseConfig()
	out := propertyOutcome{rejected: map[string]environments.Errors{}}
	for _, name := range candidates {
		cfg := withTiers(base, []string{name})
		err := environments.Validate(a, append(slices.Clone(envs), cfg))
		var errs environments.Errors
		switch {
		case err == nil:
			out.accepted = append(out.accepted, name)
		case errors.As(err, &errs):
			out.rejected[name] = errs
		default:
			out.rejected[name] = environments.Errors{{Env: propertyEnv, Problem: err.Error()}}
		}
	}
	var synthesized []string
	for _, n := range out.accepted {
		if slices.Contains(collide, n) {
			synthesized = append(synthesized, n)
		}
	}
	out.synthesized = synthesized
	batch := withTiers(base, synthesized)
	if err := environments.Validate(a, append(slices.Clone(envs), batch)); err != nil {
		out.synthErr = fmt.Errorf("the accepted names are valid one by one but not together: %w", err)
		return out
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				out.crash = fmt.Sprint(r)
			}
		}()
		app := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(dir)})
		platform.NewEnvironmentStack(app, a, batch)
		app.Synth()
	}()
	if out.crash != "" {
		return out
	}
	loaded, err := synth.Load(dir)
	if err != nil {
		out.synthErr = err
		return out
	}
	all := maps.Clone(loaded)
	for _, e := range envs {
		all[e.StackName()] = stacks[e.StackName()]
	}
	out.duplicates = controls.DuplicateNames(all)
	return out
}

// TestValidationIsTotal: every generated configuration is refused with a
// field and a fix, or synthesizes.
func TestValidationIsTotal(t *testing.T) {
	ids, scoped, err := constructIDs()
	if err != nil {
		t.Fatal(err)
	}
	out := runValidationProperty(propertyCandidates(ids), propertyCandidates(scoped), t.TempDir())
	candidates := propertyCandidates(ids)
	for name, errs := range out.rejected {
		for _, e := range errs {
			if e.Env != propertyEnv || e.Field == "" || e.Fix == "" {
				t.Errorf("tier %q: refused without a field and a fix in the generated environment: %+v", name, e)
			}
		}
	}
	if out.synthErr != nil {
		t.Fatal(out.synthErr)
	}
	if out.crash != "" {
		t.Fatalf("Validate accepted tiers %v, and synthesizing them crashed: %s", out.synthesized, firstLine(out.crash))
	}
	if len(out.duplicates) > 0 {
		t.Errorf("Validate accepted tiers whose physical names are already taken:\n  %s", strings.Join(out.duplicates, "\n  "))
	}
	if len(out.synthesized) < 40 || len(out.rejected) < 20 {
		t.Errorf("%d names synthesized, %d refused, of %d: the generator no longer generates", len(out.synthesized), len(out.rejected), len(candidates))
	}
	t.Logf("%d generated tier names: %d refused by Validate, %d accepted, %d of them synthesized together", len(candidates), len(out.rejected), len(out.accepted), len(out.synthesized))
}

// TestValidationPropertyCatchesACrash: with one reserved name taken out of
// the list, the generated configuration that uses it passes Validate, and
// the property reports the crash of its synthesis.
func TestValidationPropertyCatchesACrash(t *testing.T) {
	saved := environments.ReservedTierNames
	t.Cleanup(func() { environments.ReservedTierNames = saved })
	environments.ReservedTierNames = slices.DeleteFunc(slices.Clone(saved), func(n string) bool { return n == "backup" })
	out := runValidationProperty([]string{"backup"}, []string{"backup"}, t.TempDir())
	if len(out.accepted) != 1 || out.crash == "" {
		t.Fatalf("planted crash-only name %q: accepted %v, crash %q; the property cannot catch a name Validate lets through", "backup", out.accepted, out.crash)
	}
	if !strings.Contains(out.crash, "backup") {
		t.Errorf("the crash does not name the construct: %s", firstLine(out.crash))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
