package edge

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	_ "github.com/influencegen/infrastructure/internal/golden" // -update is a known flag
)

// request is what the evaluator below sees of a web request: its host,
// path, and the labels the core rule set added to it.
type request struct {
	host, path string
	labels     []string
}

// matches evaluates the statement kinds WAFRules uses, as WAF does
// (AWS WAF Developer Guide, "Rule statements").
func matches(t *testing.T, st map[string]any, r request) bool {
	t.Helper()
	switch {
	case st["AndStatement"] != nil:
		for _, s := range st["AndStatement"].(map[string]any)["Statements"].([]any) {
			if !matches(t, s.(map[string]any), r) {
				return false
			}
		}
		return true
	case st["OrStatement"] != nil:
		for _, s := range st["OrStatement"].(map[string]any)["Statements"].([]any) {
			if matches(t, s.(map[string]any), r) {
				return true
			}
		}
		return false
	case st["NotStatement"] != nil:
		return !matches(t, st["NotStatement"].(map[string]any)["Statement"].(map[string]any), r)
	case st["LabelMatchStatement"] != nil:
		key := st["LabelMatchStatement"].(map[string]any)["Key"].(string)
		for _, l := range r.labels {
			if l == key {
				return true
			}
		}
		return false
	case st["RegexMatchStatement"] != nil:
		m := st["RegexMatchStatement"].(map[string]any)
		field := m["FieldToMatch"].(map[string]any)
		value := r.path
		if h, ok := field["SingleHeader"]; ok {
			if h.(map[string]any)["Name"] != "host" {
				t.Fatalf("unexpected header %v", h)
			}
			value = strings.ToLower(r.host)
		}
		return regexp.MustCompile(m["RegexString"].(string)).MatchString(value)
	}
	t.Fatalf("statement the evaluator does not know: %v", st)
	return false
}

func label(rule string) string { return environments.WAFRelaxableRules[rule] }

// TestWAFBlockModeRelaxesOnlyTheExceptedPaths evaluates the rendered rules
// on the requests the exceptions are for, and on the same payloads
// elsewhere: Odoo's JSON-RPC with HTML passes, the same body on the login
// page or on the other host is blocked.
func TestWAFBlockModeRelaxesOnlyTheExceptedPaths(t *testing.T) {
	a := environments.DefaultAccount()
	prod := environments.Production(a)
	prod.Edge.WAFMode = "block"
	var routes []WAFRoute
	for _, tier := range prod.Tiers {
		if r := tier.Route; r != nil {
			routes = append(routes, WAFRoute{Host: prod.Hostname(*r), Exceptions: r.WAFExceptions, LoginPaths: r.LoginPaths})
		}
	}
	var rules []map[string]any
	if err := json.Unmarshal([]byte(WAFRules("p", prod.Edge, routes)), &rules); err != nil {
		t.Fatal(err)
	}
	odoo, n8n := "odoo."+a.Domain, "n8n."+a.Domain
	// blocked reports whether one of the scoped block rules blocks r.
	blocked := func(r request) bool {
		for _, rule := range rules {
			action, _ := rule["Action"].(map[string]any)
			if _, isBlock := action["Block"]; !isBlock || strings.HasPrefix(rule["Name"].(string), "RateLimit") {
				continue
			}
			if matches(t, rule["Statement"].(map[string]any), r) {
				return true
			}
		}
		return false
	}
	xss := []string{label("CrossSiteScripting_BODY")}
	for _, c := range []struct {
		name    string
		r       request
		blocked bool
	}{
		{"Odoo JSON-RPC carrying HTML", request{odoo, "/web/dataset/call_kw/mail.compose.message/action_send_mail", xss}, false},
		{"Odoo website editor save", request{odoo, "/web_editor/save", xss}, false},
		{"the same HTML body on Odoo's login page", request{odoo, "/web/login", xss}, true},
		{"Odoo's paths on the n8n host", request{n8n, "/web/dataset/call_kw", xss}, true},
		{"n8n workflow save with code", request{n8n, "/rest/workflows/42", []string{label("GenericLFI_BODY")}}, false},
		{"n8n's paths on the Odoo host", request{odoo, "/rest/workflows/42", []string{label("GenericLFI_BODY")}}, true},
		{"a webhook without a User-Agent", request{n8n, "/webhook/abc", []string{label("NoUserAgent_HEADER")}}, false},
		{"no User-Agent on the n8n editor", request{n8n, "/rest/login", []string{label("NoUserAgent_HEADER")}}, true},
		{"a bulk report's long path", request{odoo, "/report/pdf/sale.report_saleorder/1,2,3", []string{label("SizeRestrictions_URIPATH")}}, false},
		{"a case-changed excepted path", request{odoo, "/WEB/dataset/call_kw", xss}, true},
		{"the Host header with its port", request{odoo + ":443", "/web/dataset/call_kw", xss}, false},
		{"a clean request", request{odoo, "/web/login", nil}, false},
	} {
		if got := blocked(c.r); got != c.blocked {
			t.Errorf("%s: blocked = %v, want %v", c.name, got, c.blocked)
		}
	}
	crs := rules[0]["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)
	counted := map[string]bool{}
	for _, o := range crs["RuleActionOverrides"].([]any) {
		counted[o.(map[string]any)["Name"].(string)] = true
	}
	for rule := range environments.WAFRelaxableRules {
		if !counted[rule] {
			t.Errorf("%s is relaxed by a route but still blocks inside the group", rule)
		}
	}
	if !counted["SizeRestrictions_BODY"] {
		t.Error("SizeRestrictions_BODY must count: WAF sees only the first 8 KB behind an ALB")
	}
}

// TestWAFCountMode: the core rule set only counts; the known-bad-inputs
// rules and the rate limits still block.
func TestWAFCountMode(t *testing.T) {
	s := environments.EdgeSettings{WAFMode: "count", WAFRateLimit: 2000, WAFLoginRateLimit: 100}
	var rules []map[string]any
	routes := []WAFRoute{{Host: "odoo.x.example", LoginPaths: []string{"/web/login"}}}
	if err := json.Unmarshal([]byte(WAFRules("p", s, routes)), &rules); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rules {
		action := r["OverrideAction"]
		if action == nil {
			action = r["Action"]
		}
		for k := range action.(map[string]any) {
			got[r["Name"].(string)] = k
		}
	}
	want := map[string]string{
		"AWSManagedRulesCommonRuleSet": "Count", "AWSManagedRulesKnownBadInputsRuleSet": "None",
		"RateLimitPerIP": "Block", "RateLimitLoginPerIP": "Block",
	}
	for name, action := range want {
		if got[name] != action {
			t.Errorf("%s: %q, want %q", name, got[name], action)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rules %v, want %v", got, want)
	}
}
