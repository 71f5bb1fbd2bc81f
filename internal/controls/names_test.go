package controls

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/stack"
)

// TestDuplicateNames: two stacks of one account collide on a name unique
// in the account (IAM, S3, budgets) wherever they are, and on a regional
// name only in one region.
func TestDuplicateNames(t *testing.T) {
	inRegion := func(region string, ps ...part) stack.Stack {
		s := build(false, ps)
		if err := set("provider.aws.0.region", region)(s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct {
		name  string
		a, b  stack.Stack
		wants []string // substrings of the duplicates; none: no duplicate
	}{
		{"one bucket name in two regions", inRegion("eu-central-1", key, bucket), inRegion("eu-west-1", key, bucket),
			[]string{`aws_s3_bucket "influencegen-fixture-backups-${data.aws_caller_identity.caller.account_id}" (b:aws_s3_bucket.data) is also a:aws_s3_bucket.data`}},
		{"one role name in two regions", inRegion("eu-central-1", serverRole), inRegion("us-east-1", serverRole),
			[]string{`aws_iam_role "influencegen-fixture-odoo"`}},
		{"one budget name in two regions", inRegion("eu-central-1", server), inRegion("eu-west-1", server),
			[]string{`aws_budgets_budget "influencegen-fixture-monthly"`}},
		{"one log group name in one region", inRegion("eu-central-1", logGroup), inRegion("eu-central-1", logGroup),
			[]string{`aws_cloudwatch_log_group "/influencegen-fixture/odoo/app"`}},
		{"one security group prefix in one region", inRegion("eu-central-1", network), inRegion("eu-central-1", network),
			[]string{`aws_security_group "influencegen-fixture-odoo-"`}},
		{"one log group name in two regions", inRegion("eu-central-1", logGroup), inRegion("eu-west-1", logGroup), nil},
		{"different names", inRegion("eu-central-1", logGroup), inRegion("eu-central-1", topic), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := DuplicateNames(map[string]stack.Stack{"a": c.a, "b": c.b})
			if len(c.wants) == 0 && len(got) > 0 {
				t.Fatalf("no duplicate expected, got:\n  %s", strings.Join(got, "\n  "))
			}
			for _, w := range c.wants {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("missing %s in:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
		})
	}
}
