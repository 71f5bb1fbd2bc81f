package review

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/internal/controls"
)

// PolicyKind says whose permissions a policy document states.
type PolicyKind string

// The kinds of policy document.
const (
	// IdentityPolicy: what the role, user or group it is attached to may do.
	IdentityPolicy PolicyKind = "identity"
	// TrustPolicy: who may assume a role.
	TrustPolicy PolicyKind = "trust"
	// ResourcePolicy: who may act on the resource it is attached to.
	ResourcePolicy PolicyKind = "resource"
)

// Widening is one thing a changed policy allows that it did not.
type Widening struct {
	Severity Severity
	What     string
}

// Evaluator decides what a policy document allows after a change that it
// did not allow before. Statements reads the documents; an evaluator that
// simulates requests with IAM's evaluation logic can take its place, and
// say what each principal can now do.
type Evaluator interface {
	// Widen compares two JSON policy documents ("" for none) of one kind.
	Widen(kind PolicyKind, before, after string) ([]Widening, error)
}

// policyAttributes are the arguments that hold a policy document, by
// resource type.
var policyAttributes = map[string]struct {
	attr string
	kind PolicyKind
}{
	"aws_iam_role_policy":                {"policy", IdentityPolicy},
	"aws_iam_policy":                     {"policy", IdentityPolicy},
	"aws_iam_user_policy":                {"policy", IdentityPolicy},
	"aws_iam_group_policy":               {"policy", IdentityPolicy},
	"aws_iam_role":                       {"assume_role_policy", TrustPolicy},
	"aws_s3_bucket_policy":               {"policy", ResourcePolicy},
	"aws_kms_key":                        {"policy", ResourcePolicy},
	"aws_sns_topic_policy":               {"policy", ResourcePolicy},
	"aws_sqs_queue_policy":               {"policy", ResourcePolicy},
	"aws_efs_file_system_policy":         {"policy", ResourcePolicy},
	"aws_secretsmanager_secret_policy":   {"policy", ResourcePolicy},
	"aws_ecr_repository_policy":          {"policy", ResourcePolicy},
	"aws_backup_vault_policy":            {"policy", ResourcePolicy},
	"aws_cloudwatch_log_resource_policy": {"policy_document", ResourcePolicy},
}

// widening reports new access: policy documents, managed policies
// attached, ingress, and what is newly public.
func widening(changes []change, idx *index, ev Evaluator) []Finding {
	var out []Finding
	add := func(c *change, s Severity, format string, args ...any) {
		out = append(out, Finding{Severity: s, Class: Access, Address: c.Address, Text: fmt.Sprintf(format, args...)})
	}
	lbGroups := loadBalancerGroups(idx)
	for i := range changes {
		c := &changes[i]
		if !c.creates() && !c.updates() {
			continue
		}
		if pa, ok := policyAttributes[c.Type]; ok {
			if c.isUnknown(pa.attr) {
				add(c, Low, "%s is known only after apply: not reviewed here (terraform show after the apply)", pa.attr)
			} else if before, after := str(c.before, pa.attr), str(c.after, pa.attr); before != after {
				ws, err := ev.Widen(pa.kind, before, after)
				if err != nil {
					add(c, High, "%s cannot be read as a policy: %v", pa.attr, err)
				}
				for _, w := range ws {
					add(c, w.Severity, "%s", w.What)
				}
			}
		}
		switch c.Type {
		case "aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment", "aws_iam_policy_attachment":
			if arn := str(c.after, "policy_arn"); arn != "" && arn != str(c.before, "policy_arn") {
				add(c, attachmentSeverity(arn), "attaches %s to %s", arn, firstOf(str(c.after, "role"), str(c.after, "user"), str(c.after, "group"), strings.Join(stringList(c.after["roles"]), ", ")))
			}
		case "aws_iam_role":
			for _, arn := range stringList(c.after["managed_policy_arns"]) {
				if !slices.Contains(stringList(c.before["managed_policy_arns"]), arn) {
					add(c, attachmentSeverity(arn), "attaches %s", arn)
				}
			}
		case "aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group":
			for _, in := range newIngress(c) {
				s := Medium
				if in.world() && !(lbGroups[in.group] && in.webPort()) {
					s = High
				}
				add(c, s, "security group %s newly allows %s from %s", idx.label(in.group), in.ports(), idx.label(in.source))
			}
		case "aws_db_instance":
			if c.after["publicly_accessible"] == true && c.before["publicly_accessible"] != true {
				add(c, High, "becomes publicly accessible: the database gets a public address")
			}
		case "aws_s3_bucket_public_access_block":
			var off []string
			for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
				if c.before != nil && c.before[k] == true && c.after[k] != true {
					off = append(off, k)
				}
			}
			if len(off) > 0 {
				add(c, High, "public access block turned off for bucket %s: %s", str(c.after, "bucket"), strings.Join(off, ", "))
			}
		case "aws_s3_bucket_acl", "aws_s3_bucket":
			if acl := str(c.after, "acl"); strings.HasPrefix(acl, "public-") && acl != str(c.before, "acl") {
				add(c, High, "ACL %s: anyone may read the bucket", acl)
			}
		case "aws_instance":
			if c.after["associate_public_ip_address"] == true && c.before["associate_public_ip_address"] != true {
				add(c, High, "gets a public IP address")
			}
		case "aws_subnet":
			if c.after["map_public_ip_on_launch"] == true && c.before["map_public_ip_on_launch"] != true {
				add(c, High, "gives every instance launched in it a public IP address")
			}
		case "aws_lb":
			if c.after["internal"] == false && c.before != nil && c.before["internal"] == true {
				add(c, High, "becomes internet-facing")
			}
		}
	}
	// A public access block destroyed while its bucket stays.
	for _, c := range idx.ofType("aws_s3_bucket_public_access_block") {
		if c.destroys() && !idx.destroyedSubject(c, c.before) {
			out = append(out, Finding{Severity: High, Class: Access, Address: c.Address, Text: fmt.Sprintf("public access block of bucket %s removed; the bucket stays", str(c.before, "bucket"))})
		}
	}
	return out
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return "(unknown)"
}

// attachmentSeverity: attaching full administrative or full-service
// access is High.
func attachmentSeverity(arn string) Severity {
	name := arn[strings.LastIndex(arn, "/")+1:]
	if name == "AdministratorAccess" || name == "PowerUserAccess" || strings.HasSuffix(name, "FullAccess") {
		return High
	}
	return Medium
}

// loadBalancerGroups are the security groups of internet-facing load
// balancers, where world-open 80 and 443 are the point (IG-INGRESS).
func loadBalancerGroups(idx *index) map[string]bool {
	out := map[string]bool{}
	for _, c := range idx.ofType("aws_lb") {
		v := c.after
		if v == nil {
			v = c.before
		}
		if v["internal"] == false {
			for _, g := range stringList(v["security_groups"]) {
				out[g] = true
			}
		}
	}
	return out
}

// ingress is one inbound permission of a security group.
type ingress struct {
	group, protocol, source string
	from, to                float64
}

func (in ingress) world() bool { return in.source == "0.0.0.0/0" || in.source == "::/0" }

func (in ingress) webPort() bool {
	return in.protocol == "tcp" && in.from == in.to && (in.from == 80 || in.from == 443)
}

func (in ingress) ports() string {
	switch {
	case in.protocol == "-1" || in.protocol == "all":
		return "every protocol and port"
	case in.from == in.to:
		return fmt.Sprintf("%s/%g", in.protocol, in.from)
	}
	return fmt.Sprintf("%s/%g-%g", in.protocol, in.from, in.to)
}

// ingressOf lists the inbound permissions a resource's values grant.
func ingressOf(typ string, v map[string]any) []ingress {
	if v == nil {
		return nil
	}
	var out []ingress
	switch typ {
	case "aws_vpc_security_group_ingress_rule":
		base := ingress{group: str(v, "security_group_id"), protocol: str(v, "ip_protocol"), from: num(v, "from_port"), to: num(v, "to_port")}
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"} {
			if s := str(v, k); s != "" {
				in := base
				in.source = s
				out = append(out, in)
			}
		}
	case "aws_security_group_rule":
		if str(v, "type") != "ingress" {
			return nil
		}
		out = append(out, rulesOf(str(v, "security_group_id"), v)...)
		if sg := str(v, "source_security_group_id"); sg != "" {
			out = append(out, ingress{group: str(v, "security_group_id"), protocol: str(v, "protocol"), from: num(v, "from_port"), to: num(v, "to_port"), source: sg})
		}
	case "aws_security_group":
		for _, rule := range blocks(v["ingress"]) {
			out = append(out, rulesOf(str(v, "id"), rule)...)
			for _, sg := range stringList(rule["security_groups"]) {
				out = append(out, ingress{group: str(v, "id"), protocol: str(rule, "protocol"), from: num(rule, "from_port"), to: num(rule, "to_port"), source: sg})
			}
		}
	}
	return out
}

// rulesOf lists a legacy rule's CIDR sources.
func rulesOf(group string, v map[string]any) []ingress {
	var out []ingress
	for _, k := range []string{"cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"} {
		for _, s := range stringList(v[k]) {
			out = append(out, ingress{group: group, protocol: str(v, "protocol"), from: num(v, "from_port"), to: num(v, "to_port"), source: s})
		}
	}
	return out
}

// newIngress lists the permissions a change grants that the resource did
// not grant before.
func newIngress(c *change) []ingress {
	before := ingressOf(c.Type, c.before)
	var out []ingress
	for _, in := range ingressOf(c.Type, c.after) {
		if !slices.Contains(before, in) {
			out = append(out, in)
		}
	}
	return out
}

// Statements is the Evaluator that reads the documents themselves (with
// the policy suite's parser, controls.ParsePolicy): an Allow of the new
// document widens access where no Allow of the old one covers the same
// principal, action and resource with no more conditions; a Deny of the
// old document that the new one does not keep widens it too. Wildcards
// are compared as text: "s3:*" covers "s3:GetObject" and "s3:Get*", not
// the reverse.
type Statements struct{}

// Widen implements Evaluator.
func (Statements) Widen(kind PolicyKind, before, after string) ([]Widening, error) {
	var old []controls.Statement
	if strings.TrimSpace(before) != "" {
		var err error
		if old, err = controls.ParsePolicy(before); err != nil {
			// The old document unreadable: everything of the new one is new.
			old = nil
		}
	}
	cur, err := controls.ParsePolicy(after)
	if err != nil {
		return nil, err
	}
	var out []Widening
	for _, st := range cur {
		if st.Effect != "Allow" {
			continue
		}
		if w, ok := widenedBy(kind, st, old); ok {
			out = append(out, w)
		}
	}
	for _, d := range old {
		if d.Effect == "Deny" && !keepsDeny(d, cur) {
			out = append(out, Widening{High, fmt.Sprintf("statement %s no longer denies %s on %s", sidOf(d), listOr(d.Action, d.NotAction, "every action"), listOr(d.Resource, d.NotResource, "*"))})
		}
	}
	return out, nil
}

func sidOf(st controls.Statement) string {
	if st.Sid == "" {
		return "(no Sid)"
	}
	return strings.TrimSpace(st.Sid)
}

func listOr(l, not []string, none string) string {
	switch {
	case len(l) > 0:
		return strings.Join(l, ", ")
	case len(not) > 0:
		return "all but " + strings.Join(not, ", ")
	}
	return none
}

// principals lists a statement's principals as "AWS:arn…",
// "Service:ec2.amazonaws.com", "*"; an identity policy's statements have
// none (one empty principal).
func principals(kind PolicyKind, st controls.Statement) []string {
	if kind == IdentityPolicy {
		return []string{""}
	}
	switch p := st.Principal.(type) {
	case string:
		return []string{p}
	case map[string]any:
		var out []string
		for _, typ := range slices.Sorted(maps.Keys(p)) {
			for _, v := range stringList(p[typ]) {
				if typ == "AWS" && v == "*" {
					out = append(out, "*")
					continue
				}
				out = append(out, typ+":"+v)
			}
		}
		return out
	}
	return []string{"(none)"}
}

// widenedBy says what an Allow statement of the new document allows that
// no Allow statement of the old one did.
func widenedBy(kind PolicyKind, st controls.Statement, old []controls.Statement) (Widening, bool) {
	resources := st.Resource
	if len(resources) == 0 && len(st.NotResource) == 0 {
		resources = []string{"*"}
	}
	var newPrincipals, newActions, newResources []string
	conditionsDropped := false
	if len(st.NotAction) > 0 || len(st.NotResource) > 0 {
		for _, o := range old {
			if o.Effect == "Allow" && sameStatement(o, st) {
				return Widening{}, false
			}
		}
		return Widening{High, fmt.Sprintf("statement %s newly allows %s on %s", sidOf(st), listOr(st.Action, st.NotAction, "every action"), listOr(st.Resource, st.NotResource, "*"))}, true
	}
	for _, p := range principals(kind, st) {
		for _, a := range st.Action {
			for _, r := range resources {
				switch {
				case coveredBy(old, kind, p, a, r, st.Condition):
				case kind != IdentityPolicy && !anyAllows(old, kind, p, "", ""):
					newPrincipals = appendNew(newPrincipals, p)
				case !anyAllows(old, kind, p, a, ""):
					newActions = appendNew(newActions, a)
				case !anyAllows(old, kind, p, a, r):
					newResources = appendNew(newResources, r)
				default:
					conditionsDropped = true
				}
			}
		}
	}
	if len(newPrincipals)+len(newActions)+len(newResources) == 0 && !conditionsDropped {
		return Widening{}, false
	}
	sev := Medium
	var parts []string
	if len(newPrincipals) > 0 {
		// An AWS service acts only as the service does; an account, a
		// role, an identity provider or everyone acts as they please.
		for _, p := range newPrincipals {
			if !strings.HasPrefix(p, "Service:") {
				sev = High
			}
		}
		who := "trusts"
		if kind == ResourcePolicy {
			who = "grants"
		}
		parts = append(parts, fmt.Sprintf("%s %s", who, strings.Join(newPrincipals, ", ")))
	}
	if len(newActions) > 0 {
		parts = append(parts, "newly allows "+strings.Join(newActions, ", ")+" on "+strings.Join(resources, ", "))
	}
	if len(newResources) > 0 {
		parts = append(parts, "allows "+strings.Join(st.Action, ", ")+" on new resources "+strings.Join(newResources, ", "))
	}
	if conditionsDropped {
		parts = append(parts, "allows "+strings.Join(st.Action, ", ")+" with fewer conditions than before")
	}
	for _, a := range st.Action {
		if a == "*" || strings.HasSuffix(a, ":*") {
			sev = High
		}
	}
	for _, r := range newResources {
		if r == "*" {
			sev = High
		}
	}
	return Widening{sev, fmt.Sprintf("statement %s %s", sidOf(st), strings.Join(parts, "; "))}, true
}

func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

// anyAllows reports whether some Allow statement of a document covers the
// principal, the action ("" for any) and the resource ("" for any),
// conditions aside.
func anyAllows(doc []controls.Statement, kind PolicyKind, p, a, r string) bool {
	for _, st := range doc {
		if st.Effect == "Allow" && principalCovers(kind, st, p) && (a == "" || actionCovers(st, a)) && (r == "" || resourceCovers(st, r)) {
			return true
		}
	}
	return false
}

// coveredBy reports whether some Allow statement of the old document
// allowed the principal the action on the resource under no more than
// these conditions.
func coveredBy(doc []controls.Statement, kind PolicyKind, p, a, r string, cond map[string]map[string][]string) bool {
	for _, st := range doc {
		if st.Effect == "Allow" && principalCovers(kind, st, p) && actionCovers(st, a) && resourceCovers(st, r) && conditionsWithin(st.Condition, cond) {
			return true
		}
	}
	return false
}

func principalCovers(kind PolicyKind, st controls.Statement, p string) bool {
	for _, q := range principals(kind, st) {
		if q == p || q == "*" || controls.Glob(q, p) {
			return true
		}
	}
	return false
}

func actionCovers(st controls.Statement, a string) bool {
	if len(st.NotAction) > 0 {
		for _, n := range st.NotAction {
			if controls.Glob(strings.ToLower(n), strings.ToLower(a)) {
				return false
			}
		}
		return true
	}
	for _, pat := range st.Action {
		if controls.Glob(strings.ToLower(pat), strings.ToLower(a)) {
			return true
		}
	}
	return false
}

func resourceCovers(st controls.Statement, r string) bool {
	if len(st.NotResource) > 0 {
		for _, n := range st.NotResource {
			if controls.Glob(n, r) {
				return false
			}
		}
		return true
	}
	if len(st.Resource) == 0 {
		return true
	}
	for _, pat := range st.Resource {
		if controls.Glob(pat, r) {
			return true
		}
	}
	return false
}

// conditionsWithin reports whether every condition of old is also in
// cur, with the same values: cur is at least as restricted.
func conditionsWithin(old, cur map[string]map[string][]string) bool {
	for op, keys := range old {
		for k, vals := range keys {
			have := cur[op][k]
			a, b := slices.Clone(vals), slices.Clone(have)
			sort.Strings(a)
			sort.Strings(b)
			if !slices.Equal(a, b) {
				return false
			}
		}
	}
	return true
}

func sameStatement(a, b controls.Statement) bool {
	return fmt.Sprint(a.Action, a.NotAction, a.Resource, a.NotResource, a.Principal) == fmt.Sprint(b.Action, b.NotAction, b.Resource, b.NotResource, b.Principal) && conditionsWithin(a.Condition, b.Condition) && conditionsWithin(b.Condition, a.Condition)
}

// keepsDeny reports whether the new document still denies at least what
// a Deny of the old one did, under no more conditions.
func keepsDeny(d controls.Statement, cur []controls.Statement) bool {
	for _, st := range cur {
		if st.Effect != "Deny" {
			continue
		}
		if sameStatement(st, d) {
			return true
		}
		if len(d.NotAction) > 0 || len(d.NotResource) > 0 {
			continue
		}
		all := true
		for _, a := range d.Action {
			for _, r := range orStar(d.Resource) {
				if !actionCovers(st, a) || !resourceCovers(st, r) || !conditionsWithin(st.Condition, d.Condition) {
					all = false
				}
			}
		}
		if all {
			return true
		}
	}
	return false
}

func orStar(l []string) []string {
	if len(l) == 0 {
		return []string{"*"}
	}
	return l
}
