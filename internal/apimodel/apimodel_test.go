package apimodel

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/iam"
)

var shared *Models

// models loads each service model once for the whole test binary.
func models(t *testing.T) *Models {
	t.Helper()
	if shared == nil {
		dir, err := FindData()
		if err != nil {
			t.Fatal(err)
		}
		shared = &Models{Dir: dir}
	}
	return shared
}

// stack is a one-resource-per-type stack with the provider's default tags.
func stack(resources map[string]map[string]any) map[string]iam.Stack {
	res := map[string]any{}
	for typ, args := range resources {
		res[typ] = map[string]any{"r": args}
	}
	return map[string]iam.Stack{"app-stack": {
		"provider": map[string]any{"aws": []any{map[string]any{"region": "eu-central-1", "allowed_account_ids": []any{"111122223333"},
			"default_tags": []any{map[string]any{"tags": map[string]any{"Environment": "app"}}}}}},
		"resource": res,
	}}
}

func check(t *testing.T, resources map[string]map[string]any) Result {
	t.Helper()
	m, err := iam.Load(stack(resources))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(models(t), m)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPlanted: each planted value fails with the resource, the call and
// the reason; the good twin of each passes.
func TestPlanted(t *testing.T) {
	trust := `{"Version":"2012-10-17","Statement":[]}`
	cases := []struct {
		name      string
		resources map[string]map[string]any
		want      []string // substrings of the one finding; none: no finding
	}{
		{"a good role", map[string]map[string]any{"aws_iam_role": {"name": strings.Repeat("r", 64), "assume_role_policy": trust, "description": "Servers (app)"}}, nil},
		{"a name over its API length", map[string]map[string]any{"aws_iam_role": {"name": strings.Repeat("r", 65), "assume_role_policy": trust}},
			[]string{"app-stack aws_iam_role.r", "iam:CreateRole", "RoleName", "65 characters, over roleNameType's max 64"}},
		{"a good bucket tag", map[string]map[string]any{"aws_s3_bucket": {"bucket": "app-bucket", "tags": map[string]any{"Purpose": "Ansible: community.aws.aws_ssm"}}}, nil},
		{"a tag value with a character the service refuses", map[string]map[string]any{"aws_s3_bucket": {"bucket": "app-bucket", "tags": map[string]any{"Purpose": "Ansible (community.aws.aws_ssm)"}}},
			[]string{"aws_s3_bucket.r", "s3:CreateBucket", "tag Purpose", "a character the service refuses", "Tagging your AWS resources"}},
		{"a good load balancer", map[string]map[string]any{"aws_lb": {"name": "app-edge", "load_balancer_type": "application"}}, nil},
		{"an enum value the API does not list", map[string]map[string]any{"aws_lb": {"name": "app-edge", "load_balancer_type": "applicaton"}},
			[]string{"aws_lb.r", "elbv2:CreateLoadBalancer", "Type", `"applicaton"`, "not one of LoadBalancerTypeEnum's enum"}},
		{"a documented name rule the model leaves out", map[string]map[string]any{"aws_lb": {"name": "app-edge-", "load_balancer_type": "application"}},
			[]string{"aws_lb.r", "name", "a character the service refuses", "not starting or ending with a hyphen"}},
		{"a pattern of the model", map[string]map[string]any{"aws_wafv2_web_acl": {"name": "app", "scope": "REGIONAL", "description": "rules (count mode)"}},
			[]string{"wafv2:CreateWebACL", "Description", "does not match EntityDescription's pattern"}},
		{"an unmapped resource type", map[string]map[string]any{"aws_sqs_queue": {"name": "q"}},
			[]string{"aws_sqs_queue.r", "no mapping to an API operation"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := check(t, c.resources)
			if len(c.want) == 0 {
				if len(res.Findings) > 0 {
					t.Errorf("findings on a good value: %v", res.Findings)
				}
				return
			}
			if len(res.Findings) != 1 {
				t.Fatalf("want one finding, got %v", res.Findings)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Findings[0].String(), w) {
					t.Errorf("%q does not say %q", res.Findings[0], w)
				}
			}
		})
	}
}

func TestEveryMappingNamesARealOperation(t *testing.T) {
	ms := models(t)
	for typ, mp := range Mappings {
		svc, err := ms.Service(mp.Service)
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		input, err := svc.InputShape(mp.Operation)
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		for arg, target := range mp.Args {
			if target == "-" {
				continue
			}
			first := strings.Split(target, ".")[0]
			if _, ok := svc.Shapes[input].Members[first]; !ok {
				t.Errorf("%s: argument %s maps to %s, not a member of %s", typ, arg, target, input)
			}
		}
	}
}

func TestCompilePattern(t *testing.T) {
	for _, c := range []struct {
		pattern, value string
		match          bool
	}{
		{`[\w+=,.@-]+`, "influencegen-dev-odoo", true},
		{`[\w+=,.@-]+`, "has space", false},
		{`^[\u0009\u000A\u000D\u0020-\u00FF]+$`, "plain", true},
		{`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, "a (b)", false},
	} {
		re := compilePattern(c.pattern)
		if re == nil || re.MatchString(c.value) != c.match {
			t.Errorf("%s on %q: want %v", c.pattern, c.value, c.match)
		}
	}
}
