package e2etest

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/synth"
)

// TestPolicySuite: every control passes on every real stack (production's
// protections apply to the reference environment).
func TestPolicySuite(t *testing.T) {
	kinds := map[string]environments.Kind{}
	for _, e := range envs {
		kinds[e.StackName()] = e.Kind
	}
	for _, name := range platform.StackNames(envs) {
		t.Run(name, func(t *testing.T) {
			s, ok := stacks[name]
			if !ok {
				t.Fatalf("no stack %s", name)
			}
			for id, findings := range controls.Run(s, kinds[name] == environments.Reference) {
				t.Errorf("%s: %d finding(s):\n  %s", id, len(findings), strings.Join(findings, "\n  "))
			}
		})
	}
}

// TestPolicySuiteCatchesTheBadFixture: each control flags the deliberately
// bad stack, naming the offending resource.
func TestPolicySuiteCatchesTheBadFixture(t *testing.T) {
	s, ok := stacks[policyFixtureStack]
	if !ok {
		t.Fatal("the fixture stack was not synthesized")
	}
	found := controls.Run(s, true)
	expect := map[string]string{
		"IG-IMDS":                "aws_instance.server",
		"IG-EBS-CMK":             "aws_ebs_volume.volume",
		"IG-RDS-CMK":             "aws_db_instance.db",
		"IG-EFS-CMK":             "aws_efs_file_system.efs",
		"IG-CACHE-ENC":           "aws_elasticache_replication_group.redis",
		"IG-S3":                  "aws_s3_bucket.bucket",
		"IG-SNS-CMK":             "aws_sns_topic.topic",
		"IG-LOGS":                "aws_cloudwatch_log_group.logs",
		"IG-SECRETS-CMK":         "aws_secretsmanager_secret.secret",
		"IG-KMS-ROTATION":        "aws_kms_key.key",
		"IG-NO-PUBLIC-IP":        "aws_subnet.public",
		"IG-NO-PUBLIC-DB":        "aws_db_instance.db",
		"IG-INGRESS":             "aws_vpc_security_group_ingress_rule.ssh-from-world",
		"IG-ALB":                 "aws_lb_listener.https",
		"IG-PROD-PROTECT":        "aws_db_instance.db",
		"IG-FLOW-LOGS":           "aws_vpc.vpc",
		"IG-TAGS":                "provider.aws[0]",
		"IG-NO-LITERAL-SECRETS":  "aws_db_instance.db: password",
		"IG-IAM-LEAST-PRIVILEGE": "aws_iam_role_policy.admin: allows * on *",
		"IG-IAM-BOUNDARY":        "aws_iam_role.role: no permissions boundary",
		"IG-REPLACEABLE":         "aws_security_group.named: create_before_destroy with a fixed name",
		"IG-REDEPLOYABLE":        "aws_db_instance.db-final: a fixed final snapshot name",
		"IG-DATA-STAYS":          "aws_subnet.public: not pinned to a literal zone ID",
		"IG-EC2-RECOVER":         `aws_cloudwatch_metric_alarm.recover-gpu: recover action on "g5.xlarge"`,
		"IG-WAF":                 "aws_wafv2_web_acl.waf: no logging",
		"IG-EFS-ACCESS":          "aws_efs_file_system.efs: no access point",
		"IG-IAM-DELEGATION":      `aws_iam_role_policy.old-deploy: statement "ManageOwnIAM" allows iam:CreateRole without an iam:PermissionsBoundary condition`,
		"IG-STATE-LIST":          `aws_iam_role_policy.old-deploy: statement "ListOwnStatePrefix" lists Terraform state but not the workspace prefix env:/`,
		"IG-CI-PLAN-ROLE":        "aws_iam_role.old-plan: trusted for pull requests, and old-plan-policy allows s3:PutObject",
		"IG-BACKUP":              "aws_backup_vault.vault: no customer-managed key",
		"IG-BUDGET":              "aws_budgets_budget: none in a stack that runs servers",
		"IG-NO-PROD-SCHEDULE":    "aws_scheduler_schedule.nightly-stop: stops production servers on a schedule",
	}
	if len(expect) != len(controls.All) {
		t.Fatalf("%d controls but %d expectations: every control needs a failing case", len(controls.All), len(expect))
	}
	for _, c := range controls.All {
		want, ok := expect[c.ID]
		if !ok {
			t.Errorf("%s has no failing case", c.ID)
			continue
		}
		if !strings.Contains(strings.Join(found[c.ID], "\n"), want) {
			t.Errorf("%s (%s) did not catch %s; found:\n  %s", c.ID, c.Mirrors, want, strings.Join(found[c.ID], "\n  "))
		}
		if c.Mirrors == "" || c.Title == "" {
			t.Errorf("%s must name the checkov/trivy rules it mirrors", c.ID)
		}
	}
	for id, want := range map[string][]string{
		"IG-IAM-DELEGATION": {
			`old-deploy: statement "ManageOwnIAM" allows iam:AttachRolePolicy of any policy`,
			"old-deploy: delegates role writes but does not deny iam:DeleteRolePermissionsBoundary",
		},
		"IG-CI-PLAN-ROLE": {
			"old-plan: trusted for pull requests, and old-plan-policy reads secrets arn:aws:secretsmanager:*:123456789012:secret:fixture/*",
			"old-plan: trusted for pull requests without an explicit Deny of s3:GetObject",
		},
	} {
		for _, w := range want {
			if !strings.Contains(strings.Join(found[id], "\n"), w) {
				t.Errorf("%s did not report %q; found:\n  %s", id, w, strings.Join(found[id], "\n  "))
			}
		}
	}
	// Outside production, a destroy must leave the names free.
	dev := strings.Join(controls.Run(s, false)["IG-REDEPLOYABLE"], "\n")
	for _, want := range []string{"aws_s3_bucket.bucket: no force_destroy", "aws_secretsmanager_secret.secret: a 30-day recovery window"} {
		if !strings.Contains(dev, want) {
			t.Errorf("IG-REDEPLOYABLE (non-production) did not catch %s; found:\n%s", want, dev)
		}
	}
	for id, also := range map[string]string{
		"IG-IAM-LEAST-PRIVILEGE": "aws_iam_role.role: trusts every principal",
		"IG-REPLACEABLE":         "aws_lb_target_group.tg: a target group must be replaced create-before-destroy",
		"IG-WAF":                 `matches label "awswaf:managed:aws:core-rule-set:CrossSiteScripting_BODY", which no managed rule adds`,
		"IG-BACKUP":              "aws_backup_vault.vault: not locked",
		"IG-PROD-PROTECT":        "aws_ebs_volume.volume: in no AWS Backup selection",
	} {
		if !strings.Contains(strings.Join(found[id], "\n"), also) {
			t.Errorf("%s did not catch %s; found:\n  %s", id, also, strings.Join(found[id], "\n  "))
		}
	}
}

// TestNoDuplicatePhysicalNames: the stacks of one account never claim the
// same name twice, and the check catches a stack deployed twice under
// another stack name.
func TestNoDuplicatePhysicalNames(t *testing.T) {
	real := map[string]synth.Stack{}
	for _, name := range platform.StackNames(envs) {
		real[name] = stacks[name]
	}
	if d := controls.DuplicateNames(real); len(d) != 0 {
		t.Errorf("duplicate physical names:\n  %s", strings.Join(d, "\n  "))
	}
	real["staging-copy-stack"] = stacks["staging-stack"]
	d := controls.DuplicateNames(real)
	if len(d) < 50 || !strings.Contains(strings.Join(d, "\n"), `aws_s3_bucket "`) {
		t.Errorf("a second copy of staging collides on only %d names:\n%s", len(d), strings.Join(d, "\n"))
	}
}
