// Package offhours stops the servers of chosen tiers outside working hours
// and starts them again, with EventBridge Scheduler: Monday to Friday, in
// the account's time zone (daylight saving followed by the scheduler).
//
// In the evening the alarms that watch the stopped servers and their
// target groups are muted first (a stopped server fails its status checks
// and its target group has no healthy host), then the tiers stop in the
// order given (the GPU tier first: it costs the most). In the morning the
// tiers start in reverse order and, once they have had time to boot and
// pass their health checks, the alarms are unmuted. Nothing else stops:
// the database, cache, NAT gateways and load balancer run on.
//
// Environments with Scale.OffHours only; production has none (Validate).
package offhours

import (
	"encoding/json"
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/schedulerschedule"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Offsets from Start and Stop, in minutes.
const (
	// StopAfterMuteMinutes separates muting the alarms from the first stop.
	StopAfterMuteMinutes = 5
	// UnmuteAfterStartMinutes is how long the servers get to boot, start
	// their services and pass the load balancer's health checks before
	// their alarms notify again.
	UnmuteAfterStartMinutes = 20
)

// Tier is one tier the schedule stops.
type Tier struct {
	// Name is the tier.
	Name string
	// InstanceIDs are its servers.
	InstanceIDs []string
	// Alarms are the names of the alarms watching them.
	Alarms []string
	// Routed tiers sit behind the load balancer: stopping one mutes the
	// load balancer's own alarms too.
	Routed bool
}

// Props configures the schedule.
type Props struct {
	// Info is the environment.
	Info envinfo.Info
	// Timezone is Account.Timezone.
	Timezone string
	// Hours are the working hours (Scale.OffHours).
	Hours environments.OffHours
	// Tiers are the tiers to stop, in the order they stop.
	Tiers []Tier
	// EdgeAlarms are the load balancer's own alarms.
	EdgeAlarms []string
	// DataKeyArn encrypts the servers' volumes: starting them makes EBS
	// create grants on it for the caller.
	DataKeyArn string
}

// Schedule is one created schedule, for tests and the runbook.
type Schedule struct {
	// Name is the schedule name.
	Name string
	// Expression is its cron expression (in Props.Timezone).
	Expression string
}

// New creates the scheduler's role and the schedules, and returns them in
// the order they fire during a day.
func New(scope constructs.Construct, id string, p Props) []Schedule {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	startMin := minutes(p.Hours.Start)
	stopMin := minutes(p.Hours.Stop)

	var alarms []string
	routed := false
	for _, t := range p.Tiers {
		alarms = append(alarms, t.Alarms...)
		routed = routed || t.Routed
	}
	if routed {
		alarms = append(alarms, p.EdgeAlarms...)
	}

	roleName := i.Name("offhours")
	var tierNames []string
	for _, t := range p.Tiers {
		tierNames = append(tierNames, t.Name)
	}
	role := iamrole.NewIamRole(c, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(roleName),
		Description:         jsii.String("EventBridge Scheduler stops and starts InfluenceGen " + i.Env + " servers outside working hours"),
		AssumeRolePolicy:    jsii.String(policy.AssumeRole("scheduler.amazonaws.com", i.AccountID)),
		PermissionsBoundary: jsii.String(i.BoundaryArn()),
		Tags:                i.Tags(roleName),
	})
	// By tag rather than by instance: the servers of the scheduled tiers
	// of this environment, however many (constructs/compute tags them).
	statements := []policy.Statement{
		{
			Sid:       "StartAndStopTheScheduledTiers",
			Actions:   []string{"ec2:StartInstances", "ec2:StopInstances"},
			Resources: []string{i.Arn("ec2", "instance/*")},
			Condition: map[string]map[string][]string{"StringEquals": {
				"aws:ResourceTag/Environment": {i.Env},
				"aws:ResourceTag/Role":        tierNames,
			}},
		},
		{
			// Starting an instance whose volumes are under a customer
			// managed key makes EBS create a grant on it for the caller
			// (EC2 User Guide, "Amazon EBS encryption", required key
			// permissions).
			Sid:       "EBSGrantsOnTheDataKey",
			Actions:   []string{"kms:CreateGrant"},
			Resources: []string{p.DataKeyArn},
			Condition: map[string]map[string][]string{
				"Bool":         {"kms:GrantIsForAWSResource": {"true"}},
				"StringEquals": {"kms:ViaService": {i.ServiceHost("ec2")}},
			},
		},
		// The environment's own alarms (their names start with its prefix).
		policy.Allow("MuteItsAlarms", []string{"cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"}, []string{i.Arn("cloudwatch", "alarm:"+i.Prefix+"-*")}),
	}
	iamrolepolicy.NewIamRolePolicy(c, jsii.String("policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name:   jsii.String("start-stop"),
		Role:   role.Id(),
		Policy: jsii.String(policy.Document{Statements: statements}.JSON()),
	})

	var out []Schedule
	add := func(sid, what string, at int, action string, input map[string][]string) {
		name := i.Name("offhours-" + sid)
		s := Schedule{Name: name, Expression: weekdays(at)}
		body, err := json.Marshal(input)
		if err != nil {
			panic(err)
		}
		schedulerschedule.NewSchedulerSchedule(c, jsii.String(sid), &schedulerschedule.SchedulerScheduleConfig{
			Name:                       jsii.String(name),
			Description:                jsii.String(what),
			ScheduleExpression:         jsii.String(s.Expression),
			ScheduleExpressionTimezone: jsii.String(p.Timezone),
			FlexibleTimeWindow:         &schedulerschedule.SchedulerScheduleFlexibleTimeWindow{Mode: jsii.String("OFF")},
			State:                      jsii.String("ENABLED"),
			Target: &schedulerschedule.SchedulerScheduleTarget{
				// A universal target: the API action itself
				// (EventBridge Scheduler user guide, "Using universal
				// targets"): arn:aws:scheduler:::aws-sdk:<service>:<action>.
				Arn:     jsii.String(fmt.Sprintf("arn:%s:scheduler:::aws-sdk:%s", i.Partition, action)),
				RoleArn: role.Arn(),
				Input:   jsii.String(string(body)),
				// A stop or start an hour late is worse than none.
				RetryPolicy: &schedulerschedule.SchedulerScheduleTargetRetryPolicy{
					MaximumEventAgeInSeconds: jsii.Number(3600),
					MaximumRetryAttempts:     jsii.Number(10),
				},
			},
		})
		out = append(out, s)
	}

	// Morning: start in reverse order, then unmute.
	for n := len(p.Tiers) - 1; n >= 0; n-- {
		t := p.Tiers[n]
		add("start-"+t.Name, "Start the "+t.Name+" servers for the working day", startMin+(len(p.Tiers)-1-n),
			"ec2:startInstances", map[string][]string{"InstanceIds": t.InstanceIDs})
	}
	// DisableAlarmActions and EnableAlarmActions take at most 100 names
	// (CloudWatch API reference, AlarmNames: max 100), and a schedule's
	// input at most 8192 characters (EventBridge Scheduler API reference,
	// Target.Input): more alarms take more schedules, "mute", "mute-2", ….
	for n, batch := range batches(alarms, MaxAlarmNamesPerCall, MaxScheduleInputBytes-len(`{"AlarmNames":[]}`)) {
		suffix := ""
		if n > 0 {
			suffix = fmt.Sprintf("-%d", n+1)
		}
		add("unmute"+suffix, "Notify again on the alarms of the servers started this morning", startMin+UnmuteAfterStartMinutes,
			"cloudwatch:enableAlarmActions", map[string][]string{"AlarmNames": batch})
		add("mute"+suffix, "Mute the alarms of the servers about to stop", stopMin,
			"cloudwatch:disableAlarmActions", map[string][]string{"AlarmNames": batch})
	}
	// Evening: stop in order.
	for n, t := range p.Tiers {
		add("stop-"+t.Name, "Stop the "+t.Name+" servers after the working day", stopMin+StopAfterMuteMinutes+n,
			"ec2:stopInstances", map[string][]string{"InstanceIds": t.InstanceIDs})
	}
	return out
}

// The limits a mute schedule's call is split by.
const (
	// MaxAlarmNamesPerCall is what Disable/EnableAlarmActions take at most.
	MaxAlarmNamesPerCall = 100
	// MaxScheduleInputBytes is the longest input a schedule's target takes.
	MaxScheduleInputBytes = 8192
)

// batches splits names, in order, into runs of at most max names whose
// JSON array (quotes and commas) fits in maxBytes.
func batches(names []string, max, maxBytes int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, n := range names {
		b, _ := json.Marshal(n)
		if len(cur) == max || len(cur) > 0 && size+len(b)+1 > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, n)
		size += len(b) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// minutes reads "HH:MM" (validated by environments.Validate).
func minutes(clock string) int {
	h, m, ok := environments.ParseClock(clock)
	if !ok {
		panic(fmt.Sprintf("offhours: %q is not HH:MM (environments.Validate should have refused it)", clock))
	}
	return h*60 + m
}

// weekdays is the cron expression for Monday to Friday at a minute of the
// day (which environments.Validate keeps before 23:00, so every offset
// stays on the same day).
func weekdays(at int) string {
	return fmt.Sprintf("cron(%d %d ? * MON-FRI *)", at%60, at/60)
}
