// Package cicd creates what GitHub Actions needs to deploy without
// long-lived keys: the GitHub OIDC identity provider, one deploy role per
// environment, one read-only plan role per environment, and one
// permissions boundary per environment.
//
// A deploy role is trusted only for jobs of the configured repository that
// run in the GitHub environment of the same name (so production's role needs
// the production environment's required reviewers). It may:
//   - read and write only its own state object and lock file, with the
//     state key;
//   - manage the platform's services in its own region only (Budgets, a
//     global API, on its own budgets);
//   - manage IAM roles and instance profiles named "<project>-<env>-*"
//     only, and pass those roles only to the services they trust;
//   - create the service-linked roles its resource types need
//     (ServiceLinkedRoles);
//   - touch nothing tagged with another Environment (explicit deny).
//
// Every IAM role an environment creates must carry the environment's
// permissions boundary (BoundaryArn): the deploy role may create, change
// and attach policies to roles only with it, attach only the AWS managed
// policies listed in AttachableManagedPolicies, and never remove a boundary
// or edit one; so the most a pipeline can mint is a role of its own
// environment that can do what the boundary allows.
//
// One plan role per environment (pull-request plans and the nightly drift
// check) has AWS's ReadOnlyAccess, reads only its own state (without the
// lock: the workflows plan with -lock=false) and its own generated secrets,
// which `terraform plan` refreshes, and is explicitly denied every object
// but its state, every other secret and other data reads. Who may assume it
// is the environment's PlanAccess.
package cicd

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamopenidconnectprovider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iampolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/constructs/registry"
	"github.com/influencegen/infrastructure/constructs/secrets"
)

// GitHubOIDC is the issuer of GitHub Actions tokens.
const GitHubOIDC = "token.actions.githubusercontent.com"

// PlanAccess says which GitHub jobs, besides those of the main branch (the
// nightly drift check), may assume an environment's plan role.
type PlanAccess string

const (
	// PlansFromAnyPullRequest trusts every pull_request job of the
	// repository (sandbox environments: nothing in them is worth a reviewer).
	PlansFromAnyPullRequest PlanAccess = "pull-request"
	// PlansThroughGitHubEnvironment trusts jobs that run in the GitHub
	// environment PlanEnvironment(env), which must have required reviewers: a
	// pull request's workflow can be edited by its author, so a human looks
	// at it before the job gets the role.
	PlansThroughGitHubEnvironment PlanAccess = "github-environment"
	// PlansFromMainOnly trusts main-branch jobs only (production).
	PlansFromMainOnly PlanAccess = "main-only"
)

// PlanEnvironment is the GitHub environment whose jobs may assume the plan
// role of an environment with PlansThroughGitHubEnvironment: "<env>-plan".
// It is not the deploy environment "<env>", so approving a plan never
// grants the deploy role.
func PlanEnvironment(env string) string { return env + "-plan" }

// Environment is what a deploy role, a plan role and a permissions boundary
// are scoped to.
type Environment struct {
	// Name is the environment, and the GitHub environment trusted.
	Name string
	// Region is where its resources live.
	Region string
	// StateKey is its state object.
	StateKey string
	// PlanAccess says who may assume its plan role besides main-branch jobs.
	// Default (""): PlansFromMainOnly.
	PlanAccess PlanAccess
	// CopyRegion is where its backups are copied (Account.BackupCopyRegion
	// with Scale.BackupCopy): its deploy role manages vaults and keys
	// there. Default: "", none.
	CopyRegion string
	// PlanReads are objects of its buckets its plan role may read besides
	// its state, for the deploy preflight (the model manifests): the
	// statements that grant them, from the bucket's owner, and the object
	// ARNs they name, which the role's deny of every other object read
	// spares. Default: none.
	PlanReads PlanReads
}

// PlanReads are objects a plan role reads besides its state.
type PlanReads struct {
	// Objects are the object ARNs (patterns) it may read.
	Objects []string
	// Statements grant them (s3:GetObject, the key through S3).
	Statements []policy.Statement
}

// Props configures the CI/CD roles.
type Props struct {
	// Info is the account-level context.
	Info envinfo.Info
	// Repository is the GitHub "owner/name" allowed to assume the roles.
	Repository string
	// StateBucket, StateRegion and StateKMSAlias locate the state.
	StateBucket, StateRegion, StateKMSAlias string
	// Environments get one deploy role, plan role and boundary each.
	Environments []Environment
	// AllEnvironments are every environment name (for the tag guard).
	AllEnvironments []string
}

// Roles are the created ARNs, by environment.
type Roles struct {
	// Deploy maps an environment to its deploy role ARN.
	Deploy map[string]string
	// Plan maps an environment to its read-only plan role ARN.
	Plan map[string]string
	// Boundary maps an environment to its permissions-boundary policy ARN.
	Boundary map[string]string
}

// DeployMaxSession is the deploy roles' MaxSessionDuration in seconds (5
// hours): a first deploy's apply may wait 75 minutes for a certificate and
// its first Ansible converge takes hours on production's GPU servers; the
// apply job asks for a session that long (role-duration-seconds), since
// credentials that expire mid-apply leave the state unwritten. Plan roles
// keep one hour.
const DeployMaxSession = 18000

// ServiceLinkedRoles maps every resource type an environment stack may
// create to the AWS service whose service-linked role AWS creates, with the
// caller's permission (iam:CreateServiceLinkedRole), when that resource is
// first created in an account; "" when there is none. A test derives the
// types from the synthesized environment stacks: a type missing here fails
// it, so a new type is looked up before it is deployed.
var ServiceLinkedRoles = map[string]string{
	// Elastic Load Balancing creates AWSServiceRoleForElasticLoadBalancing
	// with the first load balancer.
	"aws_lb": "elasticloadbalancing.amazonaws.com", "aws_lb_listener": "", "aws_lb_listener_rule": "",
	"aws_lb_target_group": "", "aws_lb_target_group_attachment": "",
	// RDS creates AWSServiceRoleForRDS with the first DB instance.
	"aws_db_instance": "rds.amazonaws.com", "aws_db_parameter_group": "", "aws_db_subnet_group": "",
	// ElastiCache creates AWSServiceRoleForElastiCache with the first cluster.
	"aws_elasticache_replication_group": "elasticache.amazonaws.com", "aws_elasticache_parameter_group": "",
	"aws_elasticache_subnet_group": "",
	// EFS creates AWSServiceRoleForAmazonElasticFileSystem with the first
	// file system; automatic backups (backup policy ENABLED) run as AWS
	// Backup's AWSServiceRoleForBackup.
	"aws_efs_file_system": "elasticfilesystem.amazonaws.com", "aws_efs_mount_target": "",
	"aws_efs_file_system_policy": "", "aws_efs_access_point": "", "aws_efs_backup_policy": "backup.amazonaws.com",
	// CloudWatch: PutMetricAlarm creates AWSServiceRoleForCloudWatchEvents
	// for alarms with EC2 actions (CloudWatch API reference, PutMetricAlarm).
	"aws_cloudwatch_metric_alarm": "events.amazonaws.com", "aws_cloudwatch_dashboard": "", "aws_cloudwatch_log_group": "",
	// WAF creates AWSServiceRoleForWAFV2Logging when logging is configured.
	"aws_wafv2_web_acl": "", "aws_wafv2_web_acl_association": "", "aws_wafv2_web_acl_logging_configuration": "wafv2.amazonaws.com",
	// AWS Backup plans run as AWSServiceRoleForBackup for some resource
	// types and create it with the first plan or vault.
	"aws_backup_vault": "backup.amazonaws.com", "aws_backup_plan": "backup.amazonaws.com", "aws_backup_selection": "backup.amazonaws.com",
	"aws_backup_vault_policy": "", "aws_backup_vault_notifications": "", "aws_backup_vault_lock_configuration": "",
	// EventBridge rules (failed backup jobs to the alarm topic) need none.
	"aws_cloudwatch_event_rule": "", "aws_cloudwatch_event_target": "",
	// Systems Manager: maintenance-window tasks registered without a
	// service role run as AWSServiceRoleForAmazonSSM.
	"aws_ssm_maintenance_window": "ssm.amazonaws.com", "aws_ssm_maintenance_window_target": "ssm.amazonaws.com",
	"aws_ssm_maintenance_window_task": "ssm.amazonaws.com", "aws_ssm_parameter": "", "aws_ssm_association": "",
	"aws_ssm_patch_baseline": "", "aws_ssm_patch_group": "",
	// EventBridge Scheduler and Budgets run with the roles given to them.
	"aws_scheduler_schedule": "", "aws_scheduler_schedule_group": "", "aws_budgets_budget": "",
	// Everything else the stacks create needs no service-linked role.
	"aws_acm_certificate": "", "aws_acm_certificate_validation": "", "aws_route53_record": "",
	"aws_default_security_group": "", "aws_security_group": "", "aws_vpc_security_group_egress_rule": "",
	"aws_vpc_security_group_ingress_rule": "", "aws_vpc": "", "aws_subnet": "", "aws_route": "", "aws_route_table": "",
	"aws_route_table_association": "", "aws_internet_gateway": "", "aws_nat_gateway": "", "aws_eip": "",
	"aws_vpc_endpoint": "", "aws_flow_log": "", "aws_instance": "", "aws_ebs_volume": "", "aws_volume_attachment": "",
	"aws_iam_instance_profile": "", "aws_iam_role": "", "aws_iam_role_policy": "", "aws_iam_role_policy_attachment": "",
	"aws_kms_key": "", "aws_kms_alias": "", "aws_secretsmanager_secret": "", "aws_secretsmanager_secret_version": "",
	"aws_sns_topic": "", "aws_sns_topic_policy": "", "aws_sns_topic_subscription": "",
	"aws_s3_bucket": "", "aws_s3_bucket_lifecycle_configuration": "", "aws_s3_bucket_ownership_controls": "",
	"aws_s3_bucket_policy": "", "aws_s3_bucket_public_access_block": "", "aws_s3_bucket_server_side_encryption_configuration": "",
	"aws_s3_bucket_versioning": "",
}

// serviceLinkedServices is the sorted set of services in ServiceLinkedRoles.
func serviceLinkedServices() []string {
	set := map[string]bool{}
	for _, s := range ServiceLinkedRoles {
		if s != "" {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// IAMResourceTypes are the IAM resource types a deploy role can manage; a
// test fails on any other in an environment stack (managed policies, users
// and groups are not delegated).
var IAMResourceTypes = []string{"aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_instance_profile"}

// PassRoleServices are the services a deploy role may pass its
// environment's roles to (iam:PassedToService): each is the service
// principal the role trusts. A test checks every environment role's trust
// principal is here.
var PassRoleServices = []string{
	"ec2.amazonaws.com",            // instance profiles
	"monitoring.rds.amazonaws.com", // RDS enhanced monitoring
	"vpc-flow-logs.amazonaws.com",  // flow logs to CloudWatch Logs
	"backup.amazonaws.com",         // AWS Backup selections
	"scheduler.amazonaws.com",      // EventBridge Scheduler
	"ssm.amazonaws.com",            // SSM Automation and maintenance-window tasks
}

// AttachableManagedPolicies are the AWS managed policies (the part after
// "arn:<partition>:iam::aws:policy/") a deploy role may attach to its
// environment's roles (iam:PolicyARN). A test checks every attachment in
// the environment stacks is one of them.
var AttachableManagedPolicies = []string{
	"AmazonSSMManagedInstanceCore",
	"service-role/AmazonRDSEnhancedMonitoringRole",
	"service-role/AWSBackupServiceRolePolicyForBackup",
	"service-role/AWSBackupServiceRolePolicyForRestores",
}

// deployServices are the services an environment stack manages in its own
// region. backup-storage:MountCapsule is needed to create a backup vault
// with a customer-managed key (AWS Backup developer guide, "Backup vault
// creation"); it is a permission-only action.
var deployServices = []string{
	"ec2:*", "elasticloadbalancing:*", "rds:*", "elasticache:*", "elasticfilesystem:*",
	"kms:*", "secretsmanager:*", "logs:*", "cloudwatch:*", "sns:*", "wafv2:*", "acm:*",
	"ssm:*", "backup:*", "backup-storage:MountCapsule", "scheduler:*", "events:*", "pi:*", "autoscaling:Describe*", "sts:GetCallerIdentity",
}

// copyServices are what an environment stack manages in its backup copy
// region: the copy vault, its lock and its key.
var copyServices = []string{"backup:*", "backup-storage:MountCapsule", "kms:*", "sts:GetCallerIdentity"}

// budgetActions manage AWS Budgets. Budgets is a global service served from
// us-east-1, so aws:RequestedRegion is us-east-1 for every call (IAM user
// guide, "Denies access to AWS based on the requested Region"): they cannot
// live in the region-conditioned statement.
var budgetActions = []string{"budgets:ViewBudget", "budgets:ModifyBudget", "budgets:ListTagsForResource", "budgets:TagResource", "budgets:UntagResource"}

// planDataReads are reads of data, not configuration, that AWS's
// ReadOnlyAccess grants and a plan never needs: object contents, log
// events, console output, database log files, EBS snapshot blocks, table
// items. A plan role refuses them explicitly.
var planDataReads = []string{
	"logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:StartLiveTail",
	"logs:GetLogRecord", "logs:Unmask", "ec2:GetConsoleOutput", "ec2:GetConsoleScreenshot", "ec2:GetPasswordData",
	"rds:DownloadDBLogFilePortion", "rds:DownloadCompleteDBLogFile", "ebs:GetSnapshotBlock", "ebs:ListSnapshotBlocks",
	"ebs:ListChangedBlocks", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
}

type condition = map[string]map[string][]string

// New creates the OIDC provider, the boundaries and the roles.
func New(scope constructs.Construct, id string, p Props) Roles {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	provider := iamopenidconnectprovider.NewIamOpenidConnectProvider(c, jsii.String("github"), &iamopenidconnectprovider.IamOpenidConnectProviderConfig{
		Url:          jsii.String("https://" + GitHubOIDC),
		ClientIdList: jsii.Strings("sts.amazonaws.com"),
		// AWS no longer checks GitHub's thumbprints (it trusts its root CA
		// library for this issuer), but the API still requires the field.
		ThumbprintList: jsii.Strings("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"),
		Tags:           i.Tags(i.Name("github-oidc")),
	})
	trust := func(subjects ...string) string {
		b, _ := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Effect":    "Allow",
				"Principal": map[string]string{"Federated": *provider.Arn()},
				"Action":    "sts:AssumeRoleWithWebIdentity",
				"Condition": map[string]any{
					"StringEquals": map[string]string{GitHubOIDC + ":aud": "sts.amazonaws.com"},
					"StringLike":   map[string][]string{GitHubOIDC + ":sub": subjects},
				},
			}},
		})
		return string(b)
	}
	bucketArn := fmt.Sprintf("arn:%s:s3:::%s", i.Partition, p.StateBucket)
	stateKeyArn := fmt.Sprintf("arn:%s:kms:%s:%s:key/*", i.Partition, p.StateRegion, i.AccountID)
	stateKeyAlias := condition{"ForAnyValue:StringEquals": {"kms:ResourceAliases": {"alias/" + p.StateKMSAlias}}}
	iamArn := func(kind, name string) string {
		return fmt.Sprintf("arn:%s:iam::%s:%s/%s", i.Partition, i.AccountID, kind, name)
	}

	roles := Roles{Deploy: map[string]string{}, Plan: map[string]string{}, Boundary: map[string]string{}}
	for _, env := range p.Environments {
		envPrefix := i.Project + "-" + env.Name + "-"
		var others []string
		for _, o := range p.AllEnvironments {
			if o != env.Name {
				others = append(others, o)
			}
		}
		boundary := iampolicy.NewIamPolicy(c, jsii.String("boundary-"+env.Name), &iampolicy.IamPolicyConfig{
			Name:        jsii.String(envinfo.BoundaryName(i.Project, env.Name)),
			Description: jsii.String("Permissions boundary of every IAM role of " + env.Name + ": the most its roles may ever do"),
			Policy:      jsii.String(boundaryDocument(i, env, others, p.StateBucket).JSON()),
			Tags:        i.Tags(envinfo.BoundaryName(i.Project, env.Name)),
		})
		boundaryArn := envinfo.BoundaryArn(i.Partition, i.AccountID, i.Project, env.Name)
		roles.Boundary[env.Name] = *boundary.Arn()

		name := fmt.Sprintf("%s-deploy-%s", i.Project, env.Name)
		role := iamrole.NewIamRole(c, jsii.String("deploy-"+env.Name), &iamrole.IamRoleConfig{
			Name:               jsii.String(name),
			Description:        jsii.String("GitHub Actions deploys " + env.Name + " (environment " + env.Name + " of " + p.Repository + ")"),
			AssumeRolePolicy:   jsii.String(trust(fmt.Sprintf("repo:%s:environment:%s", p.Repository, env.Name))),
			MaxSessionDuration: jsii.Number(DeployMaxSession),
			Tags:               i.Tags(name),
		})
		ownRoles := []string{iamArn("role", envPrefix+"*")}
		ownRolesAndProfiles := append(ownRoles, iamArn("instance-profile", envPrefix+"*"))
		withBoundary := condition{"StringEquals": {"iam:PermissionsBoundary": {boundaryArn}}}
		var managed []string
		for _, m := range AttachableManagedPolicies {
			managed = append(managed, fmt.Sprintf("arn:%s:iam::aws:policy/%s", i.Partition, m))
		}
		stateObject := bucketArn + "/" + env.StateKey
		doc := policy.Document{Statements: []policy.Statement{
			policy.Allow("OwnStateOnly", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, []string{stateObject, stateObject + ".tflock"}),
			listStatePrefix(bucketArn, env.StateKey, env.StateKey+".tflock"),
			{
				Sid:       "UseStateKey",
				Actions:   []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
				Resources: []string{stateKeyArn},
				Condition: stateKeyAlias,
			},
			{
				Sid:       "ManageOwnRegion",
				Actions:   deployServices,
				Resources: []string{"*"},
				Condition: condition{"StringEquals": {"aws:RequestedRegion": {env.Region}}},
			},
		}}
		if env.CopyRegion != "" {
			doc.Statements = append(doc.Statements, policy.Statement{
				Sid:       "ManageBackupCopies",
				Actions:   copyServices,
				Resources: []string{"*"},
				Condition: condition{"StringEquals": {"aws:RequestedRegion": {env.CopyRegion}}},
			})
		}
		doc.Statements = append(doc.Statements, []policy.Statement{
			policy.Allow("ManageOwnBudgets", budgetActions, []string{fmt.Sprintf("arn:%s:budgets::%s:budget/%s*", i.Partition, i.AccountID, envPrefix)}),
			policy.Allow("ManageOwnBuckets", []string{"s3:*"}, []string{
				fmt.Sprintf("arn:%s:s3:::%s*", i.Partition, envPrefix),
			}),
			policy.Allow("FindHostedZone", []string{"route53:ListHostedZones", "route53:ListHostedZonesByName"}, []string{"*"}),
			// ec2:CreateVpcEndpoint of an interface endpoint with private DNS
			// associates the VPC with the service's private hosted zone as
			// the caller: a dependent action of CreateVpcEndpoint (IAM
			// service authorization reference, Amazon EC2).
			policy.Allow("PrivateDNSOfInterfaceEndpoints", []string{"route53:AssociateVPCWithHostedZone"}, []string{
				fmt.Sprintf("arn:%s:route53:::hostedzone/*", i.Partition),
			}),
			policy.Allow("ManageDNSRecords", []string{"route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListTagsForResource"}, []string{
				fmt.Sprintf("arn:%s:route53:::hostedzone/*", i.Partition), fmt.Sprintf("arn:%s:route53:::change/*", i.Partition),
			}),
			policy.Allow("ReadOwnRoles", []string{
				"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
				"iam:ListInstanceProfilesForRole", "iam:GetInstanceProfile", "iam:ListInstanceProfileTags",
			}, ownRolesAndProfiles),
			// The IAM actions that accept iam:PermissionsBoundary (IAM user
			// guide, "Permissions boundaries for IAM entities" and the IAM
			// service authorization reference): allowed only when the role
			// keeps the environment's boundary, so no role the pipeline
			// creates or edits can do more than the boundary allows.
			{
				Sid:       "WriteRolesOnlyWithBoundary",
				Actions:   []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"},
				Resources: ownRoles,
				Condition: withBoundary,
			},
			{
				Sid:       "AttachListedManagedPoliciesOnlyWithBoundary",
				Actions:   []string{"iam:AttachRolePolicy"},
				Resources: ownRoles,
				Condition: condition{
					"StringEquals": {"iam:PermissionsBoundary": {boundaryArn}},
					"ArnEquals":    {"iam:PolicyARN": managed},
				},
			},
			// These accept no boundary condition; none of them adds a
			// permission (trust changes still end at the boundary).
			policy.Allow("ManageOwnRolesAndProfiles", []string{
				"iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
				"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
				"iam:TagInstanceProfile", "iam:UntagInstanceProfile",
			}, ownRolesAndProfiles),
			{
				Sid:       "PassOwnRolesToTheirServices",
				Actions:   []string{"iam:PassRole"},
				Resources: ownRoles,
				Condition: condition{"StringEquals": {"iam:PassedToService": PassRoleServices}},
			},
			policy.Allow("ReadManagedPolicies", []string{"iam:GetPolicy", "iam:GetPolicyVersion"}, []string{fmt.Sprintf("arn:%s:iam::aws:policy/*", i.Partition)}),
			{
				Sid:       "CreateServiceLinkedRoles",
				Actions:   []string{"iam:CreateServiceLinkedRole"},
				Resources: []string{iamArn("role", "aws-service-role/*")},
				Condition: condition{"StringLike": {"iam:AWSServiceName": serviceLinkedServices()}},
			},
			{
				Sid:       "NeverRemoveABoundary",
				Effect:    "Deny",
				Actions:   []string{"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"},
				Resources: []string{"*"},
			},
			{
				Sid:    "NeverEditABoundary",
				Effect: "Deny",
				Actions: []string{
					"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
					"iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
				},
				Resources: []string{iamArn("policy", envinfo.BoundaryName(i.Project, "*"))},
			},
			{
				Sid:        "NothingOfOtherEnvironments",
				Effect:     "Deny",
				NotActions: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
				Resources:  []string{"*"},
				Condition:  condition{"StringEquals": {"aws:ResourceTag/Environment": append(append([]string(nil), others...), "shared")}},
			},
		}...)
		iamrolepolicy.NewIamRolePolicy(c, jsii.String("deploy-"+env.Name+"-policy"), &iamrolepolicy.IamRolePolicyConfig{
			Name:   jsii.String("deploy-" + env.Name),
			Role:   role.Id(),
			Policy: jsii.String(doc.JSON()),
		})
		roles.Deploy[env.Name] = *role.Arn()
		roles.Plan[env.Name] = newPlanRole(c, p, env, trust, bucketArn, stateKeyArn, stateKeyAlias)
	}
	return roles
}

// listStatePrefix lets Terraform's S3 backend list what it lists: the state
// key (and lock) and the workspace prefix "env:/". Workspaces() in
// internal/backend/remote-state/s3/backend_state.go (Terraform 1.11) lists
// the bucket with prefix workspace_key_prefix + "/" ("env:/" by default) on
// init and whenever it opens the state; since 1.8 it swallows AccessDenied
// for the default prefix, so without "env:/" every run is refused one
// request and carries on, and an older Terraform fails.
// scripts/tests/test_state_backend_policy.py runs the real Terraform
// against this policy.
func listStatePrefix(bucketArn string, keys ...string) policy.Statement {
	return policy.Statement{
		Sid:       "ListOwnStatePrefix",
		Actions:   []string{"s3:ListBucket"},
		Resources: []string{bucketArn},
		Condition: condition{"StringLike": {"s3:prefix": append(keys, "env:/")}},
	}
}

// newPlanRole creates an environment's read-only plan role: AWS's
// ReadOnlyAccess (the reads a refresh of every resource type makes), its
// own state read without the lock (the workflows plan with -lock=false),
// its own generated secrets (a refresh of aws_secretsmanager_secret_version
// calls GetSecretValue: resourceSecretVersionRead in the provider's
// internal/service/secretsmanager/secret_version.go), and explicit denies of
// every data read ReadOnlyAccess would allow: objects outside its own state
// (backups, models, Ansible transfers, other states), other environments'
// secrets, log events, console output, snapshot blocks.
func newPlanRole(c constructs.Construct, p Props, env Environment, trust func(...string) string, bucketArn, stateKeyArn string, stateKeyAlias condition) string {
	i := p.Info
	subjects := []string{fmt.Sprintf("repo:%s:ref:refs/heads/main", p.Repository)}
	switch env.PlanAccess {
	case PlansFromAnyPullRequest:
		subjects = append(subjects, fmt.Sprintf("repo:%s:pull_request", p.Repository))
	case PlansThroughGitHubEnvironment:
		subjects = append(subjects, fmt.Sprintf("repo:%s:environment:%s", p.Repository, PlanEnvironment(env.Name)))
	case PlansFromMainOnly, "":
	default:
		panic(fmt.Sprintf("cicd: environment %s: unknown PlanAccess %q", env.Name, env.PlanAccess))
	}
	name := fmt.Sprintf("%s-plan-%s", i.Project, env.Name)
	role := iamrole.NewIamRole(c, jsii.String("plan-"+env.Name), &iamrole.IamRoleConfig{
		Name:               jsii.String(name),
		Description:        jsii.String("GitHub Actions plans and drift checks of " + env.Name + " (read-only) for " + p.Repository),
		AssumeRolePolicy:   jsii.String(trust(subjects...)),
		MaxSessionDuration: jsii.Number(3600),
		Tags:               i.Tags(name),
	})
	iamrolepolicyattachment.NewIamRolePolicyAttachment(c, jsii.String("plan-"+env.Name+"-readonly"), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
		Role:      role.Name(),
		PolicyArn: jsii.String("arn:" + i.Partition + ":iam::aws:policy/ReadOnlyAccess"),
	})
	stateObject := bucketArn + "/" + env.StateKey
	readable := append([]string{stateObject}, env.PlanReads.Objects...)
	ownSecrets := fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s/%s/*", i.Partition, env.Region, i.AccountID, i.Project, env.Name)
	iamrolepolicy.NewIamRolePolicy(c, jsii.String("plan-"+env.Name+"-policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String("plan-" + env.Name),
		Role: role.Id(),
		Policy: jsii.String(withNotResourceDenies(policy.Document{Statements: append([]policy.Statement{
			policy.Allow("ReadOwnState", []string{"s3:GetObject"}, []string{stateObject}),
			listStatePrefix(bucketArn, env.StateKey),
			{
				Sid:       "DecryptState",
				Actions:   []string{"kms:Decrypt", "kms:DescribeKey"},
				Resources: []string{stateKeyArn},
				Condition: stateKeyAlias,
			},
			policy.Allow("RefreshOwnSecrets", []string{"secretsmanager:GetSecretValue"}, []string{ownSecrets}),
			policy.Allow("GenerateRandomPassword", []string{"secretsmanager:GetRandomPassword"}, []string{"*"}),
			{
				Sid:       "DecryptOwnSecretsViaSecretsManager",
				Actions:   []string{"kms:Decrypt"},
				Resources: []string{fmt.Sprintf("arn:%s:kms:%s:%s:key/*", i.Partition, env.Region, i.AccountID)},
				Condition: condition{
					"StringEquals":             {"kms:ViaService": {fmt.Sprintf("secretsmanager.%s.amazonaws.com", env.Region)}},
					"ForAnyValue:StringEquals": {"kms:ResourceAliases": {"alias/" + i.Project + "-" + env.Name + "-secrets"}},
				},
			},
			{
				Sid:       "NoDataReads",
				Effect:    "Deny",
				Actions:   planDataReads,
				Resources: []string{"*"},
			},
		}, env.PlanReads.Statements...)},
			notResourceDeny{"NoObjectReadsButOwnState", []string{"s3:GetObject*"}, readable},
			notResourceDeny{"NoOtherSecretValues", []string{"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"}, []string{ownSecrets}},
		)),
	})
	return *role.Arn()
}

// ssmManagedInstanceCore are the actions of the AWS managed policy
// AmazonSSMManagedInstanceCore (v2), which the servers' roles attach: the
// boundary must allow them or Session Manager and Run Command stop.
var ssmManagedInstanceCore = []string{
	"ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument",
	"ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
	"ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus",
	"ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
	// ssmmessages and ec2messages: the policy grants every action of both
	// (CreateControlChannel … OpenDataChannel; AcknowledgeMessage … SendReply).
	"ssmmessages:*", "ec2messages:*",
}

// backupServiceActions are the actions of AWSBackupServiceRolePolicyForBackup
// and AWSBackupServiceRolePolicyForRestores that concern the resource kinds
// the environments back up (RDS instances, EBS volumes and EC2 instances,
// EFS file systems) and their vaults. A backup role gets the managed
// policies; the boundary caps them to these.
var backupServiceActions = []string{
	"backup:Describe*", "backup:List*", "backup:CopyIntoBackupVault", "backup:CopyFromBackupVault", "backup:StartRestoreJob",
	"tag:GetResources", "elasticfilesystem:Backup", "elasticfilesystem:Restore", "elasticfilesystem:CreateFilesystem",
	"elasticfilesystem:DeleteFilesystem", "elasticfilesystem:Describe*", "elasticfilesystem:TagResource",
	"rds:Describe*", "rds:ListTagsForResource", "rds:AddTagsToResource", "rds:CreateDBSnapshot", "rds:CopyDBSnapshot",
	"rds:DeleteDBSnapshot", "rds:ModifyDBSnapshotAttribute", "rds:ModifyDBInstance", "rds:DeleteDBInstanceAutomatedBackup",
	"rds:RestoreDBInstance*", "rds:CreateDBInstance", "rds:DeleteDBInstance",
	"ec2:CreateSnapshot", "ec2:DeleteSnapshot", "ec2:CopySnapshot", "ec2:CreateImage", "ec2:DeregisterImage", "ec2:CopyImage",
	"ec2:CreateTags", "ec2:DeleteTags", "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute", "ec2:ModifySnapshotTier",
	"ec2:RestoreSnapshotTier", "ec2:CreateVolume", "ec2:DeleteVolume", "ec2:RunInstances", "ec2:TerminateInstances",
	"ebs:StartSnapshot", "ebs:PutSnapshotBlock", "ebs:CompleteSnapshot",
}

// startStopAndRunCommand are what EventBridge Scheduler and SSM Automation
// (AWS-StartEC2Instance, AWS-StopEC2Instance) need to start and stop the
// environment's instances, and what a maintenance-window task running
// AWS-RunPatchBaseline through Run Command needs.
var startStopAndRunCommand = []string{
	"ec2:StartInstances", "ec2:StopInstances", "ssm:StartAutomationExecution", "ssm:GetAutomationExecution",
	// The off-hours schedules mute the stopped servers' alarms.
	"cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions",
	"ssm:DescribeAutomation*", "ssm:SendCommand", "ssm:ListCommands", "ssm:ListCommandInvocations",
	"ssm:GetCommandInvocation", "ssm:CancelCommand", "ssm:DescribeInstanceInformation",
}

// boundaryDocument is an environment's permissions boundary: the union of
// what its roles need — servers (CloudWatch agent, Session Manager, own
// secrets, keys, buckets, file system, image pulls), service roles (flow
// logs, RDS enhanced monitoring, AWS Backup, EventBridge Scheduler and SSM
// Automation starting and stopping instances, maintenance-window Run
// Command) — and explicit denies of IAM, Organizations and account changes
// and of anything of another environment.
func boundaryDocument(i envinfo.Info, env Environment, others []string, stateBucket string) policy.Document {
	prefix := i.Project + "-" + env.Name
	arn := func(service, region, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", i.Partition, service, region, i.AccountID, resource)
	}
	var otherBuckets, otherSecrets []string
	for _, o := range others {
		// "*" in an S3 ARN also spans "/": bucket and objects alike.
		otherBuckets = append(otherBuckets, fmt.Sprintf("arn:%s:s3:::%s-%s-*", i.Partition, i.Project, o))
		otherSecrets = append(otherSecrets, arn("secretsmanager", "*", fmt.Sprintf("secret:%s/%s/*", i.Project, o)))
	}
	state := fmt.Sprintf("arn:%s:s3:::%s", i.Partition, stateBucket)
	// One statement for every action whose resource is "*" (or is checked
	// by the tag and name denies below): a boundary is a managed policy,
	// limited to 6,144 characters.
	var anywhere []string
	anywhere = append(anywhere, "ec2:Describe*", "cloudwatch:PutMetricData", "ecr:GetAuthorizationToken")
	anywhere = append(anywhere, ssmManagedInstanceCore...)
	anywhere = append(anywhere, backupServiceActions...)
	anywhere = append(anywhere, startStopAndRunCommand...)
	statements := []policy.Statement{
		policy.Allow("ServersAndServiceRoles", anywhere, []string{"*"}),
		policy.Allow("OwnLogs", []string{
			"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams",
			"logs:PutRetentionPolicy", "logs:GetLogEvents",
		}, []string{
			arn("logs", "*", "log-group:/"+prefix+"/*"),
			// RDS enhanced monitoring writes the account's RDSOSMetrics
			// group (AmazonRDSEnhancedMonitoringRole: log-group:RDS*).
			arn("logs", "*", "log-group:RDS*"),
		}),
		// DescribeLogGroups has no resource type: only "*" grants it.
		policy.Allow("DescribeLogGroups", []string{"logs:DescribeLogGroups"}, []string{"*"}),
		policy.Allow("ReadOwnSecrets", secrets.ReadActions, []string{
			arn("secretsmanager", "*", fmt.Sprintf("secret:%s/%s/*", i.Project, env.Name)),
		}),
		policy.Allow("UseKeys", []string{
			"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey",
		}, []string{arn("kms", "*", "key/*")}),
		{
			Sid: "GrantKeysToServices", Actions: []string{"kms:CreateGrant"}, Resources: []string{arn("kms", "*", "key/*")},
			Condition: condition{"Bool": {"kms:GrantIsForAWSResource": {"true"}}},
		},
		policy.Allow("OwnBuckets", []string{
			"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation",
			"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
		}, []string{fmt.Sprintf("arn:%s:s3:::%s-*", i.Partition, prefix)}),
		policy.Allow("MountFileSystems", []string{
			"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess",
		}, []string{arn("elasticfilesystem", "*", "file-system/*")}),
		policy.Allow("PullImages", registry.PullActions, []string{
			arn("ecr", "*", "repository/"+i.Project+"/*"),
		}),
		{
			Sid: "PassOwnRolesOnward", Actions: []string{"iam:PassRole"},
			Resources: []string{fmt.Sprintf("arn:%s:iam::%s:role/%s-*", i.Partition, i.AccountID, prefix)},
			Condition: condition{"StringEquals": {"iam:PassedToService": {"ec2.amazonaws.com", "ssm.amazonaws.com"}}},
		},
		{
			Sid:    "NoIdentityOrAccountChanges",
			Effect: "Deny",
			Actions: []string{
				"iam:Add*", "iam:Attach*", "iam:Change*", "iam:Create*", "iam:Deactivate*", "iam:Delete*", "iam:Detach*",
				"iam:Enable*", "iam:Put*", "iam:Remove*", "iam:Reset*", "iam:Set*", "iam:Tag*", "iam:Untag*", "iam:Update*",
				"iam:Upload*", "organizations:*", "account:*", "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
			},
			Resources: []string{"*"},
		},
		{
			Sid: "NoStateAccess", Effect: "Deny", Actions: []string{"s3:*"}, Resources: []string{state, state + "/*"},
		},
	}
	if len(others) > 0 {
		statements = append(statements,
			policy.Statement{
				Sid: "NothingOfOtherEnvironments", Effect: "Deny", Actions: []string{"*"}, Resources: []string{"*"},
				Condition: condition{"StringEquals": {"aws:ResourceTag/Environment": others}},
			},
			policy.Statement{Sid: "NoOtherEnvironmentBuckets", Effect: "Deny", Actions: []string{"s3:*"}, Resources: otherBuckets},
			policy.Statement{Sid: "NoOtherEnvironmentSecrets", Effect: "Deny", Actions: []string{"secretsmanager:*"}, Resources: otherSecrets},
		)
	}
	return policy.Document{Statements: statements}
}

// withNotResourceDenies renders a document and appends Deny statements that
// use NotResource (which policy.Statement does not model): "deny these
// actions on everything but these resources".
func withNotResourceDenies(d policy.Document, denies ...notResourceDeny) string {
	var doc map[string]any
	if err := json.Unmarshal([]byte(d.JSON()), &doc); err != nil {
		panic(err)
	}
	sts := doc["Statement"].([]any)
	for _, n := range denies {
		sts = append(sts, map[string]any{"Sid": n.Sid, "Effect": "Deny", "Action": n.Actions, "NotResource": n.NotResources})
	}
	doc["Statement"] = sts
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// notResourceDeny denies Actions on every resource but NotResources.
type notResourceDeny struct {
	Sid                   string
	Actions, NotResources []string
}
