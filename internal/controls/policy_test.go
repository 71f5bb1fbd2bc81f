package controls

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/stack"
)

// The policy evaluator against the IAM User Guide's rules ("Policy
// evaluation logic"; "IAM JSON policy elements": NotAction, NotResource,
// condition operators), on one-statement documents written here: a
// statement applies to a request only when its action and resource
// elements both match; NotAction/NotResource match everything but what
// they list; actions compare case-insensitively, resources
// case-sensitively; an explicit Deny wins over any Allow.

func mustParse(t *testing.T, text string) []Statement {
	t.Helper()
	doc, err := ParsePolicy(`{"Version":"2012-10-17","Statement":[` + text + `]}`)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestStatementCovers(t *testing.T) {
	const bucket = "arn:aws:s3:::data/*"
	cases := []struct {
		name             string
		statement        string
		action, resource string
		want             bool
	}{
		{"listed action on listed resource", `{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + bucket + `"}`, "s3:GetObject", "arn:aws:s3:::data/a", true},
		{"actions compare without case", `{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}`, "s3:GetObject", "x", true},
		{"other action", `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`, "s3:PutObject", "x", false},
		{"action wildcard", `{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`, "s3:GetObjectTagging", "x", true},
		{"other resource", `{"Effect":"Allow","Action":"s3:*","Resource":"` + bucket + `"}`, "s3:GetObject", "arn:aws:s3:::logs/a", false},
		{"resources compare with case", `{"Effect":"Allow","Action":"s3:*","Resource":"` + bucket + `"}`, "s3:GetObject", "arn:aws:s3:::DATA/a", false},
		{"NotAction: every other action", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "s3:GetObject", "x", true},
		{"NotAction: not the listed ones", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "iam:PassRole", "x", false},
		{"NotResource: every other resource", `{"Effect":"Deny","Action":"s3:GetObject","NotResource":"` + bucket + `"}`, "s3:GetObject", "arn:aws:s3:::logs/a", true},
		{"NotResource: not the listed ones", `{"Effect":"Deny","Action":"s3:GetObject","NotResource":"` + bucket + `"}`, "s3:GetObject", "arn:aws:s3:::data/a", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustParse(t, c.statement)[0].Covers(c.action, c.resource); got != c.want {
				t.Fatalf("%s covers %s on %s = %v, want %v", c.statement, c.action, c.resource, got, c.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*d", "abc", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"?", "", false},
		{"abc", "abd", false},
		{"ab", "abc", false},
	} {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	allow := `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`
	denyOutsideVPC := `{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}`
	onlyTagged := `{"Effect":"Allow","Action":"ec2:StopInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Env":["dev","staging"]}}}`
	likeARN := `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"ArnLike":{"iam:AssociatedResourceArn":"arn:aws:ec2:*:*:instance/*"}}}`
	cases := []struct {
		name, doc, action string
		ctx               map[string][]string
		want              Decision
	}{
		{"nothing allows it", `{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`, "s3:GetObject", nil, ImplicitDeny},
		{"an Allow", allow, "s3:GetObject", nil, Allowed},
		{"a Deny wins", allow + "," + denyOutsideVPC, "s3:GetObject", map[string][]string{"aws:SourceVpc": {"vpc-2"}}, ExplicitDeny},
		{"a Deny whose condition fails", allow + "," + denyOutsideVPC, "s3:GetObject", map[string][]string{"aws:SourceVpc": {"vpc-1"}}, Allowed},
		{"a negated condition holds for an absent key", allow + "," + denyOutsideVPC, "s3:GetObject", nil, ExplicitDeny},
		{"a condition on a value listed", onlyTagged, "ec2:StopInstances", map[string][]string{"aws:ResourceTag/Env": {"staging"}}, Allowed},
		{"a condition on a value not listed", onlyTagged, "ec2:StopInstances", map[string][]string{"aws:ResourceTag/Env": {"production"}}, ImplicitDeny},
		{"a condition on an absent key", onlyTagged, "ec2:StopInstances", nil, ImplicitDeny},
		{"a Like condition matching", likeARN, "iam:PassRole", map[string][]string{"iam:AssociatedResourceArn": {"arn:aws:ec2:eu-central-1:123456789012:instance/i-1"}}, Allowed},
		{"ForAnyValue: one value listed", `{"Effect":"Allow","Action":"ec2:StopInstances","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["Env","Owner"]}}}`,
			"ec2:StopInstances", map[string][]string{"aws:TagKeys": {"Cost", "Owner"}}, Allowed},
		{"ForAnyValue: no value listed", `{"Effect":"Allow","Action":"ec2:StopInstances","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["Env","Owner"]}}}`,
			"ec2:StopInstances", map[string][]string{"aws:TagKeys": {"Cost"}}, ImplicitDeny},
		{"a Like condition not matching", likeARN, "iam:PassRole", map[string][]string{"iam:AssociatedResourceArn": {"arn:aws:lambda:eu-central-1:123456789012:function:f"}}, ImplicitDeny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Evaluate(mustParse(t, c.doc), c.action, "arn:aws:s3:::data/a", c.ctx); got != c.want {
				t.Fatalf("%s: %s, want %s", c.action, got, c.want)
			}
		})
	}
}

// TestAllowsAny: the actions an Allow grants on some resource; a Deny, or
// a statement naming no action, grants none.
func TestAllowsAny(t *testing.T) {
	cases := []struct {
		statement string
		want      string
	}{
		{`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}`, "s3:PutObject"},
		{`{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"}`, "s3:PutObject"},
		{`{"Effect":"Allow","NotAction":["s3:PutObject","s3:DeleteObject"],"Resource":"*"}`, ""},
		{`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`, ""},
		{`{"Effect":"Deny","Action":"s3:*","Resource":"*"}`, ""},
		{`{"Effect":"Allow","Resource":"*"}`, ""},
	}
	for _, c := range cases {
		if got := allowsAny(mustParse(t, c.statement)[0], "s3:PutObject", "s3:DeleteObject"); got != c.want {
			t.Errorf("%s allows %q, want %q", c.statement, got, c.want)
		}
	}
}

// TestBlock: cdktf writes a block as an object or a one-element list; an
// empty list is no block.
func TestBlock(t *testing.T) {
	if got := block(l{}); got != nil {
		t.Errorf("block of an empty list = %v, want none", got)
	}
	if got := block(l{m{"a": 1}}); got["a"] != 1 {
		t.Errorf("block of a list = %v", got)
	}
	if got := block(m{"a": 1}); got["a"] != 1 {
		t.Errorf("block of an object = %v", got)
	}
	if got := block("x"); got != nil {
		t.Errorf("block of a string = %v, want none", got)
	}
}

// TestDuplicateNamesInOneStack: two resources of one stack with one name
// are reported once, the later (by logical name) as the copy of the
// earlier, also when the stack's provider sets no region.
func TestDuplicateNamesInOneStack(t *testing.T) {
	s := build(false, parts(logGroup))
	if err := add(part{"aws_cloudwatch_log_group": m{"copy": m{"name": "/influencegen-fixture/odoo/app"}}})(s); err != nil {
		t.Fatal(err)
	}
	s["provider"].(map[string]any)["aws"] = []any{}
	got := DuplicateNames(map[string]stack.Stack{"a": s})
	want := `aws_cloudwatch_log_group "/influencegen-fixture/odoo/app" (a:aws_cloudwatch_log_group.copy) is also a:aws_cloudwatch_log_group.app`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("got %q, want one %q", got, want)
	}
}
