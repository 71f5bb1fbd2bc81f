package controls

// The edge: the application load balancer (HTTPS only, modern TLS, invalid
// headers dropped, access logs, a WAF) and the web ACL (logged, redacted,
// matching only labels the managed rules add).

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/stack"
)

func alb(s stack.Stack, _ bool) []string {
	var out []string
	waf := map[string]bool{}
	for _, a := range each(s, "aws_wafv2_web_acl_association") {
		waf[stack.ReferencedName(a.attrs["resource_arn"])] = true
	}
	listeners := each(s, "aws_lb_listener")
	for _, lb := range each(s, "aws_lb") {
		if lb.attrs["load_balancer_type"] != "application" {
			continue
		}
		if lb.attrs["drop_invalid_header_fields"] != true {
			out = append(out, finding(lb, "invalid header fields are not dropped"))
		}
		if lb.attrs["internal"] == false && !waf[lb.name] {
			out = append(out, finding(lb, "internet-facing without a WAF web ACL"))
		}
		if block(lb.attrs["access_logs"])["enabled"] != true {
			out = append(out, finding(lb, "access logs off"))
		}
	}
	for _, l := range listeners {
		switch l.attrs["protocol"] {
		case "HTTPS":
			if !strings.HasPrefix(str(l.attrs["ssl_policy"]), "ELBSecurityPolicy-TLS13-") {
				out = append(out, finding(l, "TLS policy %v allows TLS below 1.2 or lacks TLS 1.3", l.attrs["ssl_policy"]))
			}
		case "HTTP":
			a := block(l.attrs["default_action"])
			if a["type"] != "redirect" || block(a["redirect"])["protocol"] != "HTTPS" {
				out = append(out, finding(l, "plain HTTP is served instead of redirected to HTTPS"))
			}
		}
	}
	return out
}

func wafControl(s stack.Stack, _ bool) []string {
	known := map[string]bool{}
	for _, l := range environments.WAFRelaxableRules {
		known[l] = true
	}
	logging := map[string]map[string]any{}
	for _, r := range each(s, "aws_wafv2_web_acl_logging_configuration") {
		logging[stack.ReferencedName(r.attrs["resource_arn"])] = r.attrs
	}
	groups := map[string]string{}
	for _, r := range each(s, "aws_cloudwatch_log_group") {
		groups[r.name] = str(r.attrs["name"])
	}
	var out []string
	for _, r := range each(s, "aws_wafv2_web_acl") {
		l, ok := logging[r.name]
		if !ok {
			out = append(out, finding(r, "no logging: nobody can see what it blocks or would block"))
		} else {
			dest := fmt.Sprint(l["log_destination_configs"])
			named := false
			for name, group := range groups {
				if strings.Contains(dest, "aws_cloudwatch_log_group."+name+".") && strings.HasPrefix(group, "aws-waf-logs-") {
					named = true
				}
			}
			redacted := fmt.Sprint(l["redacted_fields"])
			if !named || !strings.Contains(redacted, "authorization") || !strings.Contains(redacted, "cookie") {
				out = append(out, finding(r, "logs to %s without redacting authorization and cookie, or not to an aws-waf-logs- group", dest))
			}
		}
		walkStrings(r.attrs["rule_json"], "", func(_, v string) {
			var rules any
			if json.Unmarshal([]byte(v), &rules) != nil {
				return
			}
			for _, key := range labelKeys(rules) {
				if strings.HasPrefix(key, "awswaf:managed:") && !known[key] {
					out = append(out, finding(r, "matches label %q, which no managed rule adds: the rule never fires", key))
				}
			}
		})
	}
	return out
}

// labelKeys finds every LabelMatchStatement key in a decoded rule list.
func labelKeys(v any) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		if lm, ok := t["LabelMatchStatement"].(map[string]any); ok {
			out = append(out, str(lm["Key"]))
		}
		for _, val := range t {
			out = append(out, labelKeys(val)...)
		}
	case []any:
		for _, val := range t {
			out = append(out, labelKeys(val)...)
		}
	}
	return out
}
