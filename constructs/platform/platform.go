// Package platform assembles the cdktf stacks of the InfluenceGen account:
// the state-bootstrap stack and one stack per environment. It is the only
// package that knows which constructs make up an environment and how they
// are wired together.
package platform

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/environments"
)

// BootstrapStackName is the stack that creates the state bucket.
const BootstrapStackName = "state-bootstrap"

// Build adds every stack to app. The configuration must already have passed
// environments.Validate: Build trusts it.
func Build(app constructs.Construct, a environments.Account, envs []environments.ParityConfig) {
	NewBootstrapStack(app, a)
	NewSharedStack(app, a, envs)
	for _, e := range envs {
		NewEnvironmentStack(app, a, e)
	}
}

// StackNames lists, in order, the stacks Build adds for envs.
func StackNames(envs []environments.ParityConfig) []string {
	names := []string{BootstrapStackName, SharedStackName}
	for _, e := range envs {
		names = append(names, e.StackName())
	}
	return names
}

// stackBase creates a stack with the AWS provider every stack shares:
// region, default tags, the allowed-account guard, the exact provider
// version (environments.AWSProviderVersion; the bindings would write their
// own 5.88.0) and the Terraform version constraint.
func stackBase(scope constructs.Construct, name, region, environment string, a environments.Account) cdktf.TerraformStack {
	stack := cdktf.NewTerraformStack(scope, jsii.String(name))
	awsProvider(stack, "aws", "", region, environment, a)
	stack.AddOverride(jsii.String("terraform.required_providers.aws.version"), jsii.String(environments.AWSProviderVersion))
	stack.AddOverride(jsii.String("terraform.required_version"), jsii.String(environments.RequiredTerraform))
	return stack
}

// awsProvider configures the AWS provider of a stack for one region, with
// the default tags (Project, Environment, ManagedBy, Repository and the
// cost-allocation tags CostCenter and Owner) and the allowed-account guard.
// alias "" is the stack's default provider.
func awsProvider(stack constructs.Construct, id, alias, region, environment string, a environments.Account) provider.AwsProvider {
	var allowed *[]*string
	if a.ID != "" {
		allowed = jsii.Strings(a.ID)
	}
	var aliasName *string
	if alias != "" {
		aliasName = jsii.String(alias)
	}
	return provider.NewAwsProvider(stack, jsii.String(id), &provider.AwsProviderConfig{
		Alias:             aliasName,
		Region:            jsii.String(region),
		AllowedAccountIds: allowed,
		DefaultTags: []provider.AwsProviderDefaultTags{{
			Tags: &map[string]*string{
				"Project":     jsii.String(a.Project),
				"Environment": jsii.String(environment),
				"ManagedBy":   jsii.String("cdktf"),
				"Repository":  jsii.String(a.Repository),
				"CostCenter":  jsii.String(a.CostCenter),
				"Owner":       jsii.String(a.Owner),
			},
		}},
	})
}

// s3Backend points a stack's state at key in the state bucket: encrypted
// with the state key, locked with an S3 lock file, guarded by account.
func s3Backend(stack cdktf.TerraformStack, a environments.Account, key string) {
	var allowed *[]*string
	if a.ID != "" {
		allowed = jsii.Strings(a.ID)
	}
	cdktf.NewS3Backend(stack, &cdktf.S3BackendConfig{
		Bucket:            jsii.String(a.StateBucket),
		Key:               jsii.String(key),
		Region:            jsii.String(a.StateRegion),
		Encrypt:           jsii.Bool(true),
		KmsKeyId:          jsii.String("alias/" + a.StateKMSAlias),
		AllowedAccountIds: allowed,
	})
	// cdktf 0.20 has no field for use_lockfile (Terraform ≥ 1.10).
	stack.AddOverride(jsii.String("terraform.backend.s3.use_lockfile"), jsii.Bool(true))
}

// output declares a stack output.
func output(stack constructs.Construct, name, description string, value any) {
	cdktf.NewTerraformOutput(stack, jsii.String(name), &cdktf.TerraformOutputConfig{
		Value:       value,
		Description: jsii.String(description),
	})
}
