package review

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/stack"
)

// weakening reports what protects less after the plan: a policy control
// that held and no longer does, a protection argument turned off, a
// retention shortened, a backup selection, alarm, log, encryption or WAF
// rule removed or moved to count.
func weakening(changes []change, idx *index) []Finding {
	var out []Finding
	add := func(c *change, s Severity, format string, args ...any) {
		out = append(out, Finding{Severity: s, Class: Protection, Address: c.Address, Text: fmt.Sprintf(format, args...)})
	}
	for i := range changes {
		c := &changes[i]
		switch {
		case c.before != nil && c.after != nil && (c.updates() || c.replaces()):
			after := knownAs(c.after, c.before, c.unknown)
			for _, w := range weakerArguments(c.Type, c.before, after) {
				add(c, w.Severity, "%s", w.What)
			}
			for _, w := range shorterRetention(c.Type, c.before, after) {
				add(c, w.Severity, "%s", w.What)
			}
			for _, w := range weakerUpdate(c.Type, c.before, after) {
				add(c, w.Severity, "%s", w.What)
			}
		case c.destroys() && c.before != nil:
			r, ok := removedGuards[c.Type]
			if !ok || idx.destroyedSubject(c, c.before) {
				continue
			}
			text := r.text(c.before)
			if c.Type == "aws_backup_selection" {
				text += selectedNames(c, idx)
			}
			add(c, r.severity, "%s", text)
		}
	}
	return out
}

// note is one weakening a rule finds in a resource's change.
type note struct {
	Severity Severity
	What     string
}

// knownAs fills the after values known only after apply with the before
// values: an unknown is not a weakening (a key being replaced is still a
// key).
func knownAs(after, before map[string]any, unknown map[string]any) map[string]any {
	filled, _ := fill(after, before, unknown).(map[string]any)
	return filled
}

func fill(after, before, unknown any) any {
	if unknown == true {
		return before
	}
	switch u := unknown.(type) {
	case map[string]any:
		a, _ := after.(map[string]any)
		b, _ := before.(map[string]any)
		out := map[string]any{}
		for k, v := range a {
			out[k] = v
		}
		for k, uk := range u {
			out[k] = fill(a[k], b[k], uk)
		}
		return out
	case []any:
		a, _ := after.([]any)
		b, _ := before.([]any)
		out := slices.Clone(a)
		for i, uk := range u {
			var bi any
			if i < len(b) {
				bi = b[i]
			}
			if i < len(out) {
				out[i] = fill(out[i], bi, uk)
			} else {
				out = append(out, fill(nil, bi, uk))
			}
		}
		return out
	}
	return after
}

// lostControls reports, for each changed resource no other finding is
// about, the policy controls that held for it before the change and fail
// after it: the weakenings no specific rule names.
func lostControls(changes []change, about map[string]bool, production bool) []Finding {
	var out []Finding
	for i := range changes {
		c := &changes[i]
		if about[c.Address] || c.before == nil || c.after == nil || !(c.updates() || c.replaces()) {
			continue
		}
		for _, f := range lostControlsOf(c, knownAs(c.after, c.before, c.unknown), production) {
			out = append(out, Finding{Severity: High, Class: Protection, Address: c.Address, Text: f})
		}
	}
	return out
}

// lostControlsOf runs the policy suite (internal/controls) on the resource
// alone, before and after: a control that held and fails now is a
// weakening. Alone, a resource meets only the controls about its own
// arguments; the ones about its neighbours fail or pass alike on both
// sides.
func lostControlsOf(c *change, after map[string]any, production bool) []string {
	run := func(values map[string]any) map[string][]string {
		s := stack.Stack{"resource": map[string]any{c.Type: map[string]any{c.Name: values}}}
		return controls.Run(s, production)
	}
	was, now := run(c.before), run(after)
	titles := map[string]string{}
	for _, ctl := range controls.All {
		titles[ctl.ID] = ctl.Title
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(now)) {
		for _, f := range now[id] {
			if !slices.Contains(was[id], f) {
				_, why, _ := strings.Cut(f, ": ")
				out = append(out, fmt.Sprintf("%s no longer holds (%s): %s", id, titles[id], why))
			}
		}
	}
	return out
}

// protectionArguments say which way each argument of
// environments.ScaleKeys' protection fields weakens: "off" (true to not
// true), "on" (not true to true), "less" (a smaller number).
var protectionArguments = map[string]string{
	"aws_db_instance.deletion_protection":               "off",
	"aws_db_instance.delete_automated_backups":          "on",
	"aws_db_instance.skip_final_snapshot":               "on",
	"aws_db_instance.final_snapshot_identifier":         "",
	"aws_lb.enable_deletion_protection":                 "off",
	"aws_instance.disable_api_termination":              "off",
	"aws_ebs_volume.final_snapshot":                     "off",
	"aws_kms_key.deletion_window_in_days":               "less",
	"aws_secretsmanager_secret.recovery_window_in_days": "less",
	"aws_s3_bucket.force_destroy":                       "on",
	"aws_backup_vault.force_destroy":                    "on",
	"aws_rds_cluster.deletion_protection":               "off",
	"aws_rds_cluster.skip_final_snapshot":               "on",
}

// weakerArguments compares the protection arguments.
func weakerArguments(typ string, before, after map[string]any) []note {
	var out []note
	for _, key := range slices.Sorted(maps.Keys(protectionArguments)) {
		t, attr, _ := strings.Cut(key, ".")
		if t != typ {
			continue
		}
		b, a := before[attr], after[attr]
		weaker := false
		switch protectionArguments[key] {
		case "off":
			weaker = b == true && a != true
		case "on":
			weaker = b != true && a == true
		case "less":
			bn, ok1 := b.(float64)
			an, ok2 := a.(float64)
			weaker = ok1 && ok2 && an < bn
		}
		if weaker {
			out = append(out, note{High, fmt.Sprintf("%s: %v → %v (a protection against deletion)", attr, show(b), show(a))})
		}
	}
	return out
}

func show(v any) string {
	if v == nil {
		return "(unset)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// shorterRetention compares every retention argument of
// environments.ScaleKeys (Kind Retention): a shorter one keeps backups or
// logs for less time. A log group's 0 is "never expire".
func shorterRetention(typ string, before, after map[string]any) []note {
	var out []note
	for _, k := range environments.ScaleKeys {
		if k.Kind != environments.Retention {
			continue
		}
		for _, a := range k.Attributes {
			t, path, _ := strings.Cut(a, ".")
			if t != typ {
				continue
			}
			bv, av := numbersAt(before, path), numbersAt(after, path)
			if len(bv) == 0 || len(av) == 0 {
				continue
			}
			forever := typ == "aws_cloudwatch_log_group"
			if longest(av, forever) < longest(bv, forever) || shortest(av, forever) < shortest(bv, forever) {
				sev := High
				if k.Field == "LogRetentionDays" {
					sev = Medium
				}
				out = append(out, note{sev, fmt.Sprintf("%s shortened: %s → %s days (%s)", path, days(bv, forever), days(av, forever), k.Why)})
			}
		}
	}
	return out
}

// numbersAt collects the numbers at a path ("rule.lifecycle.delete_after"),
// through lists of blocks.
func numbersAt(v any, path string) []float64 {
	var out []float64
	var walk func(v any, steps []string)
	walk = func(v any, steps []string) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e, steps)
			}
		case map[string]any:
			if len(steps) > 0 {
				walk(t[steps[0]], steps[1:])
			}
		case float64:
			if len(steps) == 0 {
				out = append(out, t)
			}
		}
	}
	walk(v, strings.Split(path, "."))
	return out
}

func eff(n float64, forever bool) float64 {
	if forever && n == 0 {
		return 1e18
	}
	return n
}

func longest(l []float64, forever bool) float64 {
	m := eff(l[0], forever)
	for _, n := range l {
		m = max(m, eff(n, forever))
	}
	return m
}

func shortest(l []float64, forever bool) float64 {
	m := eff(l[0], forever)
	for _, n := range l {
		m = min(m, eff(n, forever))
	}
	return m
}

func days(l []float64, forever bool) string {
	var parts []string
	for _, n := range l {
		if forever && n == 0 {
			parts = append(parts, "forever")
		} else {
			parts = append(parts, fmt.Sprintf("%g", n))
		}
	}
	return strings.Join(parts, ", ")
}

// weakerUpdate compares what an in-place change does to backups,
// encryption, alarms and WAF rules.
func weakerUpdate(typ string, before, after map[string]any) []note {
	var out []note
	switch typ {
	case "aws_backup_plan":
		was := map[string][]string{}
		for _, r := range blocks(before["rule"]) {
			was[str(r, "rule_name")] = copyRegions(r)
		}
		now := map[string]bool{}
		for _, r := range blocks(after["rule"]) {
			name := str(r, "rule_name")
			now[name] = true
			if old, ok := was[name]; ok {
				for _, region := range old {
					if !slices.Contains(copyRegions(r), region) {
						out = append(out, note{High, fmt.Sprintf("rule %s no longer copies recovery points to %s", name, region)})
					}
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(was)) {
			if !now[name] {
				out = append(out, note{High, fmt.Sprintf("backup rule %s removed", name)})
			}
		}
	case "aws_backup_selection":
		for _, t := range blocks(before["selection_tag"]) {
			if !slices.ContainsFunc(blocks(after["selection_tag"]), func(u map[string]any) bool { return fmt.Sprint(u) == fmt.Sprint(t) }) {
				out = append(out, note{High, fmt.Sprintf("no longer selects by tag %s=%s", str(t, "key"), str(t, "value"))})
			}
		}
		for _, r := range stringList(before["resources"]) {
			if !slices.Contains(stringList(after["resources"]), r) {
				out = append(out, note{High, "no longer selects " + r})
			}
		}
	case "aws_s3_bucket_server_side_encryption_configuration":
		b, a := sse(before), sse(after)
		if b != "" && a != b && !strings.HasPrefix(a, "aws:kms with") {
			out = append(out, note{High, fmt.Sprintf("default encryption of bucket %s: %s → %s", str(after, "bucket"), b, orNone(a))})
		}
	case "aws_cloudwatch_metric_alarm":
		if before["actions_enabled"] == true && after["actions_enabled"] != true {
			out = append(out, note{Medium, fmt.Sprintf("alarm %s: actions disabled, nobody is notified", str(after, "alarm_name"))})
		}
		for _, a := range stringList(before["alarm_actions"]) {
			if !slices.Contains(stringList(after["alarm_actions"]), a) {
				out = append(out, note{Medium, fmt.Sprintf("alarm %s no longer notifies %s", str(after, "alarm_name"), a)})
			}
		}
	case "aws_wafv2_web_acl":
		was, now := wafRules(before), wafRules(after)
		for _, name := range slices.Sorted(maps.Keys(was)) {
			mode, kept := now[name]
			switch {
			case !kept:
				out = append(out, note{High, fmt.Sprintf("WAF rule %s removed", name)})
			case mode == "count" && was[name] != "count":
				out = append(out, note{High, fmt.Sprintf("WAF rule %s moved to count: it no longer blocks (was %s)", name, was[name])})
			}
		}
		if wafDefault(before) == "block" && wafDefault(after) == "allow" {
			out = append(out, note{High, "WAF default action: block → allow"})
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// copyRegions are the regions a backup rule copies to.
func copyRegions(rule map[string]any) []string {
	var out []string
	for _, cp := range blocks(rule["copy_action"]) {
		parts := strings.Split(str(cp, "destination_vault_arn"), ":")
		if len(parts) > 3 {
			out = append(out, parts[3])
		} else {
			out = append(out, str(cp, "destination_vault_arn"))
		}
	}
	return out
}

// sse describes a bucket's default encryption.
func sse(v map[string]any) string {
	for _, r := range blocks(v["rule"]) {
		for _, d := range blocks(r["apply_server_side_encryption_by_default"]) {
			alg := str(d, "sse_algorithm")
			if key := str(d, "kms_master_key_id"); key != "" {
				return alg + " with " + key
			}
			return alg
		}
	}
	return ""
}

// wafRules maps each rule of a web ACL to what it does: "block", "count",
// "allow", "captcha", "challenge" (a rule's action) or "enforced" (a rule
// group's override action None). Rules come from rule_json (the WAFv2
// API's JSON) or the rule blocks.
func wafRules(v map[string]any) map[string]string {
	out := map[string]string{}
	if s := str(v, "rule_json"); s != "" {
		var rules []map[string]any
		if json.Unmarshal([]byte(s), &rules) == nil {
			for _, r := range rules {
				name, _ := r["Name"].(string)
				out[name] = apiMode(r)
			}
		}
	}
	for _, r := range blocks(v["rule"]) {
		mode := ""
		for _, a := range blocks(r["action"]) {
			for k, x := range a {
				if len(blocks(x)) > 0 {
					mode = k
				}
			}
		}
		for _, o := range blocks(r["override_action"]) {
			if len(blocks(o["count"])) > 0 {
				mode = "count"
			} else if len(blocks(o["none"])) > 0 {
				mode = "enforced"
			}
		}
		out[str(r, "name")] = mode
	}
	return out
}

// apiMode reads a WAFv2 API rule's Action or OverrideAction.
func apiMode(r map[string]any) string {
	if a, ok := r["Action"].(map[string]any); ok {
		for k := range a {
			return strings.ToLower(k)
		}
	}
	if o, ok := r["OverrideAction"].(map[string]any); ok {
		if _, count := o["Count"]; count {
			return "count"
		}
		return "enforced"
	}
	return ""
}

func wafDefault(v map[string]any) string {
	for _, d := range blocks(v["default_action"]) {
		if len(blocks(d["block"])) > 0 {
			return "block"
		}
		if len(blocks(d["allow"])) > 0 {
			return "allow"
		}
	}
	return ""
}

// guard is what removing a resource of a type takes away.
type guard struct {
	severity Severity
	text     func(v map[string]any) string
}

// removedGuards are the resource types whose destruction, while what they
// guard stays, weakens it.
var removedGuards = map[string]guard{
	"aws_backup_selection": {High, func(v map[string]any) string {
		return fmt.Sprintf("backup selection %s removed: AWS Backup stops backing up what it selected", str(v, "name"))
	}},
	"aws_backup_plan": {High, func(v map[string]any) string { return fmt.Sprintf("backup plan %s removed", str(v, "name")) }},
	"aws_backup_vault_lock_configuration": {High, func(v map[string]any) string {
		return fmt.Sprintf("lock of backup vault %s removed", str(v, "backup_vault_name"))
	}},
	"aws_efs_backup_policy": {High, func(v map[string]any) string {
		return fmt.Sprintf("EFS automatic backups of %s removed", str(v, "file_system_id"))
	}},
	"aws_s3_bucket_server_side_encryption_configuration": {High, func(v map[string]any) string {
		return fmt.Sprintf("default encryption of bucket %s removed; the bucket stays", str(v, "bucket"))
	}},
	"aws_s3_bucket_versioning": {High, func(v map[string]any) string {
		return fmt.Sprintf("versioning of bucket %s removed; the bucket stays", str(v, "bucket"))
	}},
	"aws_s3_bucket_policy": {Medium, func(v map[string]any) string {
		return fmt.Sprintf("policy of bucket %s removed (its TLS-only rule with it); the bucket stays", str(v, "bucket"))
	}},
	"aws_wafv2_web_acl_association": {High, func(v map[string]any) string {
		return fmt.Sprintf("the WAF no longer protects %s", str(v, "resource_arn"))
	}},
	"aws_wafv2_web_acl": {High, func(v map[string]any) string { return fmt.Sprintf("WAF web ACL %s removed", str(v, "name")) }},
	"aws_wafv2_web_acl_logging_configuration": {Medium, func(v map[string]any) string {
		return fmt.Sprintf("WAF logging of %s removed", str(v, "resource_arn"))
	}},
	"aws_flow_log": {Medium, func(v map[string]any) string { return fmt.Sprintf("flow logs of %s removed", str(v, "vpc_id")) }},
	"aws_cloudwatch_metric_alarm": {Medium, func(v map[string]any) string {
		return fmt.Sprintf("alarm %s removed", str(v, "alarm_name"))
	}},
	"aws_cloudwatch_log_group": {Medium, func(v map[string]any) string {
		return fmt.Sprintf("log group %s removed, and its log events with it", str(v, "name"))
	}},
	"aws_cloudtrail": {High, func(v map[string]any) string { return fmt.Sprintf("trail %s removed", str(v, "name")) }},
}

// selectedNames lists what a removed backup selection selected in the
// plan's resources.
func selectedNames(c *change, idx *index) string {
	s := selection{name: str(c.before, "name"), resources: stringList(c.before["resources"])}
	for _, t := range blocks(c.before["selection_tag"]) {
		if str(t, "type") == "STRINGEQUALS" {
			s.tags = append(s.tags, str(t, "key")+"="+str(t, "value"))
		}
	}
	var names []string
	for _, o := range idx.changes {
		v := o.after
		if v == nil {
			v = o.before
		}
		if _, ok := s.selects(v); ok && o.Address != c.Address {
			names = append(names, o.Address)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}
