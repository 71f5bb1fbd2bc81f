// Package logs creates CloudWatch log groups the one way this project wants
// them — encrypted with the environment's logs key and kept for its
// retention — and names the groups servers write to, so the groups, the
// CloudWatch agent and the servers' IAM grant agree.
package logs

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"

	"github.com/influencegen/infrastructure/constructs/envinfo"
)

// Props configures a log group.
type Props struct {
	// Info is the environment the group belongs to.
	Info envinfo.Info
	// Name is the log group name.
	Name string
	// RetentionDays is Scale.LogRetentionDays.
	RetentionDays int
	// KeyArn is the logs KMS key.
	KeyArn string
}

// NewGroup creates one log group.
func NewGroup(scope constructs.Construct, id string, p Props) cloudwatchloggroup.CloudwatchLogGroup {
	return cloudwatchloggroup.NewCloudwatchLogGroup(scope, jsii.String(id), &cloudwatchloggroup.CloudwatchLogGroupConfig{
		Name:            jsii.String(p.Name),
		RetentionInDays: jsii.Number(float64(p.RetentionDays)),
		KmsKeyId:        jsii.String(p.KeyArn),
		Tags:            p.Info.Tags(p.Name),
	})
}

// RolePrefix is "/<project>-<env>/<role>": the servers of a role may write
// to every group under it ("system" for the operating system's logs).
func RolePrefix(i envinfo.Info, role string) string { return "/" + i.Prefix + "/" + role }

// AppGroup is the group a server role's application logs go to.
func AppGroup(i envinfo.Info, role string) string { return RolePrefix(i, role) + "/app" }

// SystemGroup is the group every server's syslog and auth.log go to.
func SystemGroup(i envinfo.Info) string { return RolePrefix(i, "system") + "/syslog" }
