// Package environments describes every InfluenceGen environment as one Go
// value, ParityConfig, and proves that staging is production with only its
// identity and scale changed.
//
// Production() is the reference. Staging() is Production().Derive(...) with a
// new Identity and Scale and nothing else; Validate rejects a staging value
// whose other fields were changed afterwards. Dev() starts from production
// too but is a sandbox: its documented overrides (smaller instance types, its
// own region) are allowed and it is not held to parity.
package environments

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Kind says how an environment relates to production.
type Kind string

const (
	// Reference is production: the environment every other one is derived from.
	Reference Kind = "reference"
	// Parity environments (staging) may differ from the reference only in
	// Identity and Scale. Validate and the synthesized-JSON parity test
	// enforce it.
	Parity Kind = "parity"
	// Sandbox environments (dev) start from the reference but may override
	// anything; they are not parity environments.
	Sandbox Kind = "sandbox"
)

// ParityConfig says everything about one environment. Fields other than
// Identity, Kind and Scale say *what* runs (types, versions, settings, rules)
// and are shared by production and staging by construction.
type ParityConfig struct {
	// Identity names the environment: the only non-scale values staging
	// does not take from production.
	Identity Identity
	// Kind is Reference, Parity or Sandbox.
	Kind Kind
	// Scale says how much and how long: counts, sizes, redundancy,
	// retention and deletion protection.
	Scale Scale

	// Region is the AWS region the environment runs in. Staging shares
	// production's region (Account.PrimaryRegion).
	Region string
	// Network holds the VPC settings other than its CIDR.
	Network NetworkSettings
	// Tiers are the kinds of server the platform runs, each declared once
	// (see Tier). Default: DefaultTiers().
	Tiers []Tier
	// Servers are the instance type and root volume of every tier's
	// servers, by tier name. Every tier needs an entry.
	Servers map[string]ServerSettings
	// Database holds the RDS PostgreSQL settings.
	Database DatabaseSettings
	// Cache holds the ElastiCache Redis settings (n8n queue mode).
	Cache CacheSettings
	// Storage holds the EFS filestore and S3 bucket settings.
	Storage StorageSettings
	// Compute holds what every server shares: the AMI and admin access.
	Compute ComputeSettings
	// Edge holds the internet-facing load balancer's settings.
	Edge EdgeSettings
	// Alarms holds every alarm threshold: shared, so staging pages on
	// exactly what would page in production.
	Alarms AlarmSettings
	// Backup holds the AWS Backup plan's schedule; how long recovery
	// points are kept, and whether they are copied and locked, is Scale.
	Backup BackupSettings
	// Models says which base model the GPU servers serve and the host a
	// model version is made on; whether that host exists now is
	// Scale.QuantizationHost.
	Models ModelSettings
}

// BackupSettings are the AWS Backup plan settings shared by production and
// staging.
type BackupSettings struct {
	// Schedule is when the daily backup starts, an AWS cron expression in
	// UTC: "cron(0 4 * * ? *)". Keep it clear of Database.BackupWindow (RDS
	// does not snapshot during its own backup) and the Odoo dump timer.
	Schedule string
	// StartWindowMinutes is how long after Schedule a job may start before
	// it is cancelled (≥ 60), CompletionWindowMinutes how long it may run
	// (≥ StartWindowMinutes + 60).
	StartWindowMinutes, CompletionWindowMinutes int
}

// Identity is what makes an environment itself rather than a copy of
// another: its name, address space, domain and state key.
type Identity struct {
	// Name is the environment name: lower case, used in resource names,
	// the Environment tag and the stack name "<Name>-stack".
	Name string
	// VPCCIDR is the environment's VPC address block (/16 to /22, RFC 1918).
	// It must not overlap any other environment or Account.PeeredCIDRs.
	VPCCIDR string
	// Domain is the DNS name the environment's routed tiers live under
	// (odoo.<Domain>, n8n.<Domain>): Account.Domain for production,
	// <Name>.<Account.Domain> for the others.
	Domain string
	// StateKey is the S3 key of the stack's state: "<Name>/terraform.tfstate".
	StateKey string
	// AlertEmails are the addresses the environment's alarms notify, from
	// Account.AlertEmails: the one thing besides Scale staging's alarms may
	// do differently from production's.
	AlertEmails []string
	// PatchWindow is when the weekly patch window starts, "<DAY> <HH:MM>"
	// in Account.Timezone, from Account.PatchWindows: staging patches at
	// another hour than production, so a bad patch shows there first.
	PatchWindow string
}

// PatchCron is the patch window's start as an AWS cron expression
// ("SUN 03:00" → "cron(0 3 ? * SUN *)"), or "" if PatchWindow is not
// "<DAY> <HH:MM>".
func (id Identity) PatchCron() string {
	day, hour, minute, ok := ParseWeeklyTime(id.PatchWindow)
	if !ok {
		return ""
	}
	return fmt.Sprintf("cron(%d %d ? * %s *)", minute, hour, day)
}

// NetworkSettings are the VPC settings shared by production and staging.
type NetworkSettings struct {
	// FlowLogTrafficType is what VPC flow logs record: ALL, ACCEPT or REJECT.
	FlowLogTrafficType string
	// InterfaceEndpoints are the AWS services reached through interface VPC
	// endpoints from the private subnets. It must include ssm, ssmmessages
	// and ec2messages: Session Manager is the only way onto the servers.
	InterfaceEndpoints []string
	// ZoneIDs are the availability zones of Region, by zone ID (the same in
	// every account, unlike zone names), in the order the tiers use them:
	// Scale.AZCount takes the first ones. Pinned, so a zone that is
	// impaired or newly added never moves a subnet, and with it every
	// server and volume in it.
	ZoneIDs []string
}

// ComputeSettings are shared by every server.
type ComputeSettings struct {
	// AMIOwner is the AWS account publishing the AMI (Canonical:
	// 099720109477).
	AMIOwner string
	// AMINamePattern selects the newest matching AMI at plan time, e.g.
	// "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*". A new
	// AMI does not replace running servers (ignore_changes); roll it out
	// with `cdktf deploy … -replace`.
	AMINamePattern string
	// AMIID pins an explicit AMI instead of the pattern. Default: "" (use
	// AMIOwner and AMINamePattern).
	AMIID string
	// AdminSSHCIDR opens port 22 on every server to this network (an office
	// or VPN range, never the world). Default: "" — no SSH at all; Session
	// Manager is the way in.
	AdminSSHCIDR string
}

// EdgeSettings configure the internet-facing application load balancer.
type EdgeSettings struct {
	// CertificateArn uses an existing ACM certificate covering both
	// hostnames. Default: "" — a certificate is requested and DNS-validated
	// in the Route53 zone of Account.Domain.
	CertificateArn string
	// TLSPolicy is the HTTPS listener's security policy.
	TLSPolicy string
	// IdleTimeoutSeconds is the load balancer idle timeout (Odoo's
	// websocket and long reports need more than the default 60).
	IdleTimeoutSeconds int
	// WAF attaches an AWS WAFv2 web ACL with the AWS managed common and
	// known-bad-inputs rule groups.
	WAF bool
	// WAFRateLimit blocks a client IP above this many requests per 5
	// minutes. Default: 0, no rate limit.
	WAFRateLimit int
	// WAFLoginRateLimit blocks a client IP above this many requests per 5
	// minutes to a routed tier's LoginPaths (password guessing). Default:
	// 0, none.
	WAFLoginRateLimit int
	// WAFMode is the rollout stage of the AWS managed core rule set
	// (docs/runbooks/waf-rollout.md): "count" only labels and logs what it
	// would block (the first week of real traffic), "block" blocks it,
	// except the rules each route's WAFExceptions relax on that route's
	// paths. The known-bad-inputs rules and the rate limits block in both.
	WAFMode string
}

// DatabaseSettings are the RDS PostgreSQL settings shared by production
// and staging.
type DatabaseSettings struct {
	// EngineVersion is the PostgreSQL major version ("16"); minor versions
	// are applied automatically in the maintenance window. One of
	// SupportedPostgresVersions.
	EngineVersion string
	// InstanceClass is the RDS instance class of the primary and replicas.
	InstanceClass string
	// MasterUsername is the RDS master user. Its password is generated and
	// kept by RDS in Secrets Manager (manage_master_user_password); the
	// applications use their own least-privilege roles.
	MasterUsername string
	// SlowStatementMs logs every statement slower than this
	// (log_min_duration_statement).
	SlowStatementMs int
	// MonitoringIntervalSeconds is the enhanced-monitoring interval
	// (1, 5, 10, 15, 30 or 60).
	MonitoringIntervalSeconds int
	// PerformanceInsightsRetentionDays is 7 (free tier) or a multiple of
	// 31 up to 731.
	PerformanceInsightsRetentionDays int
	// BackupWindow and MaintenanceWindow are UTC windows; they must not
	// overlap.
	BackupWindow, MaintenanceWindow string
}

// CacheSettings are the ElastiCache Redis settings.
type CacheSettings struct {
	// EngineVersion is the Redis version, one of SupportedRedisVersions.
	EngineVersion string
	// NodeType is the ElastiCache node type.
	NodeType string
	// SnapshotWindow and MaintenanceWindow are UTC windows.
	SnapshotWindow, MaintenanceWindow string
}

// StorageSettings are the EFS filestore and S3 settings.
type StorageSettings struct {
	// EFSTransitionToIA moves filestore files not read for this long to
	// Infrequent Access: AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS,
	// AFTER_60_DAYS or AFTER_90_DAYS.
	EFSTransitionToIA string
	// BackupTransitionToIADays moves backups to STANDARD_IA after this many
	// days (≥ 30).
	BackupTransitionToIADays int
}

// AlarmSettings are the CloudWatch alarm thresholds. Each alarm fires after
// EvaluationPeriods consecutive breaching minutes (PeriodSeconds each).
type AlarmSettings struct {
	// PeriodSeconds is the alarm period (60 with detailed monitoring).
	PeriodSeconds int
	// EvaluationPeriods is how many periods must breach.
	EvaluationPeriods int

	// ELB5xxCount and Target5xxCount are 5xx responses per period from the
	// load balancer itself and from the targets.
	ELB5xxCount, Target5xxCount int
	// TargetResponseP95Seconds is the p95 latency ceiling.
	TargetResponseP95Seconds float64

	// DatabaseCPUPercent, DatabaseFreeStorageGB, DatabaseFreeMemoryMB,
	// DatabaseConnections and ReplicaLagSeconds bound RDS.
	DatabaseCPUPercent    int
	DatabaseFreeStorageGB int
	DatabaseFreeMemoryMB  int
	DatabaseConnections   int
	ReplicaLagSeconds     int

	// CacheCPUPercent and CacheMemoryPercent bound each Redis node;
	// any eviction alarms (BullMQ loses jobs).
	CacheCPUPercent, CacheMemoryPercent int

	// ServerCPUPercent bounds every server's CPU.
	ServerCPUPercent int
	// GPUUtilizationPercent and GPUMemoryPercent bound each GPU
	// (sustained saturation means requests are queueing).
	GPUUtilizationPercent, GPUMemoryPercent int
	// FilestoreIOLimitPercent bounds EFS PercentIOLimit.
	FilestoreIOLimitPercent int
}

// SupportedPostgresVersions are the PostgreSQL major versions Odoo 18 and
// n8n support on RDS.
var SupportedPostgresVersions = []string{"14", "15", "16", "17"}

// SupportedRedisVersions are the ElastiCache Redis versions BullMQ (n8n
// queue mode) supports with TLS and AUTH.
var SupportedRedisVersions = []string{"6.2", "7.0", "7.1"}

// StackName is the cdktf stack name of the environment: "<name>-stack".
func (c ParityConfig) StackName() string { return c.Identity.Name + "-stack" }

// Derive returns a parity environment: a deep copy of c with only its
// identity and scale replaced. It is the only way Staging() is made.
func (c ParityConfig) Derive(id Identity, s Scale) ParityConfig {
	d := c.clone()
	d.Identity = id
	d.Scale = s.clone()
	d.Kind = Parity
	return d
}

// clone returns a deep copy, so a derived environment shares no slice or
// map with the reference it came from.
func (c ParityConfig) clone() ParityConfig {
	d := c
	d.Network.InterfaceEndpoints = slices.Clone(c.Network.InterfaceEndpoints)
	d.Network.ZoneIDs = slices.Clone(c.Network.ZoneIDs)
	d.Tiers = cloneTiers(c.Tiers)
	d.Servers = maps.Clone(c.Servers)
	d.Scale = c.Scale.clone()
	return d
}

func cloneTiers(ts []Tier) []Tier {
	out := slices.Clone(ts)
	for i, t := range out {
		if t.Route != nil {
			r := *t.Route
			r.LoginPaths = slices.Clone(r.LoginPaths)
			r.WAFExceptions = slices.Clone(r.WAFExceptions)
			for j, x := range r.WAFExceptions {
				r.WAFExceptions[j].Rules = slices.Clone(x.Rules)
				r.WAFExceptions[j].PathPrefixes = slices.Clone(x.PathPrefixes)
			}
			out[i].Route = &r
		}
		out[i].Reaches = slices.Clone(t.Reaches)
		out[i].Secrets = slices.Clone(t.Secrets)
		out[i].Buckets = slices.Clone(t.Buckets)
		out[i].Images = slices.Clone(t.Images)
		out[i].EgressPorts = slices.Clone(t.EgressPorts)
		out[i].LogFiles = slices.Clone(t.LogFiles)
	}
	return out
}

// NewIdentity returns the identity of an environment called name with the
// given VPC block: its hostnames under Account.Domain, its own state key and
// its alert addresses from Account.AlertEmails. Production is served at
// odoo.<domain> and n8n.<domain>, every other environment one level below
// its own name (odoo.staging.<domain>).
func NewIdentity(name, vpcCIDR string, a Account) Identity {
	base := a.Domain
	if name != "production" {
		base = name + "." + a.Domain
	}
	return Identity{
		Name:        name,
		VPCCIDR:     vpcCIDR,
		Domain:      base,
		StateKey:    StateKey(name),
		AlertEmails: append([]string(nil), a.AlertEmails[name]...),
		PatchWindow: a.PatchWindows[name],
	}
}

// Renamed is the identity of an environment called name with the given VPC
// block (NewIdentity) that notifies the same addresses and patches in the
// same window as id: for the environments the tests and the parity proof
// derive from a real one, which Account knows nothing of.
func (id Identity) Renamed(name, vpcCIDR string, a Account) Identity {
	out := NewIdentity(name, vpcCIDR, a)
	out.AlertEmails = id.AlertEmails
	out.PatchWindow = id.PatchWindow
	return out
}

// String summarises the environment for logs and error messages.
func (c ParityConfig) String() string {
	return fmt.Sprintf("%s (%s, %s, %s)", c.Identity.Name, c.Kind, c.Region, c.Identity.VPCCIDR)
}

// Names returns the environment names of envs, in order.
func Names(envs []ParityConfig) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.Identity.Name
	}
	return out
}

// Find returns the environment called name.
func Find(envs []ParityConfig, name string) (ParityConfig, error) {
	for _, e := range envs {
		if e.Identity.Name == name {
			return e, nil
		}
	}
	return ParityConfig{}, fmt.Errorf("unknown environment %q: choose one of %s", name, strings.Join(Names(envs), ", "))
}
