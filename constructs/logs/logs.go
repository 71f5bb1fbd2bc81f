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

// RolePrefix is "/<project>-<env>/<role>": every group a tier's servers
// write to is under it (application, syslog, patch runs), and their role
// may write under it only, so that no tier can write, and so forge,
// another tier's log streams.
func RolePrefix(i envinfo.Info, role string) string { return "/" + i.Prefix + "/" + role }

// AppGroup is the group a server role's application logs go to.
func AppGroup(i envinfo.Info, role string) string { return RolePrefix(i, role) + "/app" }

// SyslogGroup is the group a tier's servers send syslog and auth.log to.
func SyslogGroup(i envinfo.Info, role string) string { return RolePrefix(i, role) + "/syslog" }

// PatchingGroup is the group the patch window's runs on a tier's servers
// write to.
func PatchingGroup(i envinfo.Info, role string) string { return RolePrefix(i, role) + "/patching" }
