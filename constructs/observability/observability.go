// Package observability gives each environment what an on-call engineer
// needs: one KMS-encrypted SNS topic that pages the environment's alert
// addresses, KMS-encrypted log groups for every application, an alarm on
// every server, target group, database and cache, the CloudWatch agent's
// configuration, and one dashboard that shows the environment's health.
//
// Thresholds come from ParityConfig.Alarms, so staging alarms exactly where
// production would; only the notification targets differ. Where silence
// means an outage (status checks, healthy hosts, GPU metrics from the agent)
// missing data is treated as breaching.
package observability

import (
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchdashboard"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopic"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopicpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopicsubscription"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmparameter"

	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/edge"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/observability/watch"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Props says what to watch.
type Props struct {
	// Info is the environment watched.
	Info envinfo.Info
	// Alarms are the thresholds.
	Alarms environments.AlarmSettings
	// AlertEmails are subscribed to the alarm topic. Default: none (the
	// topic still exists; subscribe a pager later).
	AlertEmails []string
	// LogsKey encrypts the topic and the log groups.
	LogsKey encryption.Key
	// LogRetentionDays is Scale.LogRetentionDays.
	LogRetentionDays int

	// LoadBalancerArnSuffix and TargetGroups are the edge.
	LoadBalancerArnSuffix string
	TargetGroups          []edge.TargetGroup
	// Tiers are the server tiers and their servers: each gets its log
	// group, agent configuration, server alarms and (GPU tiers) GPU alarms.
	Tiers []Tier
	// DatabaseID and ReplicaIDs are the RDS identifiers.
	DatabaseID string
	ReplicaIDs []string
	// CacheID is the Redis replication group ID; CacheNodes its node count.
	CacheID    string
	CacheNodes int
	// FilestoreID is the EFS file system.
	FilestoreID string
}

// Tier is one kind of server to watch.
type Tier struct {
	// Name is what the servers are (their Role tag, e.g. "odoo"): it names
	// the log group, agent configuration and alarms.
	Name string
	// GPU adds the NVIDIA GPU metrics to the agent configuration, and GPU
	// alarms. Default: false.
	GPU bool
	// LogFiles are the application log files the agent ships to
	// "<prefix>/<Name>/app" (at least one).
	LogFiles []string
	// Servers are its servers.
	Servers *compute.Group
	// InstanceType is their instance type: it decides whether a system
	// check failure can be answered by EC2 automatic recovery.
	InstanceType string
}

// Observability is what the environment's outputs and tests need.
type Observability struct {
	// TopicArn is the alarm topic.
	TopicArn string
	// DashboardName is the CloudWatch dashboard.
	DashboardName string
	// LogGroups maps a tier ("odoo", …) to its application log group, and
	// "<tier>/syslog" to its syslog group.
	LogGroups map[string]string
	// AgentParameters maps a tier to the SSM parameter holding its
	// CloudWatch agent configuration.
	AgentParameters map[string]string
	// TierAlarms maps a tier to the names of the alarms that watch its
	// servers and its target groups: what an off-hours schedule mutes
	// while it has stopped them.
	TierAlarms map[string][]string
	// EdgeAlarms are the names of the load balancer's own alarms (5xx,
	// latency), which fire when a routed tier is stopped and visited.
	EdgeAlarms []string
}

// EventRulePrefix starts the name of every EventBridge rule allowed to
// publish to the alarm topic: "<prefix>-".
func EventRulePrefix(i envinfo.Info) string { return i.Prefix + "-" }

type builder struct {
	c       constructs.Construct
	p       Props
	o       *Observability
	topic   string
	alarms  []string // ARNs, for the dashboard's alarm widget
	period  float64
	periods float64
}

// alarm is one metric alarm; a zero missing means "notBreaching". tier
// names the tier whose servers it watches ("edge" for the load balancer's
// own alarms, "" for the data tier).
type alarm struct {
	id, name, description, tier   string
	namespace, metric, statistic  string
	extended                      string
	dimensions                    map[string]string
	comparison                    string
	threshold                     float64
	missing                       string
	extraActions                  []string
	queries                       []cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery
	evaluationPeriods, datapoints float64
}

// made checks, after a family of alarms, that it made as many as package
// watch says (what the cost estimate bills): before is len(b.alarms)
// before the family.
func (b *builder) made(family string, before, want int) {
	if got := len(b.alarms) - before; got != want {
		panic(fmt.Sprintf("observability: %d %s alarms made, package watch says %d: change both", got, family, want))
	}
}

func (b *builder) add(a alarm) {
	i := b.p.Info
	dims := map[string]*string{}
	for k, v := range a.dimensions {
		dims[k] = jsii.String(v)
	}
	missing := a.missing
	if missing == "" {
		missing = "notBreaching"
	}
	periods := a.evaluationPeriods
	if periods == 0 {
		periods = b.periods
	}
	cfg := &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
		AlarmName:          jsii.String(i.Name(a.name)),
		AlarmDescription:   jsii.String(a.description),
		ComparisonOperator: jsii.String(a.comparison),
		Threshold:          jsii.Number(a.threshold),
		EvaluationPeriods:  jsii.Number(periods),
		TreatMissingData:   jsii.String(missing),
		AlarmActions:       jsii.Strings(append([]string{b.topic}, a.extraActions...)...),
		OkActions:          jsii.Strings(b.topic),
		Tags:               i.Tags(i.Name(a.name)),
	}
	if a.datapoints > 0 {
		cfg.DatapointsToAlarm = jsii.Number(a.datapoints)
	}
	if len(a.queries) > 0 {
		cfg.MetricQuery = a.queries
	} else {
		cfg.Namespace = jsii.String(a.namespace)
		cfg.MetricName = jsii.String(a.metric)
		cfg.Period = jsii.Number(b.period)
		cfg.Dimensions = &dims
		if a.extended != "" {
			cfg.ExtendedStatistic = jsii.String(a.extended)
		} else {
			cfg.Statistic = jsii.String(a.statistic)
		}
	}
	cloudwatchmetricalarm.NewCloudwatchMetricAlarm(b.c, jsii.String("alarm-"+a.id), cfg)
	// The ARN follows from the name; building it here saves a jsii round
	// trip per alarm.
	b.alarms = append(b.alarms, i.Arn("cloudwatch", "alarm:"+*cfg.AlarmName))
	switch a.tier {
	case "":
	case "edge":
		b.o.EdgeAlarms = append(b.o.EdgeAlarms, *cfg.AlarmName)
	default:
		b.o.TierAlarms[a.tier] = append(b.o.TierAlarms[a.tier], *cfg.AlarmName)
	}
}

// New creates the topic, log groups, agent configuration, alarms and
// dashboard.
func New(scope constructs.Construct, id string, p Props) *Observability {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i, al := p.Info, p.Alarms
	o := &Observability{LogGroups: map[string]string{}, AgentParameters: map[string]string{}, TierAlarms: map[string][]string{}}

	topicName := i.Name("alarms")
	topic := snstopic.NewSnsTopic(c, jsii.String("topic"), &snstopic.SnsTopicConfig{
		Name:           jsii.String(topicName),
		DisplayName:    jsii.String("InfluenceGen " + i.Env + " alarms"),
		KmsMasterKeyId: jsii.String(p.LogsKey.Arn),
		Tags:           i.Tags(topicName),
	})
	o.TopicArn = *topic.Arn()
	snstopicpolicy.NewSnsTopicPolicy(c, jsii.String("topic-policy"), &snstopicpolicy.SnsTopicPolicyConfig{
		Arn: jsii.String(o.TopicArn),
		Policy: jsii.String(policy.Document{Statements: []policy.Statement{
			{
				Sid:       "CloudWatchAlarmsPublish",
				Principal: map[string][]string{"Service": {"cloudwatch.amazonaws.com"}},
				Actions:   []string{"sns:Publish"},
				Resources: []string{o.TopicArn},
				Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {i.AccountID}}},
			},
			{
				// The environment's EventBridge rules: failed backup and
				// copy jobs (constructs/backup).
				Sid:       "EnvironmentEventRulesPublish",
				Principal: map[string][]string{"Service": {"events.amazonaws.com"}},
				Actions:   []string{"sns:Publish"},
				Resources: []string{o.TopicArn},
				Condition: map[string]map[string][]string{"ArnLike": {"aws:SourceArn": {i.Arn("events", "rule/"+EventRulePrefix(i)+"*")}}},
			},
			policy.DenyInsecureTransport([]string{"sns:Publish", "sns:Subscribe"}, o.TopicArn),
		}}.JSON()),
	})
	for n, email := range p.AlertEmails {
		snstopicsubscription.NewSnsTopicSubscription(c, jsii.String(fmt.Sprintf("email-%d", n+1)), &snstopicsubscription.SnsTopicSubscriptionConfig{
			TopicArn: jsii.String(o.TopicArn),
			Protocol: jsii.String("email"),
			Endpoint: jsii.String(email),
		})
	}

	// Log groups: each tier's application logs and syslog, under the
	// tier's own prefix (logs.RolePrefix).
	prefix := "/" + i.Prefix
	for _, t := range p.Tiers {
		tier := t.Name
		name := logs.AppGroup(i, tier)
		logs.NewGroup(c, "logs-"+tier, logs.Props{Info: i, Name: name, RetentionDays: p.LogRetentionDays, KeyArn: p.LogsKey.Arn})
		o.LogGroups[tier] = name
		syslog := logs.SyslogGroup(i, tier)
		logs.NewGroup(c, "syslog-"+tier, logs.Props{Info: i, Name: syslog, RetentionDays: p.LogRetentionDays, KeyArn: p.LogsKey.Arn})
		o.LogGroups[tier+"/syslog"] = syslog

		// The tier's agent configuration, where Ansible fetches it.
		cfg, err := AgentConfig(prefix, t)
		if err != nil {
			panic(err) // the embedded files are tested; reaching here is a bug
		}
		param := fmt.Sprintf("/%s/%s/cloudwatch-agent/%s", i.Project, i.Env, tier)
		ssmparameter.NewSsmParameter(c, jsii.String("agent-"+tier), &ssmparameter.SsmParameterConfig{
			Name:        jsii.String(param),
			Description: jsii.String("CloudWatch agent configuration of the " + tier + " servers (constructs/observability/agent)"),
			Type:        jsii.String("String"),
			Tier:        jsii.String("Standard"),
			// "${aws:InstanceId}" is the agent's placeholder, not Terraform's.
			Value: jsii.String(strings.ReplaceAll(cfg, "${", "$${")),
			Tags:  i.Tags(param),
		})
		o.AgentParameters[tier] = param
	}

	b := &builder{c: c, p: p, o: o, topic: o.TopicArn, period: float64(al.PeriodSeconds), periods: float64(al.EvaluationPeriods)}
	servers, gpuServers := 0, 0
	for _, t := range p.Tiers {
		servers += len(t.Servers.Instances)
		if t.GPU {
			gpuServers += len(t.Servers.Instances)
		}
	}
	before := len(b.alarms)
	b.edgeAlarms()
	b.made("load balancer", before, watch.LoadBalancerAlarms+watch.TargetGroupAlarms*len(p.TargetGroups))
	before = len(b.alarms)
	b.databaseAlarms()
	b.made("database", before, watch.DatabaseAlarms*(1+len(p.ReplicaIDs))+watch.ReplicaAlarms*len(p.ReplicaIDs))
	before = len(b.alarms)
	b.cacheAlarms()
	b.made("cache", before, watch.CacheNodeAlarms*p.CacheNodes)
	before = len(b.alarms)
	b.serverAlarms()
	b.made("server", before, watch.ServerAlarms*servers)
	before = len(b.alarms)
	b.gpuAlarms()
	b.made("GPU", before, watch.GPUServerAlarms*gpuServers)
	before = len(b.alarms)
	b.add(alarm{
		id: "efs-io-limit", name: "efs-io-limit",
		description: "Odoo filestore near its I/O limit: file uploads and reports slow down",
		namespace:   "AWS/EFS", metric: "PercentIOLimit", statistic: "Maximum",
		dimensions: map[string]string{"FileSystemId": p.FilestoreID},
		comparison: "GreaterThanThreshold", threshold: float64(al.FilestoreIOLimitPercent),
	})
	b.made("filestore", before, watch.FilestoreAlarms)

	o.DashboardName = i.Name("health")
	cloudwatchdashboard.NewCloudwatchDashboard(c, jsii.String("dashboard"), &cloudwatchdashboard.CloudwatchDashboardConfig{
		DashboardName: jsii.String(o.DashboardName),
		DashboardBody: jsii.String(dashboard(p, b.alarms)),
	})
	return o
}

func (b *builder) edgeAlarms() {
	p, al := b.p, b.p.Alarms
	lb := map[string]string{"LoadBalancer": p.LoadBalancerArnSuffix}
	b.add(alarm{
		id: "alb-5xx", name: "alb-5xx", tier: "edge",
		description: "The load balancer itself returns 5xx: no healthy target, or it cannot reach them",
		namespace:   "AWS/ApplicationELB", metric: "HTTPCode_ELB_5XX_Count", statistic: "Sum", dimensions: lb,
		comparison: "GreaterThanOrEqualToThreshold", threshold: float64(al.ELB5xxCount),
	})
	b.add(alarm{
		id: "target-5xx", name: "target-5xx", tier: "edge",
		description: "Odoo or n8n answer with 5xx",
		namespace:   "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", dimensions: lb,
		comparison: "GreaterThanOrEqualToThreshold", threshold: float64(al.Target5xxCount),
	})
	b.add(alarm{
		id: "latency-p95", name: "latency-p95", tier: "edge",
		description: fmt.Sprintf("p95 response time above %gs", al.TargetResponseP95Seconds),
		namespace:   "AWS/ApplicationELB", metric: "TargetResponseTime", extended: "p95", dimensions: lb,
		comparison: "GreaterThanThreshold", threshold: al.TargetResponseP95Seconds,
	})
	for _, tg := range p.TargetGroups {
		short := tg.Label
		dims := map[string]string{"LoadBalancer": p.LoadBalancerArnSuffix, "TargetGroup": tg.ArnSuffix}
		b.add(alarm{
			id: short + "-unhealthy", name: short + "-unhealthy-hosts", tier: tg.Label,
			description: "A " + short + " target fails its health check",
			namespace:   "AWS/ApplicationELB", metric: "UnHealthyHostCount", statistic: "Maximum", dimensions: dims,
			comparison: "GreaterThanOrEqualToThreshold", threshold: 1,
			evaluationPeriods: 3,
		})
		b.add(alarm{
			id: short + "-no-healthy", name: short + "-no-healthy-hosts", tier: tg.Label,
			description: "No healthy " + short + " target: the service is down",
			namespace:   "AWS/ApplicationELB", metric: "HealthyHostCount", statistic: "Minimum", dimensions: dims,
			comparison: "LessThanThreshold", threshold: 1, missing: "breaching",
			evaluationPeriods: 2,
		})
	}
}

func (b *builder) databaseAlarms() {
	p, al := b.p, b.p.Alarms
	instances := append([]string{p.DatabaseID}, p.ReplicaIDs...)
	for n, id := range instances {
		tag := "db"
		if n > 0 {
			tag = fmt.Sprintf("db-replica-%d", n)
		}
		dims := map[string]string{"DBInstanceIdentifier": id}
		b.add(alarm{
			id: tag + "-cpu", name: tag + "-cpu", description: "PostgreSQL CPU high",
			namespace: "AWS/RDS", metric: "CPUUtilization", statistic: "Average", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: float64(al.DatabaseCPUPercent),
		})
		b.add(alarm{
			id: tag + "-free-storage", name: tag + "-free-storage", description: "PostgreSQL running out of storage (autoscaling may be at its ceiling)",
			namespace: "AWS/RDS", metric: "FreeStorageSpace", statistic: "Minimum", dimensions: dims,
			comparison: "LessThanThreshold", threshold: float64(al.DatabaseFreeStorageGB) * 1024 * 1024 * 1024,
		})
		b.add(alarm{
			id: tag + "-free-memory", name: tag + "-free-memory", description: "PostgreSQL low on freeable memory",
			namespace: "AWS/RDS", metric: "FreeableMemory", statistic: "Minimum", dimensions: dims,
			comparison: "LessThanThreshold", threshold: float64(al.DatabaseFreeMemoryMB) * 1024 * 1024,
		})
		b.add(alarm{
			id: tag + "-connections", name: tag + "-connections", description: "PostgreSQL connection count near the limit",
			namespace: "AWS/RDS", metric: "DatabaseConnections", statistic: "Maximum", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: float64(al.DatabaseConnections),
		})
		if n > 0 {
			b.add(alarm{
				id: tag + "-lag", name: tag + "-lag", description: "Read replica lags behind the primary",
				namespace: "AWS/RDS", metric: "ReplicaLag", statistic: "Maximum", dimensions: dims,
				comparison: "GreaterThanThreshold", threshold: float64(al.ReplicaLagSeconds), missing: "breaching",
			})
		}
	}
}

// CacheNodeID is the ID of the n-th (1-based) node of a replication group.
func CacheNodeID(groupID string, n int) string { return fmt.Sprintf("%s-%03d", groupID, n) }

func (b *builder) cacheAlarms() {
	p, al := b.p, b.p.Alarms
	for n := 1; n <= p.CacheNodes; n++ {
		dims := map[string]string{"CacheClusterId": CacheNodeID(p.CacheID, n)}
		tag := fmt.Sprintf("redis-%d", n)
		b.add(alarm{
			id: tag + "-cpu", name: tag + "-cpu", description: "Redis engine CPU high (single-threaded: queue latency follows)",
			namespace: "AWS/ElastiCache", metric: "EngineCPUUtilization", statistic: "Average", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: float64(al.CacheCPUPercent),
		})
		b.add(alarm{
			id: tag + "-memory", name: tag + "-memory", description: "Redis memory filling up (noeviction: writes will fail)",
			namespace: "AWS/ElastiCache", metric: "DatabaseMemoryUsagePercentage", statistic: "Maximum", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: float64(al.CacheMemoryPercent),
		})
		b.add(alarm{
			id: tag + "-evictions", name: tag + "-evictions", description: "Redis evicted keys: n8n queue jobs may be lost",
			namespace: "AWS/ElastiCache", metric: "Evictions", statistic: "Sum", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1,
		})
	}
}

func (b *builder) serverAlarms() {
	p, al := b.p, b.p.Alarms
	recover := fmt.Sprintf("arn:%s:automate:%s:ec2:recover", p.Info.Partition, p.Info.Region)
	for _, t := range p.Tiers {
		// EC2 automatic recovery is refused for instance types it does not
		// support (instance store, e.g. every GPU type here): CloudWatch
		// validates the instance when the alarm is created
		// (environments.AutoRecoverySupported).
		var actions []string
		if environments.AutoRecoverySupported(t.InstanceType) {
			actions = []string{recover}
		}
		for n, in := range t.Servers.Instances {
			tag := fmt.Sprintf("%s-%d", t.Name, n+1)
			dims := map[string]string{"InstanceId": in.ID}
			description := "AWS hardware or host problem: the instance is being recovered onto healthy hardware"
			if actions == nil {
				description = "AWS hardware or host problem (" + t.InstanceType + " cannot be recovered automatically): stop and start it onto healthy hardware (docs/runbooks)"
			}
			b.add(alarm{
				id: tag + "-system-check", name: tag + "-system-check", tier: t.Name,
				description: description,
				namespace:   "AWS/EC2", metric: "StatusCheckFailed_System", statistic: "Maximum", dimensions: dims,
				comparison: "GreaterThanOrEqualToThreshold", threshold: 1, missing: "breaching",
				evaluationPeriods: 2, extraActions: actions,
			})
			b.add(alarm{
				id: tag + "-instance-check", name: tag + "-instance-check", tier: t.Name,
				description: "The operating system does not answer (kernel, memory, file system): reboot or replace it",
				namespace:   "AWS/EC2", metric: "StatusCheckFailed_Instance", statistic: "Maximum", dimensions: dims,
				comparison: "GreaterThanOrEqualToThreshold", threshold: 1, missing: "breaching",
				evaluationPeriods: 3,
			})
			b.add(alarm{
				id: tag + "-cpu", name: tag + "-cpu", tier: t.Name, description: "Server CPU high",
				namespace: "AWS/EC2", metric: "CPUUtilization", statistic: "Average", dimensions: dims,
				comparison: "GreaterThanThreshold", threshold: float64(al.ServerCPUPercent),
				evaluationPeriods: 2 * b.periods,
			})
		}
	}
}

func (b *builder) gpuAlarms() {
	for _, t := range b.p.Tiers {
		if t.GPU {
			b.gpuTierAlarms(t)
		}
	}
}

func (b *builder) gpuTierAlarms(t Tier) {
	al := b.p.Alarms
	for n, in := range t.Servers.Instances {
		tag := fmt.Sprintf("%s-%d-gpu", t.Name, n+1)
		dims := map[string]string{"InstanceId": in.ID}
		b.add(alarm{
			id: tag + "-utilization", name: tag + "-utilization", tier: t.Name,
			description: "GPU saturated (requests queue, 429s follow) or no GPU metrics at all (driver or agent down)",
			namespace:   "CWAgent", metric: GPUUtilizationMetric, statistic: "Average", dimensions: dims,
			comparison: "GreaterThanThreshold", threshold: float64(al.GPUUtilizationPercent), missing: "breaching",
			evaluationPeriods: 3 * b.periods, datapoints: 3 * b.periods,
		})
		metric := func(id, name string) cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery {
			return cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery{
				Id: jsii.String(id),
				Metric: &cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQueryMetric{
					Namespace:  jsii.String("CWAgent"),
					MetricName: jsii.String(name),
					Dimensions: &map[string]*string{"InstanceId": jsii.String(in.ID)},
					Period:     jsii.Number(b.period),
					Stat:       jsii.String("Maximum"),
				},
				ReturnData: jsii.Bool(false),
			}
		}
		b.add(alarm{
			id: tag + "-memory", name: tag + "-memory", tier: t.Name,
			description: "GPU memory nearly full: the next LoRA switch or a larger image will fail with out-of-memory",
			comparison:  "GreaterThanThreshold", threshold: float64(al.GPUMemoryPercent), missing: "breaching",
			queries: []cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery{
				metric("used", GPUMemoryUsedMetric),
				metric("total", GPUMemoryTotalMetric),
				{Id: jsii.String("percent"), Expression: jsii.String("100 * used / total"), Label: jsii.String("GPU memory used (%)"), ReturnData: jsii.Bool(true)},
			},
		})
	}
}
