package apimodel

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/internal/iam"
)

// Rule is a constraint a service documents but its model does not encode.
type Rule struct {
	// Types are the resource types it applies to; "*" for every type but
	// those in Except.
	Types, Except []string
	// Arg is the argument it constrains; "tags" for every tag key and value
	// (the provider's default tags included).
	Arg string
	// Max is the longest value allowed (characters); 0: no limit.
	Max int
	// Pattern must match the whole value; "" for none.
	Pattern string
	// Source is the documentation it comes from.
	Source string
}

// Rules are the documented constraints the models leave out. Names built
// from a prefix (name_prefix) are checked as the provider completes them:
// the prefix and 26 characters (internal/create/naming.go).
var Rules = []Rule{
	{Types: []string{"*"}, Except: []string{"aws_instance", "aws_ebs_volume", "aws_vpc", "aws_subnet", "aws_security_group", "aws_route_table",
		"aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_vpc_endpoint", "aws_flow_log", "aws_vpc_security_group_egress_rule",
		"aws_vpc_security_group_ingress_rule", "aws_default_security_group"},
		Arg: "tags", Pattern: `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, Max: 256,
		Source: "AWS General Reference, \"Tagging your AWS resources\" › tag naming limits: letters, numbers, spaces representable in UTF-8, and _ . : / = + - @; key ≤ 128, value ≤ 256 (Amazon EC2 allows any character: EC2 user guide, \"Tag restrictions\")"},
	{Types: []string{"aws_s3_bucket"}, Arg: "bucket", Max: 63, Pattern: `[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]`,
		Source: "Amazon S3 user guide, \"General purpose bucket naming rules\""},
	{Types: []string{"aws_lb", "aws_lb_target_group"}, Arg: "name", Max: 32, Pattern: `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?`,
		Source: "Elastic Load Balancing API reference, CreateLoadBalancer and CreateTargetGroup, Name: at most 32 alphanumerics or hyphens, not starting or ending with a hyphen"},
	{Types: []string{"aws_db_instance"}, Arg: "identifier", Max: 63, Pattern: `[A-Za-z](-?[A-Za-z0-9])*`,
		Source: "Amazon RDS API reference, CreateDBInstance, DBInstanceIdentifier: 1-63 letters, digits or hyphens; first a letter; no two consecutive hyphens, no trailing hyphen"},
	{Types: []string{"aws_elasticache_replication_group"}, Arg: "replication_group_id", Max: 40, Pattern: `[A-Za-z](-?[A-Za-z0-9])*`,
		Source: "Amazon ElastiCache API reference, CreateReplicationGroup, ReplicationGroupId: 1-40 letters, digits or hyphens; first a letter; no two consecutive hyphens, no trailing hyphen"},
	{Types: []string{"aws_security_group"}, Arg: "description", Max: 255, Pattern: `[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*`,
		Source: "Amazon EC2 API reference, CreateSecurityGroup, GroupDescription (in VPCs): a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"},
	{Types: []string{"aws_security_group"}, Arg: "name", Max: 255, Pattern: `[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*`,
		Source: "Amazon EC2 API reference, CreateSecurityGroup, GroupName (in VPCs)"},
	{Types: []string{"aws_secretsmanager_secret"}, Arg: "name", Max: 512, Pattern: `[A-Za-z0-9/_+=.@-]+`,
		Source: "AWS Secrets Manager API reference, CreateSecret, Name: ASCII letters, numbers and /_+=.@-"},
	{Types: []string{"aws_db_parameter_group"}, Arg: "name", Max: 255, Pattern: `[a-z](-?[a-z0-9])*`,
		Source: "Amazon RDS API reference, CreateDBParameterGroup, DBParameterGroupName: letters, digits, hyphens; first a letter; no two consecutive hyphens, no trailing hyphen; stored in lower case"},
}

// Finding is a value of a resource that AWS refuses, or a type or
// argument the check cannot reach.
type Finding struct {
	// Where is the resource: "<stack> <type>.<name>".
	Where string
	// Call is the API call ("iam:CreateRole", botocore names).
	Call string
	Violation
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Where, f.Call, f.Violation) }

// Result is what Check found.
type Result struct {
	// Findings are values AWS refuses and unmapped resource types.
	Findings []Finding
	// Checked counts the arguments checked, by resource type.
	Checked map[string]int
	// Unchecked lists, by resource type, arguments that reach no member
	// of the input shape (they go to other calls, or are computed).
	Unchecked map[string][]string
}

// Check validates every resource of the model against its create call's
// input shape and the documented rules.
func Check(models *Models, m *iam.Model) (Result, error) {
	res := Result{Checked: map[string]int{}, Unchecked: map[string][]string{}}
	for _, r := range m.Resources {
		mp, ok := Mappings[r.Type]
		if !ok {
			res.Findings = append(res.Findings, Finding{Where: r.Where(), Call: "?", Violation: Violation{Path: r.Type, Rule: "no mapping to an API operation in apimodel.Mappings: read the provider's create function and add it"}})
			continue
		}
		svc, err := models.Service(mp.Service)
		if err != nil {
			return res, err
		}
		input, err := svc.InputShape(mp.Operation)
		if err != nil {
			return res, err
		}
		call := mp.Service + ":" + mp.Operation
		values := map[string]any{}
		for _, arg := range slices.Sorted(maps.Keys(r.Args)) {
			if arg == "tags" || arg == "tags_all" {
				continue
			}
			target, listed := mp.Args[arg]
			if target == "-" {
				continue
			}
			if !listed {
				if _, _, ok := svc.member(svc.Shapes[input], arg); !ok {
					res.Unchecked[r.Type] = appendOnce(res.Unchecked[r.Type], arg)
					continue
				}
				target = arg
			}
			v := r.Args[arg]
			if arg == "name_prefix" {
				v = fmt.Sprint(v) + strings.Repeat("0", 26)
			}
			setPath(values, target, v)
			res.Checked[r.Type]++
		}
		for _, v := range svc.Check(input, "", values) {
			res.Findings = append(res.Findings, Finding{Where: r.Where(), Call: call, Violation: v})
		}
		for _, v := range checkTags(svc, input, r) {
			res.Findings = append(res.Findings, Finding{Where: r.Where(), Call: call, Violation: v})
		}
		for _, v := range checkRules(r) {
			res.Findings = append(res.Findings, Finding{Where: r.Where(), Call: call, Violation: v})
		}
	}
	return res, nil
}

// checkTags validates the resource's tags (default tags included) against
// the tag shapes of the input's tag member, when it has one.
func checkTags(svc *Service, input string, r *iam.Resource) []Violation {
	sh := svc.Shapes[input]
	var out []Violation
	for _, name := range []string{"Tags", "tags", "TagSpecifications", "BackupVaultTags", "BackupPlanTags"} {
		m, ok := sh.Members[name]
		if !ok {
			continue
		}
		keyShape, valueShape := tagShapes(svc, m.Shape)
		for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
			if keyShape != "" {
				out = append(out, svc.Check(keyShape, name+" key", k)...)
			}
			if valueShape != "" {
				out = append(out, svc.Check(valueShape, name+"."+k, r.Tags[k])...)
			}
		}
		break
	}
	return out
}

// tagShapes finds the key and value shapes of a tag member: a list of
// {Key, Value} structures, a map, or EC2's TagSpecifications.
func tagShapes(svc *Service, shape string) (string, string) {
	sh := svc.Shapes[shape]
	switch sh.Type {
	case "map":
		return sh.Key.Shape, sh.Value.Shape
	case "list":
		el := svc.Shapes[sh.Member.Shape]
		if tags, ok := el.Members["Tags"]; ok {
			return tagShapes(svc, tags.Shape)
		}
		return el.Members["Key"].Shape, el.Members["Value"].Shape
	}
	return "", ""
}

var rulePatterns = map[string]*regexp.Regexp{}

func checkRules(r *iam.Resource) []Violation {
	var out []Violation
	for _, rule := range Rules {
		if !applies(rule, r.Type) {
			continue
		}
		var values map[string]string
		if rule.Arg == "tags" {
			values = map[string]string{}
			for k, v := range r.Tags {
				values["tag key "+k] = k
				values["tag "+k] = v
			}
		} else {
			v, ok := r.Args[rule.Arg].(string)
			if !ok && rule.Arg == "name" {
				if p, ok2 := r.Args["name_prefix"].(string); ok2 {
					v, ok = p+strings.Repeat("0", 26), true
				}
			}
			if !ok || strings.Contains(v, "${") {
				continue
			}
			values = map[string]string{rule.Arg: v}
		}
		re, seen := rulePatterns[rule.Pattern]
		if !seen && rule.Pattern != "" {
			re = regexp.MustCompile(`^(?:` + rule.Pattern + `)$`)
			rulePatterns[rule.Pattern] = re
		}
		for _, path := range slices.Sorted(maps.Keys(values)) {
			v := values[path]
			max := rule.Max
			if strings.HasPrefix(path, "tag key ") {
				max = 128
			}
			if max > 0 && len([]rune(v)) > max {
				out = append(out, Violation{Path: path, Value: v, Rule: fmt.Sprintf("%d characters, over the documented %d (%s)", len([]rune(v)), max, rule.Source)})
			}
			if re != nil && !re.MatchString(v) {
				out = append(out, Violation{Path: path, Value: v, Rule: "a character the service refuses (" + rule.Source + ")"})
			}
		}
	}
	return out
}

func applies(rule Rule, typ string) bool {
	for _, e := range rule.Except {
		if e == typ {
			return false
		}
	}
	for _, t := range rule.Types {
		if t == "*" || t == typ {
			return true
		}
	}
	return false
}

// setPath sets a dotted member path in a nested map.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	list = append(list, s)
	sort.Strings(list)
	return list
}
