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
	"net/netip"
	"regexp"
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
	// Servers override a tier's Instance in this environment, by tier name
	// (dev runs smaller types). A parity environment has production's.
	// Default: none.
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
	// PerformanceInsightsRetentionDays is 7 (free tier), 31 times 1 to 23
	// months, or 731 (the RDS API's valid values: botocore
	// rds/2014-10-31/service-2.json, PerformanceInsightsRetentionPeriod).
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

// check checks one environment: each part checks itself, then the rules
// that tie parts together.
func (e ParityConfig) check(c checker, a Account) {
	e.Identity.check(c, a)
	switch e.Kind {
	case Reference, Parity, Sandbox:
	default:
		c.add("Kind", fmt.Sprintf("unknown kind %q", e.Kind), "use Reference, Parity or Sandbox")
	}
	if !IsRegion(e.Region) {
		c.add("Region", fmt.Sprintf("%q is not an AWS region", e.Region), "use a region code such as eu-central-1")
	}
	e.Scale.check(c, e.Kind)
	e.Network.check(c, e.Region, e.Scale.AZCount)
	e.Database.check(c)
	e.Cache.check(c)
	e.Storage.check(c)
	e.checkTiers(c)
	e.Compute.check(c)
	e.Edge.check(c, e.Kind)
	e.Alarms.check(c, e.Scale)
	e.Backup.check(c)
	e.checkSchedules(c)
	e.Models.check(c)
}

var (
	envNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,11}$`)
	cidrField = "Identity.VPCCIDR"
)

// check checks the environment's name, address space, domain, state key
// and patch window against the account.
func (id Identity) check(c checker, a Account) {
	n := id.Name
	if len(a.Project)+len(n) > 23 {
		c.add("Identity.Name", fmt.Sprintf("%q with project %q is too long: load balancer and target group names (\"<project>-<env>-odoo-ws\") are limited to 32 characters", n, a.Project), "shorten the environment name or Account.Project to 23 characters together")
	}
	if !envNameRE.MatchString(n) {
		c.add("Identity.Name", fmt.Sprintf("%q is not a lower-case name of 2–12 letters and digits", n), `use e.g. "staging"`)
	}
	if want := StateKey(n); id.StateKey != want {
		c.add("Identity.StateKey", fmt.Sprintf("%q would not be this environment's own state", id.StateKey), fmt.Sprintf("set it to %q (StateKey(name))", want))
	}
	p, err := netip.ParsePrefix(id.VPCCIDR)
	switch {
	case err != nil:
		c.add(cidrField, fmt.Sprintf("%q is not a CIDR block", id.VPCCIDR), `write it as "10.40.0.0/16"`)
	case !p.Addr().Is4():
		c.add(cidrField, fmt.Sprintf("%q is not IPv4", id.VPCCIDR), "use an IPv4 RFC 1918 block such as 10.40.0.0/16")
	case p.Masked() != p:
		c.add(cidrField, fmt.Sprintf("%q has host bits set", id.VPCCIDR), fmt.Sprintf("use the network address %s", p.Masked()))
	case p.Bits() < 16 || p.Bits() > 22:
		c.add(cidrField, fmt.Sprintf("%q is a /%d: AWS allows /16 at most, and the three subnet tiers need /22 at least", id.VPCCIDR, p.Bits()), "use a prefix between /16 and /22")
	case !p.Addr().IsPrivate():
		c.add(cidrField, fmt.Sprintf("%q is not a private (RFC 1918) range", id.VPCCIDR), "use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
	}
	if want := NewIdentity(n, id.VPCCIDR, a).Domain; id.Domain != want {
		c.add("Identity.Domain", fmt.Sprintf("%q: the environment's names must live under %s", id.Domain, want), fmt.Sprintf("set it to %q (NewIdentity)", want))
	}
	if _, _, _, ok := ParseWeeklyTime(id.PatchWindow); !ok {
		c.add("Identity.PatchWindow", fmt.Sprintf("%q is not \"<DAY> <HH:MM>\"", id.PatchWindow), fmt.Sprintf(`set Account.PatchWindows[%q], e.g. "SUN 03:00"`, n))
	} else if want := a.PatchWindows[n]; id.PatchWindow != want {
		c.add("Identity.PatchWindow", fmt.Sprintf("%q is not Account.PatchWindows[%q] (%q)", id.PatchWindow, n, want), "set it with NewIdentity")
	}
}

// requiredEndpoints are the interface endpoints Session Manager needs.
var requiredEndpoints = []string{"ssm", "ssmmessages", "ec2messages"}

var zoneIDRE = regexp.MustCompile(`^([a-z]+[0-9])-az[0-9]+$`)

// check checks flow logs, the endpoints Session Manager needs, and the
// zones (at least azCount of the region's).
func (n NetworkSettings) check(c checker, region string, azCount int) {
	switch n.FlowLogTrafficType {
	case "ALL", "ACCEPT", "REJECT":
	default:
		c.add("Network.FlowLogTrafficType", fmt.Sprintf("%q is not a flow log traffic type", n.FlowLogTrafficType), "use ALL, ACCEPT or REJECT")
	}
	for _, req := range requiredEndpoints {
		if !slices.Contains(n.InterfaceEndpoints, req) {
			c.add("Network.InterfaceEndpoints", fmt.Sprintf("%q is missing: Session Manager cannot reach servers without public IPs", req), fmt.Sprintf("add %q", req))
		}
	}
	for i, ep := range n.InterfaceEndpoints {
		if !labelRE.MatchString(ep) {
			c.add(fmt.Sprintf("Network.InterfaceEndpoints[%d]", i), fmt.Sprintf("%q is not an AWS service endpoint name", ep), `use the short service name, e.g. "logs"`)
		}
	}
	const field = "Network.ZoneIDs"
	if len(n.ZoneIDs) < azCount {
		c.add(field, fmt.Sprintf("%d zone(s) for Scale.AZCount %d", len(n.ZoneIDs), azCount),
			"list at least Scale.AZCount zone IDs of the region (Account.PrimaryZoneIDs or DevZoneIDs), e.g. euc1-az1")
	}
	seen := map[string]bool{}
	for i, id := range n.ZoneIDs {
		m := zoneIDRE.FindStringSubmatch(id)
		switch {
		case m == nil:
			c.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not an availability zone ID", id), `use the zone ID, e.g. "euc1-az1" (aws ec2 describe-availability-zones --query 'AvailabilityZones[].ZoneId')`)
		case zonePrefixes[region] != "" && m[1] != zonePrefixes[region]:
			c.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not a zone of %s (its zone IDs start with %s-)", id, region, zonePrefixes[region]), "list zones of the environment's region")
		case seen[id]:
			c.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is listed twice", id), "list each zone once: the subnets of one tier go to different zones")
		}
		seen[id] = true
	}
}

var (
	instanceRE     = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	dailyWindowRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weeklyWindowRE = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	masterUserRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`)
	efsIAValues    = []string{"AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS"}
	monitoringSecs = []int{1, 5, 10, 15, 30, 60}
)

// check checks the PostgreSQL settings against what RDS accepts.
func (db DatabaseSettings) check(c checker) {
	if !slices.Contains(SupportedPostgresVersions, db.EngineVersion) {
		c.add("Database.EngineVersion", fmt.Sprintf("%q is not a supported PostgreSQL major version", db.EngineVersion), fmt.Sprintf("use one of %v", SupportedPostgresVersions))
	}
	if !strings.HasPrefix(db.InstanceClass, "db.") || !instanceRE.MatchString(strings.TrimPrefix(db.InstanceClass, "db.")) {
		c.add("Database.InstanceClass", fmt.Sprintf("%q is not an RDS instance class", db.InstanceClass), `use e.g. "db.r6g.large"`)
	}
	if !masterUserRE.MatchString(db.MasterUsername) || slices.Contains([]string{"admin", "postgres", "rdsadmin"}, db.MasterUsername) {
		c.add("Database.MasterUsername", fmt.Sprintf("%q is reserved or invalid", db.MasterUsername), `use a lower-case name such as "dbadmin"`)
	}
	if db.SlowStatementMs < 0 {
		c.add("Database.SlowStatementMs", "negative threshold", "use 0 (log every statement) or a positive number of milliseconds")
	}
	if !slices.Contains(monitoringSecs, db.MonitoringIntervalSeconds) {
		c.add("Database.MonitoringIntervalSeconds", fmt.Sprintf("%d is not an enhanced-monitoring interval", db.MonitoringIntervalSeconds), fmt.Sprintf("use one of %v", monitoringSecs))
	}
	if pi := db.PerformanceInsightsRetentionDays; pi != 7 && pi != 731 && (pi%31 != 0 || pi < 31 || pi > 23*31) {
		c.add("Database.PerformanceInsightsRetentionDays", fmt.Sprintf("%d days is not a Performance Insights retention", pi), "use 7, 31 times 1 to 23 months (31 … 713), or 731")
	}
	if !dailyWindowRE.MatchString(db.BackupWindow) {
		c.add("Database.BackupWindow", fmt.Sprintf("%q is not a daily UTC window", db.BackupWindow), `write it as "02:00-03:00"`)
	}
	if !weeklyWindowRE.MatchString(db.MaintenanceWindow) {
		c.add("Database.MaintenanceWindow", fmt.Sprintf("%q is not a weekly UTC window", db.MaintenanceWindow), `write it as "sun:03:30-sun:04:30"`)
	}
}

// check checks the Redis settings against what ElastiCache accepts.
func (cs CacheSettings) check(c checker) {
	if !slices.Contains(SupportedRedisVersions, cs.EngineVersion) {
		c.add("Cache.EngineVersion", fmt.Sprintf("%q is not a supported Redis version", cs.EngineVersion), fmt.Sprintf("use one of %v", SupportedRedisVersions))
	}
	if !strings.HasPrefix(cs.NodeType, "cache.") || !instanceRE.MatchString(strings.TrimPrefix(cs.NodeType, "cache.")) {
		c.add("Cache.NodeType", fmt.Sprintf("%q is not an ElastiCache node type", cs.NodeType), `use e.g. "cache.m6g.large"`)
	}
	if !dailyWindowRE.MatchString(cs.SnapshotWindow) {
		c.add("Cache.SnapshotWindow", fmt.Sprintf("%q is not a daily UTC window", cs.SnapshotWindow), `write it as "01:00-02:00"`)
	}
	if !weeklyWindowRE.MatchString(cs.MaintenanceWindow) {
		c.add("Cache.MaintenanceWindow", fmt.Sprintf("%q is not a weekly UTC window", cs.MaintenanceWindow), `write it as "sun:04:30-sun:05:30"`)
	}
}

// check checks the EFS and backup bucket lifecycles.
func (s StorageSettings) check(c checker) {
	if !slices.Contains(efsIAValues, s.EFSTransitionToIA) {
		c.add("Storage.EFSTransitionToIA", fmt.Sprintf("%q is not an EFS lifecycle transition", s.EFSTransitionToIA), fmt.Sprintf("use one of %v", efsIAValues))
	}
	if s.BackupTransitionToIADays < 30 {
		c.add("Storage.BackupTransitionToIADays", fmt.Sprintf("%d days: S3 moves objects to STANDARD_IA after 30 days at the earliest", s.BackupTransitionToIADays), "set it to 30 or more")
	}
}

var amiIDRE = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)

// check checks the AMI and admin SSH access every server shares.
func (cs ComputeSettings) check(c checker) {
	if cs.AMIID != "" && !amiIDRE.MatchString(cs.AMIID) {
		c.add("Compute.AMIID", fmt.Sprintf("%q is not an AMI ID", cs.AMIID), `use "ami-0123456789abcdef0", or leave it empty to use AMINamePattern`)
	}
	if cs.AMIID == "" && (cs.AMINamePattern == "" || !(cs.AMIOwner == "amazon" || accountIDRE.MatchString(cs.AMIOwner))) {
		c.add("Compute.AMINamePattern", "no AMI: set AMIID, or AMIOwner (12 digits or \"amazon\") and AMINamePattern", `use Canonical's 099720109477 and "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"`)
	}
	if cs.AdminSSHCIDR != "" {
		p, err := netip.ParsePrefix(cs.AdminSSHCIDR)
		switch {
		case err != nil:
			c.add("Compute.AdminSSHCIDR", fmt.Sprintf("%q is not a CIDR block", cs.AdminSSHCIDR), `write it as "203.0.113.0/24", or leave it empty for no SSH`)
		case p.Bits() < 16:
			c.add("Compute.AdminSSHCIDR", fmt.Sprintf("%q opens SSH to the world (or a /%d)", cs.AdminSSHCIDR, p.Bits()), "name your office or VPN range (/16 or narrower), or leave it empty and use Session Manager")
		}
	}
}

var acmArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$`)

// WAF rate-based rules count requests per client IP over 5 minutes; the
// WAFV2 API model (botocore wafv2/2019-07-29/service-2.json, shape
// RateLimit of RateBasedStatement.Limit) accepts 100 to 2e9.
const (
	wafRateMin = 100
	wafRateMax = 2000000000
)

// check checks the load balancer and WAF settings.
func (ed EdgeSettings) check(c checker, kind Kind) {
	if ed.CertificateArn != "" && !acmArnRE.MatchString(ed.CertificateArn) {
		c.add("Edge.CertificateArn", fmt.Sprintf("%q is not an ACM certificate ARN", ed.CertificateArn), "use arn:aws:acm:<region>:<account>:certificate/<id>, or leave it empty to request one")
	}
	if !strings.HasPrefix(ed.TLSPolicy, "ELBSecurityPolicy-TLS13-") {
		c.add("Edge.TLSPolicy", fmt.Sprintf("%q allows TLS below 1.2 or is not an ALB policy", ed.TLSPolicy), `use "ELBSecurityPolicy-TLS13-1-2-2021-06"`)
	}
	if ed.IdleTimeoutSeconds < 1 || ed.IdleTimeoutSeconds > 4000 {
		c.add("Edge.IdleTimeoutSeconds", fmt.Sprintf("%d s is outside the ALB's 1–4000", ed.IdleTimeoutSeconds), "use e.g. 120")
	}
	if ed.WAFRateLimit != 0 && (ed.WAFRateLimit < wafRateMin || ed.WAFRateLimit > wafRateMax) {
		c.add("Edge.WAFRateLimit", fmt.Sprintf("%d requests per 5 minutes is outside WAF's %d–%d", ed.WAFRateLimit, wafRateMin, wafRateMax), "use 0 (off) or e.g. 2000")
	}
	if ed.WAF && ed.WAFMode != "count" && ed.WAFMode != "block" {
		c.add("Edge.WAFMode", fmt.Sprintf("%q is not a WAF rollout stage", ed.WAFMode), `use "count" for the first week of real traffic, then "block" (docs/runbooks/waf-rollout.md)`)
	}
	if l := ed.WAFLoginRateLimit; l != 0 && (l < wafRateMin || l > wafRateMax || ed.WAFRateLimit > 0 && l > ed.WAFRateLimit) {
		c.add("Edge.WAFLoginRateLimit", fmt.Sprintf("%d: WAF rate limits are %d–%d per 5 minutes, and the login limit must not exceed WAFRateLimit", l, wafRateMin, wafRateMax), "use 0 (off) or e.g. 100")
	}
	if kind != Sandbox && !ed.WAF {
		c.add("Edge.WAF", "staging and production are internet-facing without a WAF", "set Edge.WAF to true in Production()")
	}
}

// check checks that every alarm threshold is set and in range; the free
// storage alarm must fire before the database is full.
func (al AlarmSettings) check(c checker, s Scale) {
	if al.PeriodSeconds < 60 || al.PeriodSeconds%60 != 0 {
		c.add("Alarms.PeriodSeconds", fmt.Sprintf("%d s is not a multiple of 60", al.PeriodSeconds), "use 60 (detailed monitoring) or a multiple of it")
	}
	if al.EvaluationPeriods < 1 || al.PeriodSeconds*al.EvaluationPeriods > 86400 {
		c.add("Alarms.EvaluationPeriods", fmt.Sprintf("%d periods", al.EvaluationPeriods), "use 1 or more, a day at most in total")
	}
	for _, p := range []struct {
		field string
		value int
	}{
		{"Alarms.DatabaseCPUPercent", al.DatabaseCPUPercent},
		{"Alarms.CacheCPUPercent", al.CacheCPUPercent},
		{"Alarms.CacheMemoryPercent", al.CacheMemoryPercent},
		{"Alarms.ServerCPUPercent", al.ServerCPUPercent},
		{"Alarms.GPUUtilizationPercent", al.GPUUtilizationPercent},
		{"Alarms.GPUMemoryPercent", al.GPUMemoryPercent},
		{"Alarms.FilestoreIOLimitPercent", al.FilestoreIOLimitPercent},
	} {
		if p.value < 1 || p.value > 100 {
			c.add(p.field, fmt.Sprintf("%d is not a percentage", p.value), "use 1 to 100")
		}
	}
	for _, p := range []struct {
		field string
		value int
	}{
		{"Alarms.ELB5xxCount", al.ELB5xxCount},
		{"Alarms.Target5xxCount", al.Target5xxCount},
		{"Alarms.DatabaseFreeStorageGB", al.DatabaseFreeStorageGB},
		{"Alarms.DatabaseFreeMemoryMB", al.DatabaseFreeMemoryMB},
		{"Alarms.DatabaseConnections", al.DatabaseConnections},
		{"Alarms.ReplicaLagSeconds", al.ReplicaLagSeconds},
	} {
		if p.value < 1 {
			c.add(p.field, fmt.Sprintf("%d: an alarm needs a positive threshold", p.value), "set it above 0")
		}
	}
	if al.TargetResponseP95Seconds <= 0 {
		c.add("Alarms.TargetResponseP95Seconds", "no latency threshold", "set it above 0, e.g. 3")
	}
	if al.DatabaseFreeStorageGB >= s.DatabaseAllocatedGB && s.DatabaseAllocatedGB > 0 {
		c.add("Alarms.DatabaseFreeStorageGB", fmt.Sprintf("%d GB alarms before the %d GB database holds any data", al.DatabaseFreeStorageGB, s.DatabaseAllocatedGB), "lower it below Scale.DatabaseAllocatedGB")
	}
}

// check checks the AWS Backup plan's schedule and windows.
func (b BackupSettings) check(c checker) {
	if !cronRE.MatchString(b.Schedule) {
		c.add("Backup.Schedule", fmt.Sprintf("%q is not an AWS cron expression", b.Schedule), `write it as "cron(0 4 * * ? *)" (UTC)`)
	}
	if b.StartWindowMinutes < 60 {
		c.add("Backup.StartWindowMinutes", fmt.Sprintf("%d minutes: AWS Backup needs at least 60", b.StartWindowMinutes), "set it to 60 or more")
	}
	if b.CompletionWindowMinutes < b.StartWindowMinutes+60 {
		c.add("Backup.CompletionWindowMinutes", fmt.Sprintf("%d minutes: it must exceed StartWindowMinutes (%d) by at least 60", b.CompletionWindowMinutes, b.StartWindowMinutes), "raise it, e.g. to 480")
	}
}
