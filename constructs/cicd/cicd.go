// Package cicd creates what GitHub Actions needs to deploy without
// long-lived keys: the GitHub OIDC identity provider, one deploy role per
// environment, and a read-only plan role.
//
// A deploy role is trusted only for jobs of the configured repository that
// run in the GitHub environment of the same name (so production's role needs
// the production environment's required reviewers). It may:
//   - read and write only its own state object and lock file, with the
//     state key;
//   - manage the platform's services in its own region only;
//   - manage IAM roles, instance profiles and policies named
//     "<project>-<env>-*" only, and pass only those roles;
//   - touch nothing tagged with another Environment (explicit deny).
//
// The plan role (pull requests and the nightly drift check) has AWS's
// ReadOnlyAccess, reads every environment's state, may take the state lock,
// and reads the generated secrets, which `terraform plan` refreshes.
package cicd

import (
	"encoding/json"
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamopenidconnectprovider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// GitHubOIDC is the issuer of GitHub Actions tokens.
const GitHubOIDC = "token.actions.githubusercontent.com"

// Environment is what a deploy role is scoped to.
type Environment struct {
	// Name is the environment, and the GitHub environment trusted.
	Name string
	// Region is where its resources live.
	Region string
	// StateKey is its state object.
	StateKey string
}

// Props configures the CI/CD roles.
type Props struct {
	// Info is the account-level context.
	Info envinfo.Info
	// Repository is the GitHub "owner/name" allowed to assume the roles.
	Repository string
	// StateBucket, StateRegion and StateKMSAlias locate the state.
	StateBucket, StateRegion, StateKMSAlias string
	// Environments get one deploy role each.
	Environments []Environment
	// AllEnvironments are every environment name (for the tag guard).
	AllEnvironments []string
}

// Roles are the created role ARNs.
type Roles struct {
	// Deploy maps an environment to its deploy role ARN.
	Deploy map[string]string
	// Plan is the read-only plan role ARN.
	Plan string
}

// deployServices are the services an environment stack manages.
var deployServices = []string{
	"ec2:*", "elasticloadbalancing:*", "rds:*", "elasticache:*", "elasticfilesystem:*",
	"kms:*", "secretsmanager:*", "logs:*", "cloudwatch:*", "sns:*", "wafv2:*", "acm:*",
	"ssm:*", "backup:*", "pi:*", "autoscaling:Describe*", "sts:GetCallerIdentity",
}

// New creates the OIDC provider and the roles.
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
	stateKey := policy.Statement{
		Sid:       "UseStateKey",
		Actions:   []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
		Resources: []string{fmt.Sprintf("arn:%s:kms:%s:%s:key/*", i.Partition, p.StateRegion, i.AccountID)},
		Condition: map[string]map[string][]string{"ForAnyValue:StringEquals": {"kms:ResourceAliases": {"alias/" + p.StateKMSAlias}}},
	}

	roles := Roles{Deploy: map[string]string{}}
	for _, env := range p.Environments {
		name := fmt.Sprintf("%s-deploy-%s", i.Project, env.Name)
		envPrefix := i.Project + "-" + env.Name + "-"
		var others []string
		for _, o := range p.AllEnvironments {
			if o != env.Name {
				others = append(others, o)
			}
		}
		role := iamrole.NewIamRole(c, jsii.String("deploy-"+env.Name), &iamrole.IamRoleConfig{
			Name:               jsii.String(name),
			Description:        jsii.String("GitHub Actions deploys " + env.Name + " (environment " + env.Name + " of " + p.Repository + ")"),
			AssumeRolePolicy:   jsii.String(trust(fmt.Sprintf("repo:%s:environment:%s", p.Repository, env.Name))),
			MaxSessionDuration: jsii.Number(3600),
			Tags:               i.Tags(name),
		})
		stateObject := bucketArn + "/" + env.StateKey
		doc := policy.Document{Statements: []policy.Statement{
			policy.Allow("OwnStateOnly", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, []string{stateObject, stateObject + ".tflock"}),
			{
				Sid:       "ListOwnStatePrefix",
				Actions:   []string{"s3:ListBucket"},
				Resources: []string{bucketArn},
				Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": {env.StateKey, env.StateKey + ".tflock"}}},
			},
			stateKey,
			{
				Sid:       "ManageOwnRegion",
				Actions:   deployServices,
				Resources: []string{"*"},
				Condition: map[string]map[string][]string{"StringEquals": {"aws:RequestedRegion": {env.Region}}},
			},
			policy.Allow("ManageOwnBuckets", []string{"s3:*"}, []string{
				fmt.Sprintf("arn:%s:s3:::%s*", i.Partition, envPrefix),
			}),
			policy.Allow("FindHostedZone", []string{"route53:ListHostedZones", "route53:ListHostedZonesByName"}, []string{"*"}),
			policy.Allow("ManageDNSRecords", []string{"route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListTagsForResource"}, []string{
				fmt.Sprintf("arn:%s:route53:::hostedzone/*", i.Partition), fmt.Sprintf("arn:%s:route53:::change/*", i.Partition),
			}),
			policy.Allow("ManageOwnIAM", []string{"iam:*"}, []string{
				fmt.Sprintf("arn:%s:iam::%s:role/%s*", i.Partition, i.AccountID, envPrefix),
				fmt.Sprintf("arn:%s:iam::%s:instance-profile/%s*", i.Partition, i.AccountID, envPrefix),
				fmt.Sprintf("arn:%s:iam::%s:policy/%s*", i.Partition, i.AccountID, envPrefix),
			}),
			policy.Allow("ReadManagedPolicies", []string{"iam:GetPolicy", "iam:GetPolicyVersion"}, []string{fmt.Sprintf("arn:%s:iam::aws:policy/*", i.Partition)}),
			{
				Sid:       "CreateServiceLinkedRoles",
				Actions:   []string{"iam:CreateServiceLinkedRole"},
				Resources: []string{fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/*", i.Partition, i.AccountID)},
				Condition: map[string]map[string][]string{"StringLike": {"iam:AWSServiceName": {
					"elasticloadbalancing.amazonaws.com", "rds.amazonaws.com", "elasticache.amazonaws.com",
					"elasticfilesystem.amazonaws.com", "wafv2.amazonaws.com",
				}}},
			},
			{
				Sid:        "NothingOfOtherEnvironments",
				Effect:     "Deny",
				NotActions: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
				Resources:  []string{"*"},
				Condition:  map[string]map[string][]string{"StringEquals": {"aws:ResourceTag/Environment": append(others, "shared")}},
			},
		}}
		iamrolepolicy.NewIamRolePolicy(c, jsii.String("deploy-"+env.Name+"-policy"), &iamrolepolicy.IamRolePolicyConfig{
			Name:   jsii.String("deploy-" + env.Name),
			Role:   role.Id(),
			Policy: jsii.String(doc.JSON()),
		})
		roles.Deploy[env.Name] = *role.Arn()
	}

	planName := i.Project + "-plan"
	plan := iamrole.NewIamRole(c, jsii.String("plan"), &iamrole.IamRoleConfig{
		Name:               jsii.String(planName),
		Description:        jsii.String("GitHub Actions plans and drift checks (read-only) for " + p.Repository),
		AssumeRolePolicy:   jsii.String(trust(fmt.Sprintf("repo:%s:pull_request", p.Repository), fmt.Sprintf("repo:%s:ref:refs/heads/main", p.Repository))),
		MaxSessionDuration: jsii.Number(3600),
		Tags:               i.Tags(planName),
	})
	iamrolepolicyattachment.NewIamRolePolicyAttachment(c, jsii.String("plan-readonly"), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
		Role:      plan.Name(),
		PolicyArn: jsii.String("arn:" + i.Partition + ":iam::aws:policy/ReadOnlyAccess"),
	})
	iamrolepolicy.NewIamRolePolicy(c, jsii.String("plan-policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String("plan"),
		Role: plan.Id(),
		Policy: jsii.String(policy.Document{Statements: []policy.Statement{
			policy.Allow("ReadState", []string{"s3:GetObject"}, []string{bucketArn + "/*/terraform.tfstate"}),
			policy.Allow("TakeStateLock", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, []string{bucketArn + "/*/terraform.tfstate.tflock"}),
			stateKey,
			policy.Allow("RefreshGeneratedSecrets", []string{"secretsmanager:GetSecretValue"}, []string{
				fmt.Sprintf("arn:%s:secretsmanager:*:%s:secret:%s/*", i.Partition, i.AccountID, i.Project),
			}),
			policy.Allow("GenerateRandomPassword", []string{"secretsmanager:GetRandomPassword"}, []string{"*"}),
			{
				Sid:       "DecryptSecretsViaSecretsManager",
				Actions:   []string{"kms:Decrypt"},
				Resources: []string{fmt.Sprintf("arn:%s:kms:*:%s:key/*", i.Partition, i.AccountID)},
				Condition: map[string]map[string][]string{"StringLike": {"kms:ViaService": {"secretsmanager.*.amazonaws.com"}}},
			},
		}}.JSON()),
	})
	roles.Plan = *plan.Arn()
	return roles
}
