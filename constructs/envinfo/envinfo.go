// Package envinfo carries what every construct of one environment stack needs
// to know about where it runs: the name prefix, the environment, and the
// account, partition and region as Terraform references (so ARNs are right in
// any partition and never hard-code an account).
package envinfo

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawscalleridentity"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawspartition"
)

// Info describes the environment a construct is built in.
type Info struct {
	// Project is the project name, e.g. "influencegen".
	Project string
	// Env is the environment name, e.g. "production".
	Env string
	// Prefix starts every resource name: "<project>-<env>".
	Prefix string
	// Region is the environment's AWS region (a literal: it is known at synth).
	Region string
	// AccountID is a reference to the account Terraform runs in.
	AccountID string
	// Partition is a reference to the AWS partition ("aws", "aws-cn", …).
	Partition string
}

// New looks up the caller's account and partition once per stack.
func New(scope constructs.Construct, project, env, region string) Info {
	caller := dataawscalleridentity.NewDataAwsCallerIdentity(scope, jsii.String("caller"), &dataawscalleridentity.DataAwsCallerIdentityConfig{})
	part := dataawspartition.NewDataAwsPartition(scope, jsii.String("partition"), &dataawspartition.DataAwsPartitionConfig{})
	return Info{
		Project:   project,
		Env:       env,
		Prefix:    project + "-" + env,
		Region:    region,
		AccountID: *caller.AccountId(),
		Partition: *part.Partition(),
	}
}

// Of returns the Info of another environment of the same project and
// account, in its region: for grants on its resources by name.
func (i Info) Of(env, region string) Info {
	i.Env, i.Prefix, i.Region = env, i.Project+"-"+env, region
	return i
}

// Name returns "<prefix>-<what>", the name of one resource.
func (i Info) Name(what string) string { return i.Prefix + "-" + what }

// Arn builds an ARN in this account and region.
func (i Info) Arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", i.Partition, service, i.Region, i.AccountID, resource)
}

// RootArn is the account's root principal, as used in key policies.
func (i Info) RootArn() string { return fmt.Sprintf("arn:%s:iam::%s:root", i.Partition, i.AccountID) }

// ServiceHost is the regional service principal host, e.g.
// "logs.eu-central-1.amazonaws.com".
func (i Info) ServiceHost(service string) string {
	return fmt.Sprintf("%s.%s.amazonaws.com", service, i.Region)
}

// Tags returns the Name tag; Project, Environment, ManagedBy and Repository
// come from the provider's default_tags.
func (i Info) Tags(name string) *map[string]*string {
	return &map[string]*string{"Name": jsii.String(name)}
}

// BackupTagKey is the tag AWS Backup selects the environment's data by: its
// value is BackupPlanName. Tagged resources are backed up however many
// there are (a new GPU server's model volume included).
const BackupTagKey = "Backup"

// BackupPlanName is the name of the environment's AWS Backup plan,
// "<prefix>-daily", and the value of its BackupTagKey tag.
func (i Info) BackupPlanName() string { return i.Name("daily") }

// BackedUpTags returns the Name tag and the BackupTagKey tag: the tags of a
// resource holding data AWS Backup must back up (constructs/backup).
func (i Info) BackedUpTags(name string) *map[string]*string {
	return &map[string]*string{"Name": jsii.String(name), BackupTagKey: jsii.String(i.BackupPlanName())}
}

// BoundaryArn is the permissions boundary every IAM role of the
// environment carries: the managed policy "<project>-<env>-boundary" that
// the shared stack creates, and the only boundary the environment's deploy
// role may create roles with (constructs/cicd), so a pipeline cannot mint
// a role more powerful than the boundary.
func (i Info) BoundaryArn() string {
	return BoundaryArn(i.Partition, i.AccountID, i.Project, i.Env)
}

// BoundaryName is the name of an environment's permissions-boundary managed
// policy: "<project>-<env>-boundary".
func BoundaryName(project, env string) string { return project + "-" + env + "-boundary" }

// BoundaryArn is the ARN of an environment's permissions boundary. Every IAM
// role an environment stack creates must set it as permissions_boundary:
// the deploy role may create and change roles only with it (D6); the shared
// stack's cicd construct creates the policies.
func BoundaryArn(partition, accountID, project, env string) string {
	return fmt.Sprintf("arn:%s:iam::%s:policy/%s", partition, accountID, BoundaryName(project, env))
}
