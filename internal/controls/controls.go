// Package controls is the policy suite: security and correctness controls
// read from the synthesized Terraform JSON, the way a scanner reads it. Each
// control names the checkov and trivy rules it mirrors. They cover what the
// scanners miss or see badly in Terraform JSON — above all the separate
// security-group rule resources trivy does not evaluate — and the project's
// own rules (CMK everywhere, production protections, least privilege).
//
// The controls live in one file per family (compute, encryption, storage,
// network, logging, edge, data_protection, tagging, secrets, iam,
// operations); this file lists them (All) and runs them (Run). Beside each
// family, its _test.go proves every condition of every control on small
// hand-written stacks shaped like cdktf's JSON, where that control and no
// other fails.
package controls

import (
	"sort"

	"github.com/influencegen/infrastructure/internal/stack"
)

// Control is one check.
type Control struct {
	// ID is this suite's identifier, e.g. "IG-IMDS".
	ID string
	// Mirrors names the checkov and trivy rules the control corresponds to.
	Mirrors string
	// Title says what the control requires.
	Title string
	// Check returns one finding per violating resource ("type.name: why").
	Check func(s stack.Stack, production bool) []string
}

// All is the suite, in a fixed order.
var All = []Control{
	{"IG-IMDS", "CKV_AWS_79, CKV_AWS_341 / AVD-AWS-0028", "IMDSv2 required (hop limit 1) on every instance and launch template", imdsv2},
	{"IG-EBS-CMK", "CKV_AWS_8, CKV_AWS_189, CKV_AWS_3 / AVD-AWS-0026, AVD-AWS-0027", "EBS root and data volumes encrypted with a customer-managed key", ebsCMK},
	{"IG-RDS-CMK", "CKV_AWS_16, CKV_AWS_354 / AVD-AWS-0080, AVD-AWS-0133", "RDS storage and Performance Insights encrypted with a CMK", rdsCMK},
	{"IG-EFS-CMK", "CKV_AWS_42, CKV_AWS_184 / AVD-AWS-0037", "EFS encrypted with a CMK", efsCMK},
	{"IG-CACHE-ENC", "CKV_AWS_29, CKV_AWS_30, CKV_AWS_191 / AVD-AWS-0045, AVD-AWS-0051", "ElastiCache encrypted at rest with a CMK and in transit", cacheEncryption},
	{"IG-S3", "CKV_AWS_145, CKV_AWS_21, CKV_AWS_53-56, CKV2_AWS_6 / AVD-AWS-0132, AVD-AWS-0090, AVD-AWS-0086..0094", "S3 buckets: SSE-KMS with a CMK, versioning, all public access blocked, TLS-only policy", s3Buckets},
	{"IG-SNS-CMK", "CKV_AWS_26 / AVD-AWS-0095, AVD-AWS-0136", "SNS topics encrypted with a CMK", snsCMK},
	{"IG-LOGS", "CKV_AWS_158, CKV_AWS_338 / AVD-AWS-0017", "CloudWatch log groups encrypted with a CMK and retained for a bounded time", logGroups},
	{"IG-SECRETS-CMK", "CKV_AWS_149 / AVD-AWS-0098", "Secrets Manager secrets encrypted with a CMK", secretsCMK},
	{"IG-KMS-ROTATION", "CKV_AWS_7 / AVD-AWS-0065", "KMS keys rotate", kmsRotation},
	{"IG-NO-PUBLIC-IP", "CKV_AWS_88, CKV_AWS_130 / AVD-AWS-0009, AVD-AWS-0164", "No public IPs on instances or subnets", noPublicIPs},
	{"IG-NO-PUBLIC-DB", "CKV_AWS_17 / AVD-AWS-0180, AVD-AWS-0082", "No publicly accessible database", noPublicDB},
	{"IG-INGRESS", "CKV_AWS_24, CKV_AWS_25, CKV_AWS_260 / AVD-AWS-0107, AVD-AWS-0104", "No world-open ingress except the load balancer's 80/443; no inline rules", ingress},
	{"IG-ALB", "CKV_AWS_2, CKV_AWS_103, CKV_AWS_131, CKV2_AWS_28 / AVD-AWS-0054, AVD-AWS-0047, AVD-AWS-0052", "ALB: HTTP redirects to HTTPS, TLS 1.3 policy, invalid headers dropped, WAF attached", alb},
	{"IG-PROD-PROTECT", "CKV_AWS_293, CKV_AWS_133, CKV_AWS_150, CKV2_AWS_18, CKV2_AWS_60 / AVD-AWS-0077, AVD-AWS-0177", "Production: deletion protection and prevent_destroy on everything stateful, backups, final snapshots, termination protection", productionProtection},
	{"IG-FLOW-LOGS", "CKV2_AWS_11 / AVD-AWS-0178", "Every VPC has flow logs", flowLogs},
	{"IG-TAGS", "CKV_AWS_* tagging policy (custom) / AVD tagging (custom)", "Every stack tags everything: default tags Project, Environment, ManagedBy, Repository", tags},
	{"IG-NO-LITERAL-SECRETS", "CKV_SECRET_2, CKV_SECRET_6 / trivy secret scanning", "No literal secret in any attribute", noLiteralSecrets},
	{"IG-IAM-LEAST-PRIVILEGE", "CKV_AWS_1, CKV_AWS_62, CKV_AWS_290, CKV_AWS_355 / AVD-AWS-0057", "No IAM policy allows * actions on * resources; no trust policy trusts everyone", iamLeastPrivilege},
	{"IG-IAM-BOUNDARY", "custom (IAM User Guide, permissions boundaries)", "Every role an environment stack creates carries a permissions boundary, the only kind its deploy role may create", iamBoundary},
	{"IG-REPLACEABLE", "custom (docs/deploy-readiness.md D8-D10)", "A resource replaced create-before-destroy does not keep a fixed name the new one would collide with", replaceable},
	{"IG-REDEPLOYABLE", "custom (docs/deploy-readiness.md D11-D13)", "Outside production, a destroy empties buckets and frees secret names, and every final snapshot has its own name", redeployable},
	{"IG-DATA-STAYS", "custom (docs/deploy-readiness.md D14, D15)", "Stateful resources never take a replaced-with-the-server value (a volume's zone from its instance) and subnets are pinned to zone IDs", dataStays},
	{"IG-EC2-RECOVER", "custom (EC2 User Guide, Recover your instance)", "EC2 recover alarm actions only for instance types that support automatic recovery", ec2Recover},
	{"IG-WAF", "CKV2_AWS_31 / AVD-AWS-0070 (logging)", "Every web ACL logs to an aws-waf-logs- group, redacting credentials, and matches only labels the managed rules really add", wafControl},
	{"IG-EFS-ACCESS", "CKV_AWS_184 (custom extension)", "EFS is mounted through an access point with a fixed POSIX user; no policy grants root access", efsAccess},
	{"IG-IAM-DELEGATION", "CKV_AWS_286, CKV_AWS_289 / custom", "Role writes are delegated only with a permissions boundary: iam:PermissionsBoundary on CreateRole/Put*/AttachRolePolicy, iam:PolicyARN on AttachRolePolicy, boundary removal and edits denied", iamBoundaryDelegation},
	{"IG-STATE-LIST", "custom (Terraform S3 backend)", "A role that lists its Terraform state may also list the backend's workspace prefix env:/", stateListing},
	{"IG-BACKUP", "CKV_AWS_166 / AVD-AWS-0179 (custom extension)", "Backup vaults are encrypted with a CMK; production's are locked, and its plan keeps recovery points 35 days or more and copies them to another region", backupControl},
	{"IG-BUDGET", "custom (AWS Well-Architected COST02-BP05)", "Every stack that runs servers has a monthly cost budget that notifies someone", budgetControl},
	{"IG-NO-PROD-SCHEDULE", "custom (Scale.OffHours)", "No schedule stops production's servers", noProductionSchedule},
	{"IG-CI-PLAN-ROLE", "CKV_AWS_358 / custom", "GitHub OIDC roles pin audience and exact subjects; a role pull requests can assume writes no object and reads no object but state and model manifests (file names, sizes and hashes: the deploy preflight's), and no secret outside one environment", githubPlanRoles},
}

// Run applies every control to a stack and returns findings by control ID.
func Run(s stack.Stack, production bool) map[string][]string {
	out := map[string][]string{}
	for _, c := range All {
		if f := c.Check(s, production); len(f) > 0 {
			sort.Strings(f)
			out[c.ID] = f
		}
	}
	return out
}
