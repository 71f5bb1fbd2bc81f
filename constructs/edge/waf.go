package edge

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/environments"
)

// WAFRoute is what the web ACL needs to know of one route.
type WAFRoute struct {
	// Host is the route's public name.
	Host string
	// Exceptions relax core rules on some of its paths.
	Exceptions []environments.WAFException
	// LoginPaths are rate-limited per client IP.
	LoginPaths []string
}

// WAFRules renders the web ACL's rules in the WAFv2 API's JSON form
// (rule_json), in priority order:
//
//  1. AWSManagedRulesCommonRuleSet. In "count" mode the whole group only
//     counts (and labels) what it matches: the first week of real traffic,
//     read in the WAF logs. In "block" mode it blocks, except the rules some
//     route relaxes, which it only counts, and SizeRestrictions_BODY, which
//     always counts (Odoo uploads and n8n payloads exceed the 8 KB an
//     Application Load Balancer lets WAF inspect).
//  2. In "block" mode, one rule per relaxed core rule: block a request
//     carrying its label, unless the request is on a route and path the
//     exception names. Label matching keeps every other core rule active on
//     those paths, which a scope-down of the whole group would not.
//  3. AWSManagedRulesKnownBadInputsRuleSet, blocking in both modes.
//  4. Rate limits, blocking in both modes: per client IP overall, and
//     stricter on the routes' login paths.
//
// Hosts and paths are matched with regex statements: their pattern is a
// plain string in the API (a byte-match SearchString is a blob, base64 in
// JSON).
func WAFRules(prefix string, s environments.EdgeSettings, routes []WAFRoute) string {
	visibility := func(metric string) map[string]any {
		return map[string]any{"CloudWatchMetricsEnabled": true, "MetricName": prefix + "-" + metric, "SampledRequestsEnabled": true}
	}
	// relaxed: core rule → host → path prefixes excepted.
	relaxed := map[string]map[string][]string{}
	for _, r := range routes {
		for _, x := range r.Exceptions {
			for _, rule := range x.Rules {
				if relaxed[rule] == nil {
					relaxed[rule] = map[string][]string{}
				}
				relaxed[rule][r.Host] = append(relaxed[rule][r.Host], x.PathPrefixes...)
			}
		}
	}
	var ruleNames []string
	for rule := range relaxed {
		ruleNames = append(ruleNames, rule)
	}
	sort.Strings(ruleNames)

	count := map[string]any{"Count": map[string]any{}}
	crs := map[string]any{"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
	override := map[string]any{"None": map[string]any{}}
	if s.WAFMode == "count" {
		override = count
	} else {
		overrides := []map[string]any{{"Name": "SizeRestrictions_BODY", "ActionToUse": count}}
		for _, rule := range ruleNames {
			overrides = append(overrides, map[string]any{"Name": rule, "ActionToUse": count})
		}
		crs["RuleActionOverrides"] = overrides
	}
	rules := []map[string]any{{
		"Name":             "AWSManagedRulesCommonRuleSet",
		"Priority":         10,
		"OverrideAction":   override,
		"Statement":        map[string]any{"ManagedRuleGroupStatement": crs},
		"VisibilityConfig": visibility("AWSManagedRulesCommonRuleSet"),
	}}
	if s.WAFMode != "count" {
		for n, rule := range ruleNames {
			var excepted []map[string]any
			for _, host := range sortedHosts(relaxed[rule]) {
				excepted = append(excepted, and(hostIs(host), pathStartsWith(relaxed[rule][host])))
			}
			name := "Block" + strings.ReplaceAll(rule, "_", "") + "OutsideExceptions"
			rules = append(rules, map[string]any{
				"Name":     name,
				"Priority": 11 + n,
				"Action":   map[string]any{"Block": map[string]any{}},
				"Statement": and(
					map[string]any{"LabelMatchStatement": map[string]any{"Scope": "LABEL", "Key": environments.WAFRelaxableRules[rule]}},
					map[string]any{"NotStatement": map[string]any{"Statement": or(excepted...)}},
				),
				"VisibilityConfig": visibility(name),
			})
		}
	}
	rules = append(rules, map[string]any{
		"Name":             "AWSManagedRulesKnownBadInputsRuleSet",
		"Priority":         30,
		"OverrideAction":   map[string]any{"None": map[string]any{}},
		"Statement":        map[string]any{"ManagedRuleGroupStatement": map[string]any{"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}},
		"VisibilityConfig": visibility("AWSManagedRulesKnownBadInputsRuleSet"),
	})
	if s.WAFRateLimit > 0 {
		rules = append(rules, map[string]any{
			"Name":             "RateLimitPerIP",
			"Priority":         40,
			"Action":           map[string]any{"Block": map[string]any{}},
			"Statement":        map[string]any{"RateBasedStatement": map[string]any{"Limit": s.WAFRateLimit, "AggregateKeyType": "IP"}},
			"VisibilityConfig": visibility("rate-limit"),
		})
	}
	var logins []map[string]any
	for _, r := range routes {
		if len(r.LoginPaths) > 0 {
			logins = append(logins, and(hostIs(r.Host), pathStartsWith(r.LoginPaths)))
		}
	}
	if s.WAFLoginRateLimit > 0 && len(logins) > 0 {
		rules = append(rules, map[string]any{
			"Name":     "RateLimitLoginPerIP",
			"Priority": 41,
			"Action":   map[string]any{"Block": map[string]any{}},
			"Statement": map[string]any{"RateBasedStatement": map[string]any{
				"Limit": s.WAFLoginRateLimit, "AggregateKeyType": "IP", "ScopeDownStatement": or(logins...),
			}},
			"VisibilityConfig": visibility("login-rate-limit"),
		})
	}
	b, err := json.Marshal(rules)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func sortedHosts(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for h := range m {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// and, or: the API wants two statements at least; one is used alone.
func and(s ...map[string]any) map[string]any {
	if len(s) == 1 {
		return s[0]
	}
	return map[string]any{"AndStatement": map[string]any{"Statements": s}}
}

func or(s ...map[string]any) map[string]any {
	if len(s) == 1 {
		return s[0]
	}
	return map[string]any{"OrStatement": map[string]any{"Statements": s}}
}

func hostIs(host string) map[string]any {
	return map[string]any{"RegexMatchStatement": map[string]any{
		"RegexString":         "^" + regexp.QuoteMeta(host) + "(:443)?$",
		"FieldToMatch":        map[string]any{"SingleHeader": map[string]any{"Name": "host"}},
		"TextTransformations": []map[string]any{{"Priority": 0, "Type": "LOWERCASE"}},
	}}
}

func pathStartsWith(prefixes []string) map[string]any {
	quoted := make([]string, len(prefixes))
	for i, p := range prefixes {
		quoted[i] = regexp.QuoteMeta(p)
	}
	return map[string]any{"RegexMatchStatement": map[string]any{
		"RegexString":  fmt.Sprintf("^(%s)", strings.Join(quoted, "|")),
		"FieldToMatch": map[string]any{"UriPath": map[string]any{}},
		// NONE: a path is matched as sent; "/web/dataset/" written with
		// a different case is not excepted.
		"TextTransformations": []map[string]any{{"Priority": 0, "Type": "NONE"}},
	}}
}
