// Package patching is the environment's weekly patch window: SSM Patch
// Manager installs every approved Ubuntu update (security and the rest,
// the GPU drivers that unattended-upgrades leaves alone among them) and
// reboots a server when an update needs it, one server at a time, one tier
// after another, inside a maintenance window of Scale.PatchWindowHours that
// opens at Identity.PatchWindow in Account.Timezone.
//
// Between windows, unattended-upgrades installs security updates daily and
// never reboots (ansible/roles/common); the window is where reboots happen.
// A server rebooting fails its load-balancer health checks and receives no
// new requests until it is back; a tier of one server is down for that
// reboot (docs/runbooks/patching.md).
package patching

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmmaintenancewindow"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmmaintenancewindowtarget"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmmaintenancewindowtask"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmpatchbaseline"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmpatchgroup"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
)

// TagKey is the instance tag Patch Manager reads to choose a server's
// patch baseline (the patch group); its value is the environment prefix.
const TagKey = "PatchGroup"

// Tier is one tier the window patches: its servers are those tagged Role
// with its name and PatchGroup with the environment's prefix
// (constructs/compute tags every server so).
type Tier struct {
	// Name is the tier.
	Name string
}

// Props configures the window.
type Props struct {
	// Info is the environment.
	Info envinfo.Info
	// Schedule is the window's start, an AWS cron expression
	// (Identity.PatchCron).
	Schedule string
	// Timezone is what Schedule is written in (Account.Timezone).
	Timezone string
	// Hours is the window's length (Scale.PatchWindowHours).
	Hours int
	// Tiers are patched in this order, each one server at a time.
	Tiers []Tier
	// LogsKeyArn and LogRetentionDays configure the log groups the
	// patch runs write to.
	LogsKeyArn       string
	LogRetentionDays int
}

// Window is what the outputs and the runbook name.
type Window struct {
	// Name is the maintenance window's name.
	Name string
	// LogGroups receive the patch runs' output, by tier: each tier's
	// runs write to logs.PatchingGroup, under the tier's own prefix (the
	// SSM agent writes as the server's role, which may write there only).
	LogGroups map[string]string
}

// New creates the baseline, patch group, window, targets and tasks.
func New(scope constructs.Construct, id string, p Props) Window {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	w := Window{Name: i.Name("patching"), LogGroups: map[string]string{}}

	baseline := ssmpatchbaseline.NewSsmPatchBaseline(c, jsii.String("baseline"), &ssmpatchbaseline.SsmPatchBaselineConfig{
		Name:            jsii.String(i.Name("ubuntu")),
		Description:     jsii.String("InfluenceGen " + i.Env + ": every Ubuntu update, security or not, installed in the weekly window"),
		OperatingSystem: jsii.String("UBUNTU"),
		ApprovalRule: []ssmpatchbaseline.SsmPatchBaselineApprovalRule{{
			// Ubuntu has no release dates Patch Manager trusts, so
			// approval delays are "not supported for Debian Server or
			// Ubuntu Server" (SSM API reference, PatchRule); the provider
			// sends ApproveAfterDays 0 whenever approve_until_date is
			// unset (terraform-provider-aws,
			// internal/service/ssm/patch_baseline.go, expandPatchRuleGroup),
			// which is what Ubuntu accepts: written out here.
			ApproveAfterDays:  jsii.Number(0),
			ComplianceLevel:   jsii.String("HIGH"),
			EnableNonSecurity: jsii.Bool(true),
			PatchFilter: []ssmpatchbaseline.SsmPatchBaselineApprovalRulePatchFilter{
				{Key: jsii.String("PRIORITY"), Values: jsii.Strings("Required", "Important", "Standard", "Optional", "Extra")},
				{Key: jsii.String("SECTION"), Values: jsii.Strings("*")},
			},
		}},
		Tags: i.Tags(i.Name("ubuntu")),
	})
	ssmpatchgroup.NewSsmPatchGroup(c, jsii.String("group"), &ssmpatchgroup.SsmPatchGroupConfig{
		BaselineId: baseline.Id(),
		PatchGroup: jsii.String(i.Prefix),
	})

	window := ssmmaintenancewindow.NewSsmMaintenanceWindow(c, jsii.String("window"), &ssmmaintenancewindow.SsmMaintenanceWindowConfig{
		Name:             jsii.String(w.Name),
		Description:      jsii.String("Weekly patches and reboots of InfluenceGen " + i.Env + ", one server at a time"),
		Schedule:         jsii.String(p.Schedule),
		ScheduleTimezone: jsii.String(p.Timezone),
		Duration:         jsii.Number(float64(p.Hours)),
		// No new server starts patching in the last hour: time for the
		// last reboot.
		Cutoff:                   jsii.Number(1),
		AllowUnassociatedTargets: jsii.Bool(false),
		Tags:                     i.Tags(w.Name),
	})
	for n, t := range p.Tiers {
		group := logs.PatchingGroup(i, t.Name)
		w.LogGroups[t.Name] = group
		logs.NewGroup(c, "log-"+t.Name, logs.Props{Info: i, Name: group, RetentionDays: p.LogRetentionDays, KeyArn: p.LogsKeyArn})
		target := ssmmaintenancewindowtarget.NewSsmMaintenanceWindowTarget(c, jsii.String("target-"+t.Name), &ssmmaintenancewindowtarget.SsmMaintenanceWindowTargetConfig{
			WindowId: window.Id(),
			// 3 to 128 of [0-9A-Za-z_.-] (a tier can be called "ai").
			Name:         jsii.String("servers-" + t.Name),
			Description:  jsii.String("The " + t.Name + " servers"),
			ResourceType: jsii.String("INSTANCE"),
			// By tags, both required: the environment's patch group and the
			// tier (a Role tag alone would also match another environment's
			// servers in the account). A new server is a target without
			// the target changing.
			Targets: []ssmmaintenancewindowtarget.SsmMaintenanceWindowTargetTargets{
				{Key: jsii.String("tag:" + TagKey), Values: jsii.Strings(i.Prefix)},
				{Key: jsii.String("tag:Role"), Values: jsii.Strings(t.Name)},
			},
		})
		ssmmaintenancewindowtask.NewSsmMaintenanceWindowTask(c, jsii.String("task-"+t.Name), &ssmmaintenancewindowtask.SsmMaintenanceWindowTaskConfig{
			WindowId:    window.Id(),
			Name:        jsii.String("patch-" + t.Name),
			Description: jsii.String("Patch the " + t.Name + " servers, rebooting one at a time if an update needs it"),
			TaskType:    jsii.String("RUN_COMMAND"),
			TaskArn:     jsii.String("AWS-RunPatchBaseline"),
			// Tasks run by priority, lowest first: one tier after another.
			Priority:       jsii.Number(float64(n + 1)),
			MaxConcurrency: jsii.String("1"),
			// The first server that fails stops the tier: the others keep
			// running what worked.
			MaxErrors:      jsii.String("0"),
			CutoffBehavior: jsii.String("CANCEL_TASK"),
			Targets: []ssmmaintenancewindowtask.SsmMaintenanceWindowTaskTargets{{
				Key:    jsii.String("WindowTargetIds"),
				Values: jsii.Strings(*target.Id()),
			}},
			TaskInvocationParameters: &ssmmaintenancewindowtask.SsmMaintenanceWindowTaskTaskInvocationParameters{
				RunCommandParameters: &ssmmaintenancewindowtask.SsmMaintenanceWindowTaskTaskInvocationParametersRunCommandParameters{
					Comment:        jsii.String("Weekly patch window"),
					TimeoutSeconds: jsii.Number(600),
					Parameter: []ssmmaintenancewindowtask.SsmMaintenanceWindowTaskTaskInvocationParametersRunCommandParametersParameter{
						{Name: jsii.String("Operation"), Values: jsii.Strings("Install")},
						{Name: jsii.String("RebootOption"), Values: jsii.Strings("RebootIfNeeded")},
					},
					CloudwatchConfig: &ssmmaintenancewindowtask.SsmMaintenanceWindowTaskTaskInvocationParametersRunCommandParametersCloudwatchConfig{
						CloudwatchLogGroupName:  jsii.String(group),
						CloudwatchOutputEnabled: jsii.Bool(true),
					},
				},
			},
		})
	}
	return w
}
