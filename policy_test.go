package main

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
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
		"IG-IAM-DELEGATION":      `aws_iam_role_policy.old-deploy: statement "ManageOwnIAM" allows iam:CreateRole without an iam:PermissionsBoundary condition`,
		"IG-STATE-LIST":          `aws_iam_role_policy.old-deploy: statement "ListOwnStatePrefix" lists Terraform state but not the workspace prefix env:/`,
		"IG-CI-PLAN-ROLE":        "aws_iam_role.old-plan: trusted for pull requests, and old-plan-policy allows s3:PutObject",
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
	if !strings.Contains(strings.Join(found["IG-IAM-LEAST-PRIVILEGE"], "\n"), "aws_iam_role.role: trusts every principal") {
		t.Error("a trust policy trusting everyone was not caught")
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
}
