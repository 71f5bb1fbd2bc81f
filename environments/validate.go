package environments

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// FieldError is one invalid value: which environment, which field, what is
// wrong and how to fix it.
type FieldError struct {
	// Env is the environment name, or "account" for Account fields.
	Env string
	// Field is the Go path of the field, e.g. "Scale.AZCount".
	Field string
	// Problem says what is wrong with the value.
	Problem string
	// Fix says what to change.
	Fix string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("%s: %s: %s (fix: %s)", e.Env, e.Field, e.Problem, e.Fix)
}

// Errors is every problem found by Validate.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = "  - " + e.Error()
	}
	return fmt.Sprintf("invalid configuration (%d problem(s)); nothing was synthesized:\n%s", len(es), strings.Join(lines, "\n"))
}

// Validate checks the account and every environment, alone and together,
// and returns Errors listing every problem, or nil. It runs before any
// construct is created, so a bad value writes nothing to cdktf.out.
func Validate(a Account, envs []ParityConfig) error {
	var v validator
	for _, p := range scaleKeyProblems() {
		v.add("account", "environments.ScaleKeys", p, "edit ScaleKeys in environments/scale.go: the parity proof relies on it")
	}
	v.account(a)
	names := map[string]bool{}
	var refs []ParityConfig
	for _, e := range envs {
		if names[e.Identity.Name] {
			v.add(e.Identity.Name, "Identity.Name", "duplicate environment name", "give every environment its own name")
		}
		names[e.Identity.Name] = true
		if e.Kind == Reference {
			refs = append(refs, e)
		}
		v.env(a, e)
	}
	if len(refs) != 1 {
		v.add("account", "environments", fmt.Sprintf("%d reference environments", len(refs)),
			"exactly one environment (production) must have Kind Reference")
	}
	if len(refs) == 1 {
		for _, e := range envs {
			if e.Kind == Parity {
				for _, d := range ParityDiff(refs[0], e) {
					v.add(e.Identity.Name, d.Field,
						fmt.Sprintf("differs from %s (%s here, %s there): a parity environment may change only Identity and Scale",
							refs[0].Identity.Name, d.Got, d.Want),
						fmt.Sprintf("change it in Production() for both, or, if it is a matter of scale, move it into Scale"))
				}
			}
		}
	}
	v.overlaps(a, envs)
	v.modelSources(a, envs)
	v.operations(a, envs)
	v.patchWindows(envs)
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

type validator struct{ errs Errors }

func (v *validator) add(env, field, problem, fix string) {
	v.errs = append(v.errs, FieldError{Env: env, Field: field, Problem: problem, Fix: fix})
}

var (
	envNameRE   = regexp.MustCompile(`^[a-z][a-z0-9]{1,11}$`)
	projectRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,20}$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	bucketRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	repoRE      = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	labelRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	instanceRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	emailRE     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// validLogRetention are the retention periods CloudWatch Logs accepts.
var validLogRetention = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// requiredEndpoints are the interface endpoints Session Manager needs.
var requiredEndpoints = []string{"ssm", "ssmmessages", "ec2messages"}

func (v *validator) account(a Account) {
	const env = "account"
	if a.ID != "" && !accountIDRE.MatchString(a.ID) {
		v.add(env, "Account.ID", fmt.Sprintf("%q is not a 12-digit AWS account ID", a.ID), "set it to your account ID, e.g. 123456789012, in environments/account.go")
	}
	if !projectRE.MatchString(a.Project) {
		v.add(env, "Account.Project", fmt.Sprintf("%q is not a lower-case name of 2–21 characters", a.Project), `use letters, digits and "-", e.g. "influencegen"`)
	}
	if !repoRE.MatchString(a.Repository) {
		v.add(env, "Account.Repository", fmt.Sprintf("%q is not a GitHub owner/name", a.Repository), `set it to "owner/name"`)
	}
	if !ValidDomain(a.Domain) {
		v.add(env, "Account.Domain", fmt.Sprintf("%q is not a DNS domain", a.Domain), `use a lower-case domain such as "influencegen.example.com"`)
	}
	for _, f := range []struct{ field, region string }{
		{"Account.PrimaryRegion", a.PrimaryRegion},
		{"Account.DevRegion", a.DevRegion},
		{"Account.StateRegion", a.StateRegion},
	} {
		if !IsRegion(f.region) {
			v.add(env, f.field, fmt.Sprintf("%q is not an AWS region", f.region), "use a region code such as eu-central-1 or us-east-1")
		}
	}
	if !bucketRE.MatchString(a.StateBucket) || strings.Contains(a.StateBucket, "..") {
		v.add(env, "Account.StateBucket", fmt.Sprintf("%q is not a valid S3 bucket name", a.StateBucket), "use 3–63 lower-case letters, digits, '.' and '-'")
	}
	if !labelRE.MatchString(a.StateKMSAlias) {
		v.add(env, "Account.StateKMSAlias", fmt.Sprintf("%q is not a valid alias name", a.StateKMSAlias), `use lower-case letters, digits and "-", without the "alias/" prefix`)
	}
	for i, c := range a.PeeredCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			v.add(env, fmt.Sprintf("Account.PeeredCIDRs[%d]", i), fmt.Sprintf("%q is not a CIDR block", c), `write it as "10.99.0.0/16"`)
		}
	}
	envs := make([]string, 0, len(a.AlertEmails))
	for e := range a.AlertEmails {
		envs = append(envs, e)
	}
	sort.Strings(envs)
	for _, e := range envs {
		for i, addr := range a.AlertEmails[e] {
			if !emailRE.MatchString(addr) {
				v.add(env, fmt.Sprintf("Account.AlertEmails[%q][%d]", e, i), fmt.Sprintf("%q is not an e-mail address", addr), "use name@domain")
			}
		}
	}
}

func (v *validator) env(a Account, e ParityConfig) {
	n := e.Identity.Name
	if len(a.Project)+len(n) > 23 {
		v.add(n, "Identity.Name", fmt.Sprintf("%q with project %q is too long: load balancer and target group names (\"<project>-<env>-odoo-ws\") are limited to 32 characters", n, a.Project), "shorten the environment name or Account.Project to 23 characters together")
	}
	if !envNameRE.MatchString(n) {
		v.add(n, "Identity.Name", fmt.Sprintf("%q is not a lower-case name of 2–12 letters and digits", n), `use e.g. "staging"`)
	}
	switch e.Kind {
	case Reference, Parity, Sandbox:
	default:
		v.add(n, "Kind", fmt.Sprintf("unknown kind %q", e.Kind), "use Reference, Parity or Sandbox")
	}
	if want := StateKey(n); e.Identity.StateKey != want {
		v.add(n, "Identity.StateKey", fmt.Sprintf("%q would not be this environment's own state", e.Identity.StateKey), fmt.Sprintf("set it to %q (StateKey(name))", want))
	}
	if !IsRegion(e.Region) {
		v.add(n, "Region", fmt.Sprintf("%q is not an AWS region", e.Region), "use a region code such as eu-central-1")
	}
	v.cidr(n, e.Identity.VPCCIDR)
	if want := NewIdentity(n, e.Identity.VPCCIDR, a).Domain; e.Identity.Domain != want {
		v.add(n, "Identity.Domain", fmt.Sprintf("%q: the environment's names must live under %s", e.Identity.Domain, want), fmt.Sprintf("set it to %q (NewIdentity)", want))
	}
	s := e.Scale
	minAZ := 2
	if s.AZCount < minAZ || s.AZCount > 4 {
		why := "the load balancer and RDS Multi-AZ need two availability zones"
		if e.Kind != Sandbox {
			why = "staging and production must survive the loss of one availability zone"
		}
		v.add(n, "Scale.AZCount", fmt.Sprintf("%d availability zones: %s", s.AZCount, why), "set Scale.AZCount between 2 and 4")
	}
	if !slices.Contains(validLogRetention, s.LogRetentionDays) {
		v.add(n, "Scale.LogRetentionDays", fmt.Sprintf("%d is not a retention CloudWatch Logs accepts", s.LogRetentionDays), fmt.Sprintf("use one of %v", validLogRetention))
	}
	if e.Kind == Reference && !s.DeletionProtection {
		v.add(n, "Scale.DeletionProtection", "production without deletion protection", "set Scale.DeletionProtection to true in Production()")
	}

	switch e.Network.FlowLogTrafficType {
	case "ALL", "ACCEPT", "REJECT":
	default:
		v.add(n, "Network.FlowLogTrafficType", fmt.Sprintf("%q is not a flow log traffic type", e.Network.FlowLogTrafficType), "use ALL, ACCEPT or REJECT")
	}
	for _, req := range requiredEndpoints {
		if !slices.Contains(e.Network.InterfaceEndpoints, req) {
			v.add(n, "Network.InterfaceEndpoints", fmt.Sprintf("%q is missing: Session Manager cannot reach servers without public IPs", req), fmt.Sprintf("add %q", req))
		}
	}
	for i, ep := range e.Network.InterfaceEndpoints {
		if !labelRE.MatchString(ep) {
			v.add(n, fmt.Sprintf("Network.InterfaceEndpoints[%d]", i), fmt.Sprintf("%q is not an AWS service endpoint name", ep), `use the short service name, e.g. "logs"`)
		}
	}
	v.zones(a, e)
	v.dataTier(e)
	v.tiers(e)
	v.appTier(e)
	v.alarms(e)
	v.models(e)
	v.dayTwo(a, e)
}

var (
	dailyWindowRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weeklyWindowRE = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	efsIAValues    = []string{"AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS"}
	monitoringSecs = []int{1, 5, 10, 15, 30, 60}
)

// dataTier checks the database, cache and storage settings and their scale.
func (v *validator) dataTier(e ParityConfig) {
	n, s, db, c := e.Identity.Name, e.Scale, e.Database, e.Cache
	if s.DatabaseAllocatedGB < 20 {
		v.add(n, "Scale.DatabaseAllocatedGB", fmt.Sprintf("%d GB: RDS gp3 storage starts at 20 GB", s.DatabaseAllocatedGB), "set it to 20 or more")
	}
	if s.DatabaseMaxAllocatedGB < s.DatabaseAllocatedGB || s.DatabaseMaxAllocatedGB > 65536 {
		v.add(n, "Scale.DatabaseMaxAllocatedGB", fmt.Sprintf("%d GB: the autoscaling ceiling must be between DatabaseAllocatedGB (%d) and 65536", s.DatabaseMaxAllocatedGB, s.DatabaseAllocatedGB), "raise it to at least DatabaseAllocatedGB")
	}
	if s.BackupRetentionDays < 1 || s.BackupRetentionDays > 35 {
		v.add(n, "Scale.BackupRetentionDays", fmt.Sprintf("%d days: RDS keeps automated backups for 1 to 35 days", s.BackupRetentionDays), "set it between 1 and 35; keep longer history with snapshots or the backup bucket")
	}
	switch {
	case s.DatabaseReplicas < 0 || s.DatabaseReplicas > 5:
		v.add(n, "Scale.DatabaseReplicas", fmt.Sprintf("%d read replicas: RDS PostgreSQL allows 0 to 5 per source here", s.DatabaseReplicas), "set it between 0 and 5")
	case s.DatabaseReplicas > 0:
		// RDS User Guide, "Limitations for Secrets Manager integration
		// with Amazon RDS": creating a read replica is not supported when
		// the source manages its master credentials with Secrets Manager
		// (all engines but SQL Server). constructs/database does
		// (manage_master_user_password), so the apply would fail.
		v.add(n, "Scale.DatabaseReplicas", fmt.Sprintf("%d read replica(s): RDS cannot create a read replica of a database whose master password Secrets Manager manages, as this one's is", s.DatabaseReplicas),
			"set it to 0 (Scale.DatabaseMultiAZ gives the standby; no application reads from a replica)")
	}
	if e.Kind == Reference {
		if !s.DatabaseMultiAZ {
			v.add(n, "Scale.DatabaseMultiAZ", "production database without a standby", "set Scale.DatabaseMultiAZ to true")
		}
		if s.BackupRetentionDays < 14 {
			v.add(n, "Scale.BackupRetentionDays", fmt.Sprintf("%d days: production keeps backups at least 14 days", s.BackupRetentionDays), "set it between 14 and 35")
		}
		if !s.FinalSnapshot {
			v.add(n, "Scale.FinalSnapshot", "production database destroyed without a final snapshot", "set Scale.FinalSnapshot to true")
		}
	}
	if !slices.Contains(SupportedPostgresVersions, db.EngineVersion) {
		v.add(n, "Database.EngineVersion", fmt.Sprintf("%q is not a supported PostgreSQL major version", db.EngineVersion), fmt.Sprintf("use one of %v", SupportedPostgresVersions))
	}
	if !strings.HasPrefix(db.InstanceClass, "db.") || !instanceRE.MatchString(strings.TrimPrefix(db.InstanceClass, "db.")) {
		v.add(n, "Database.InstanceClass", fmt.Sprintf("%q is not an RDS instance class", db.InstanceClass), `use e.g. "db.r6g.large"`)
	}
	if !regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`).MatchString(db.MasterUsername) || slices.Contains([]string{"admin", "postgres", "rdsadmin"}, db.MasterUsername) {
		v.add(n, "Database.MasterUsername", fmt.Sprintf("%q is reserved or invalid", db.MasterUsername), `use a lower-case name such as "dbadmin"`)
	}
	if db.SlowStatementMs < 0 {
		v.add(n, "Database.SlowStatementMs", "negative threshold", "use 0 (log every statement) or a positive number of milliseconds")
	}
	if !slices.Contains(monitoringSecs, db.MonitoringIntervalSeconds) {
		v.add(n, "Database.MonitoringIntervalSeconds", fmt.Sprintf("%d is not an enhanced-monitoring interval", db.MonitoringIntervalSeconds), fmt.Sprintf("use one of %v", monitoringSecs))
	}
	if pi := db.PerformanceInsightsRetentionDays; pi != 7 && (pi%31 != 0 || pi < 31 || pi > 731) {
		v.add(n, "Database.PerformanceInsightsRetentionDays", fmt.Sprintf("%d days is not a Performance Insights retention", pi), "use 7 or a multiple of 31 up to 731")
	}
	if !dailyWindowRE.MatchString(db.BackupWindow) {
		v.add(n, "Database.BackupWindow", fmt.Sprintf("%q is not a daily UTC window", db.BackupWindow), `write it as "02:00-03:00"`)
	}
	if !weeklyWindowRE.MatchString(db.MaintenanceWindow) {
		v.add(n, "Database.MaintenanceWindow", fmt.Sprintf("%q is not a weekly UTC window", db.MaintenanceWindow), `write it as "sun:03:30-sun:04:30"`)
	}

	if s.CacheNodes < 1 || s.CacheNodes > 6 {
		v.add(n, "Scale.CacheNodes", fmt.Sprintf("%d Redis nodes: a replication group has 1 to 6", s.CacheNodes), "set it between 1 and 6")
	}
	if s.CacheMultiAZ && s.CacheNodes < 2 {
		v.add(n, "Scale.CacheMultiAZ", fmt.Sprintf("automatic failover needs a replica, but Scale.CacheNodes is %d", s.CacheNodes), "set Scale.CacheNodes to 2 or more, or CacheMultiAZ to false")
	}
	if s.CacheSnapshotRetentionDays < 0 || s.CacheSnapshotRetentionDays > 35 {
		v.add(n, "Scale.CacheSnapshotRetentionDays", fmt.Sprintf("%d days: ElastiCache keeps snapshots 0 to 35 days", s.CacheSnapshotRetentionDays), "set it between 0 and 35")
	}
	if !slices.Contains(SupportedRedisVersions, c.EngineVersion) {
		v.add(n, "Cache.EngineVersion", fmt.Sprintf("%q is not a supported Redis version", c.EngineVersion), fmt.Sprintf("use one of %v", SupportedRedisVersions))
	}
	if !strings.HasPrefix(c.NodeType, "cache.") || !instanceRE.MatchString(strings.TrimPrefix(c.NodeType, "cache.")) {
		v.add(n, "Cache.NodeType", fmt.Sprintf("%q is not an ElastiCache node type", c.NodeType), `use e.g. "cache.m6g.large"`)
	}
	if !dailyWindowRE.MatchString(c.SnapshotWindow) {
		v.add(n, "Cache.SnapshotWindow", fmt.Sprintf("%q is not a daily UTC window", c.SnapshotWindow), `write it as "01:00-02:00"`)
	}
	if !weeklyWindowRE.MatchString(c.MaintenanceWindow) {
		v.add(n, "Cache.MaintenanceWindow", fmt.Sprintf("%q is not a weekly UTC window", c.MaintenanceWindow), `write it as "sun:04:30-sun:05:30"`)
	}

	if !slices.Contains(efsIAValues, e.Storage.EFSTransitionToIA) {
		v.add(n, "Storage.EFSTransitionToIA", fmt.Sprintf("%q is not an EFS lifecycle transition", e.Storage.EFSTransitionToIA), fmt.Sprintf("use one of %v", efsIAValues))
	}
	if e.Storage.BackupTransitionToIADays < 30 {
		v.add(n, "Storage.BackupTransitionToIADays", fmt.Sprintf("%d days: S3 moves objects to STANDARD_IA after 30 days at the earliest", e.Storage.BackupTransitionToIADays), "set it to 30 or more")
	}
	if s.BackupBucketRetentionDays < 30 {
		v.add(n, "Scale.BackupBucketRetentionDays", fmt.Sprintf("%d days: keep backups at least 30 days", s.BackupBucketRetentionDays), "set it to 30 or more")
	}
}

var (
	amiIDRE  = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	acmArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$`)
)

// appTier checks the servers and the load balancer.
func (v *validator) appTier(e ParityConfig) {
	n, s := e.Identity.Name, e.Scale
	if s.ModelVolumeGB < 50 || s.ModelVolumeGB > 16384 {
		v.add(n, "Scale.ModelVolumeGB", fmt.Sprintf("%d GB: Flux weights alone take about 35 GB", s.ModelVolumeGB), "set it between 50 and 16384")
	}
	c := e.Compute
	if c.AMIID != "" && !amiIDRE.MatchString(c.AMIID) {
		v.add(n, "Compute.AMIID", fmt.Sprintf("%q is not an AMI ID", c.AMIID), `use "ami-0123456789abcdef0", or leave it empty to use AMINamePattern`)
	}
	if c.AMIID == "" && (c.AMINamePattern == "" || !(c.AMIOwner == "amazon" || accountIDRE.MatchString(c.AMIOwner))) {
		v.add(n, "Compute.AMINamePattern", "no AMI: set AMIID, or AMIOwner (12 digits or \"amazon\") and AMINamePattern", `use Canonical's 099720109477 and "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"`)
	}
	if c.AdminSSHCIDR != "" {
		p, err := netip.ParsePrefix(c.AdminSSHCIDR)
		switch {
		case err != nil:
			v.add(n, "Compute.AdminSSHCIDR", fmt.Sprintf("%q is not a CIDR block", c.AdminSSHCIDR), `write it as "203.0.113.0/24", or leave it empty for no SSH`)
		case p.Bits() < 16:
			v.add(n, "Compute.AdminSSHCIDR", fmt.Sprintf("%q opens SSH to the world (or a /%d)", c.AdminSSHCIDR, p.Bits()), "name your office or VPN range (/16 or narrower), or leave it empty and use Session Manager")
		}
	}
	ed := e.Edge
	if ed.CertificateArn != "" && !acmArnRE.MatchString(ed.CertificateArn) {
		v.add(n, "Edge.CertificateArn", fmt.Sprintf("%q is not an ACM certificate ARN", ed.CertificateArn), "use arn:aws:acm:<region>:<account>:certificate/<id>, or leave it empty to request one")
	}
	if !strings.HasPrefix(ed.TLSPolicy, "ELBSecurityPolicy-TLS13-") {
		v.add(n, "Edge.TLSPolicy", fmt.Sprintf("%q allows TLS below 1.2 or is not an ALB policy", ed.TLSPolicy), `use "ELBSecurityPolicy-TLS13-1-2-2021-06"`)
	}
	if ed.IdleTimeoutSeconds < 1 || ed.IdleTimeoutSeconds > 4000 {
		v.add(n, "Edge.IdleTimeoutSeconds", fmt.Sprintf("%d s is outside the ALB's 1–4000", ed.IdleTimeoutSeconds), "use e.g. 120")
	}
	if ed.WAFRateLimit != 0 && (ed.WAFRateLimit < 100 || ed.WAFRateLimit > 2000000000) {
		v.add(n, "Edge.WAFRateLimit", fmt.Sprintf("%d requests per 5 minutes is outside WAF's 100–2e9", ed.WAFRateLimit), "use 0 (off) or e.g. 2000")
	}
	if ed.WAF && ed.WAFMode != "count" && ed.WAFMode != "block" {
		v.add(n, "Edge.WAFMode", fmt.Sprintf("%q is not a WAF rollout stage", ed.WAFMode), `use "count" for the first week of real traffic, then "block" (docs/runbooks/waf-rollout.md)`)
	}
	if ed.WAFLoginRateLimit != 0 && (ed.WAFLoginRateLimit < 10 || ed.WAFLoginRateLimit > ed.WAFRateLimit && ed.WAFRateLimit > 0) {
		v.add(n, "Edge.WAFLoginRateLimit", fmt.Sprintf("%d: WAF rate limits start at 10 per 5 minutes, and the login limit must be stricter than WAFRateLimit", ed.WAFLoginRateLimit), "use 0 (off) or e.g. 100")
	}
	if e.Kind != Sandbox && !ed.WAF {
		v.add(n, "Edge.WAF", "staging and production are internet-facing without a WAF", "set Edge.WAF to true in Production()")
	}
}

// alarms checks that every threshold is set and in range.
func (v *validator) alarms(e ParityConfig) {
	n, al := e.Identity.Name, e.Alarms
	if al.PeriodSeconds != 60 && al.PeriodSeconds%60 != 0 || al.PeriodSeconds < 60 {
		v.add(n, "Alarms.PeriodSeconds", fmt.Sprintf("%d s is not a multiple of 60", al.PeriodSeconds), "use 60 (detailed monitoring) or a multiple of it")
	}
	if al.EvaluationPeriods < 1 || al.PeriodSeconds*al.EvaluationPeriods > 86400 {
		v.add(n, "Alarms.EvaluationPeriods", fmt.Sprintf("%d periods", al.EvaluationPeriods), "use 1 or more, a day at most in total")
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
			v.add(n, p.field, fmt.Sprintf("%d is not a percentage", p.value), "use 1 to 100")
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
			v.add(n, p.field, fmt.Sprintf("%d: an alarm needs a positive threshold", p.value), "set it above 0")
		}
	}
	if al.TargetResponseP95Seconds <= 0 {
		v.add(n, "Alarms.TargetResponseP95Seconds", "no latency threshold", "set it above 0, e.g. 3")
	}
	if al.DatabaseFreeStorageGB >= e.Scale.DatabaseAllocatedGB && e.Scale.DatabaseAllocatedGB > 0 {
		v.add(n, "Alarms.DatabaseFreeStorageGB", fmt.Sprintf("%d GB alarms before the %d GB database holds any data", al.DatabaseFreeStorageGB, e.Scale.DatabaseAllocatedGB), "lower it below Scale.DatabaseAllocatedGB")
	}
}

// namedValue pairs a field path with its value, for checks over several
// fields in a fixed order.
type namedValue struct{ field, value string }

func (v *validator) cidr(env, c string) {
	const field = "Identity.VPCCIDR"
	p, err := netip.ParsePrefix(c)
	switch {
	case err != nil:
		v.add(env, field, fmt.Sprintf("%q is not a CIDR block", c), `write it as "10.40.0.0/16"`)
	case !p.Addr().Is4():
		v.add(env, field, fmt.Sprintf("%q is not IPv4", c), "use an IPv4 RFC 1918 block such as 10.40.0.0/16")
	case p.Masked() != p:
		v.add(env, field, fmt.Sprintf("%q has host bits set", c), fmt.Sprintf("use the network address %s", p.Masked()))
	case p.Bits() < 16 || p.Bits() > 22:
		v.add(env, field, fmt.Sprintf("%q is a /%d: AWS allows /16 at most, and the three subnet tiers need /22 at least", c, p.Bits()), "use a prefix between /16 and /22")
	case !p.Addr().IsPrivate():
		v.add(env, field, fmt.Sprintf("%q is not a private (RFC 1918) range", c), "use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
	}
}

// overlaps rejects any two environments (or an environment and a peered
// network) whose address spaces overlap: they could never be peered.
func (v *validator) overlaps(a Account, envs []ParityConfig) {
	type block struct {
		owner string
		p     netip.Prefix
	}
	var blocks []block
	for _, e := range envs {
		if p, err := netip.ParsePrefix(e.Identity.VPCCIDR); err == nil {
			blocks = append(blocks, block{e.Identity.Name, p.Masked()})
		}
	}
	for i, c := range a.PeeredCIDRs {
		if p, err := netip.ParsePrefix(c); err == nil {
			blocks = append(blocks, block{fmt.Sprintf("Account.PeeredCIDRs[%d]", i), p.Masked()})
		}
	}
	for i := range blocks {
		for j := i + 1; j < len(blocks); j++ {
			if blocks[i].p.Overlaps(blocks[j].p) {
				v.add(blocks[j].owner, "Identity.VPCCIDR",
					fmt.Sprintf("%s overlaps %s of %s: the networks could never be peered", blocks[j].p, blocks[i].p, blocks[i].owner),
					"give every environment its own block, e.g. 10.40.0.0/16")
			}
		}
	}
}

// ValidDomain reports whether s is a lower-case DNS name with at least two
// labels.
func ValidDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(s) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// FieldDiff is one field where a parity environment differs from the
// reference.
type FieldDiff struct {
	// Field is the Go path, e.g. "Odoo.InstanceType".
	Field string
	// Got is the parity environment's value, Want the reference's.
	Got, Want string
}

// ParityDiff lists every field outside Identity, Kind and Scale where env
// differs from ref. It is empty for every environment made by Derive.
func ParityDiff(ref, env ParityConfig) []FieldDiff {
	var out []FieldDiff
	rt := reflect.TypeOf(ref)
	rv, ev := reflect.ValueOf(ref), reflect.ValueOf(env)
	for i := 0; i < rt.NumField(); i++ {
		switch rt.Field(i).Name {
		case "Identity", "Kind", "Scale":
			continue
		}
		diffValues(rt.Field(i).Name, rv.Field(i), ev.Field(i), &out)
	}
	return out
}

func diffValues(path string, want, got reflect.Value, out *[]FieldDiff) {
	switch want.Kind() {
	case reflect.Struct:
		for i := 0; i < want.NumField(); i++ {
			diffValues(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i), out)
		}
	case reflect.Slice, reflect.Map:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			*out = append(*out, FieldDiff{Field: path, Got: fmt.Sprint(got.Interface()), Want: fmt.Sprint(want.Interface())})
		}
	default:
		if want.Interface() != got.Interface() {
			*out = append(*out, FieldDiff{Field: path, Got: fmt.Sprintf("%v", got.Interface()), Want: fmt.Sprintf("%v", want.Interface())})
		}
	}
}

var (
	tierNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)
	groupRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	dbNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{1,30}$`)
	secretRE   = regexp.MustCompile(`^[a-z0-9-]+/[a-z0-9-]+$`)
	zoneIDRE   = regexp.MustCompile(`^([a-z]+[0-9])-az[0-9]+$`)
)

// zones checks the environment's availability zones.
func (v *validator) zones(a Account, e ParityConfig) {
	n, ids := e.Identity.Name, e.Network.ZoneIDs
	field := "Network.ZoneIDs"
	if len(ids) < e.Scale.AZCount {
		v.add(n, field, fmt.Sprintf("%d zone(s) for Scale.AZCount %d", len(ids), e.Scale.AZCount),
			"list at least Scale.AZCount zone IDs of the region (Account.PrimaryZoneIDs or DevZoneIDs), e.g. euc1-az1")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		m := zoneIDRE.FindStringSubmatch(id)
		switch {
		case m == nil:
			v.add(n, fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not an availability zone ID", id), `use the zone ID, e.g. "euc1-az1" (aws ec2 describe-availability-zones --query 'AvailabilityZones[].ZoneId')`)
		case zonePrefixes[e.Region] != "" && m[1] != zonePrefixes[e.Region]:
			v.add(n, fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not a zone of %s (its zone IDs start with %s-)", id, e.Region, zonePrefixes[e.Region]), "list zones of the environment's region")
		case seen[id]:
			v.add(n, fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is listed twice", id), "list each zone once: the subnets of one tier go to different zones")
		}
		seen[id] = true
	}
}

// tiers checks the tier table and every tier's settings and count.
func (v *validator) tiers(e ParityConfig) {
	n := e.Identity.Name
	if len(e.Tiers) == 0 {
		v.add(n, "Tiers", "no tiers", "use DefaultTiers()")
	}
	names := map[string]bool{}
	priorities := map[int]string{}
	subdomains := map[string]string{}
	groups := map[string]string{}
	for _, t := range e.Tiers {
		names[t.Name] = true
	}
	reachable := map[string]bool{ReachDatabase: true, ReachCache: true, ReachFilestore: true}
	for i, t := range e.Tiers {
		f := fmt.Sprintf("Tiers[%d]", i)
		if !tierNameRE.MatchString(t.Name) {
			v.add(n, f+".Name", fmt.Sprintf("%q is not a tier name", t.Name), `use 2–20 lower-case letters, digits and "-", e.g. "metabase"`)
		}
		f = fmt.Sprintf("Tiers[%s]", t.Name)
		if !groupRE.MatchString(t.AnsibleGroup) {
			v.add(n, f+".AnsibleGroup", fmt.Sprintf("%q is not an Ansible group name", t.AnsibleGroup), `use lower case and "_", e.g. "metabase_servers"`)
		} else if other, dup := groups[t.AnsibleGroup]; dup {
			v.add(n, f+".AnsibleGroup", fmt.Sprintf("%q is also the group of %s", t.AnsibleGroup, other), "give every tier its own group")
		}
		groups[t.AnsibleGroup] = t.Name
		if r := t.Route; r != nil {
			if !labelRE.MatchString(r.Subdomain) {
				v.add(n, f+".Route.Subdomain", fmt.Sprintf("%q is not a DNS label", r.Subdomain), `use e.g. "metabase"`)
			} else if other, dup := subdomains[r.Subdomain]; dup {
				v.add(n, f+".Route.Subdomain", fmt.Sprintf("%q is also the host of %s", r.Subdomain, other), "give every routed tier its own subdomain")
			}
			subdomains[r.Subdomain] = t.Name
			if other, dup := priorities[r.Priority]; dup || r.Priority < 1 || r.Priority > 50000 {
				v.add(n, f+".Route.Priority", fmt.Sprintf("%d is taken (%s) or outside 1–50000", r.Priority, other), "give every route its own priority")
			}
			priorities[r.Priority] = t.Name
			if r.Port < 1 || r.Port > 65535 || !strings.HasPrefix(r.HealthPath, "/") {
				v.add(n, f+".Route", fmt.Sprintf("port %d, health path %q", r.Port, r.HealthPath), `set a TCP port and a health path starting with "/"`)
			}
			for j, x := range r.WAFExceptions {
				for _, rule := range x.Rules {
					if _, ok := WAFRelaxableRules[rule]; !ok {
						v.add(n, fmt.Sprintf("%s.Route.WAFExceptions[%d].Rules", f, j), fmt.Sprintf("%q is not a core-rule-set rule an exception may relax", rule), "use a rule name of environments.WAFRelaxableRules")
					}
				}
				if len(x.Rules) == 0 || len(x.PathPrefixes) == 0 {
					v.add(n, fmt.Sprintf("%s.Route.WAFExceptions[%d]", f, j), "an exception without rules or paths", "name the rules and the paths they are relaxed on")
				}
				for _, path := range x.PathPrefixes {
					if !strings.HasPrefix(path, "/") || len(path) < 2 {
						v.add(n, fmt.Sprintf("%s.Route.WAFExceptions[%d].PathPrefixes", f, j), fmt.Sprintf("%q excepts every path or is not a path", path), `use a specific prefix such as "/web/dataset/"`)
					}
				}
			}
			for _, path := range r.LoginPaths {
				if !strings.HasPrefix(path, "/") || len(path) < 2 {
					v.add(n, f+".Route.LoginPaths", fmt.Sprintf("%q is not a path", path), `use e.g. "/web/login"`)
				}
			}
		}
		if t.Port < 0 || t.Port > 65535 {
			v.add(n, f+".Port", fmt.Sprintf("%d is not a TCP port", t.Port), "use 1–65535, or 0 if nothing reaches the tier")
		}
		for _, r := range t.Reaches {
			other, isTier := e.Tier(r)
			switch {
			case reachable[r]:
			case !isTier || !names[r]:
				v.add(n, f+".Reaches", fmt.Sprintf("%q is neither a tier nor database, cache or filestore", r), "name a tier of Tiers, or database, cache or filestore")
			case other.Port == 0:
				v.add(n, f+".Reaches", fmt.Sprintf("%q listens on no Port", r), fmt.Sprintf("set Tiers[%s].Port, or stop reaching it", r))
			case r == t.Name:
				v.add(n, f+".Reaches", "a tier reaching itself", "remove it: servers of a tier do not talk to each other")
			}
		}
		if t.Database != "" && !dbNameRE.MatchString(t.Database) {
			v.add(n, f+".Database", fmt.Sprintf("%q is not a PostgreSQL database name", t.Database), `use lower case, digits and "_", e.g. "metabase"`)
		}
		for _, sec := range t.Secrets {
			if !secretRE.MatchString(sec) || strings.HasSuffix(sec, DatabaseSecret("")) {
				v.add(n, f+".Secrets", fmt.Sprintf("%q is not a generated secret name, or is a database password (those come with Database)", sec), `use "<service>/<name>", e.g. "metabase/encryption-key"`)
			}
		}
		for _, b := range t.Buckets {
			if !slices.Contains(Buckets, b.Bucket) {
				v.add(n, f+".Buckets", fmt.Sprintf("%q is not an environment bucket", b.Bucket), fmt.Sprintf("use one of %v", Buckets))
			}
		}
		for _, img := range t.Images {
			if !slices.Contains(Images, img) {
				v.add(n, f+".Images", fmt.Sprintf("%q is not a repository of the shared registry", img), fmt.Sprintf("use one of %v, or add the image to environments.Images", Images))
			}
		}
		for _, p := range t.EgressPorts {
			if p < 1 || p > 65535 || p == 22 {
				v.add(n, f+".EgressPorts", fmt.Sprintf("%d", p), "use a TCP port other than 22")
			}
		}
		v.servers(e, t, f)
	}
	for name := range e.Servers {
		if !names[name] {
			v.add(n, fmt.Sprintf("Servers[%s]", name), "settings for a tier that does not exist", "remove it, or add the tier to Tiers")
		}
	}
	for name := range e.Scale.Servers {
		if t, ok := e.Tier(name); !ok || t.FixedCount > 0 {
			v.add(n, fmt.Sprintf("Scale.Servers[%s]", name), "a count for a tier that does not exist or has a fixed count", "remove it")
		}
	}
}

// servers checks one tier's server settings and count.
func (v *validator) servers(e ParityConfig, t Tier, f string) {
	n := e.Identity.Name
	if t.FixedCount == 0 {
		if c := e.Scale.Servers[t.Name]; c < 1 || c > 20 {
			v.add(n, fmt.Sprintf("Scale.Servers[%s]", t.Name), fmt.Sprintf("%d servers: every tier runs 1 to 20", c), fmt.Sprintf("set Scale.Servers[%q] between 1 and 20", t.Name))
		}
	}
	s, ok := e.Servers[t.Name]
	field := fmt.Sprintf("Servers[%s]", t.Name)
	if !ok {
		v.add(n, field, "no server settings for the tier", fmt.Sprintf("add Servers[%q] = ServerSettings{InstanceType: …, RootVolumeGB: …} in Production()", t.Name))
		return
	}
	if !instanceRE.MatchString(s.InstanceType) {
		v.add(n, field+".InstanceType", fmt.Sprintf("%q is not an EC2 instance type", s.InstanceType), `use family.size, e.g. "m6i.large"`)
	}
	minRoot := max(t.MinRootVolumeGB, 20)
	if s.RootVolumeGB < minRoot || s.RootVolumeGB > 16384 {
		v.add(n, field+".RootVolumeGB", fmt.Sprintf("%d GB is too small for the OS and the tier's software", s.RootVolumeGB), fmt.Sprintf("set it to %d or more", minRoot))
	}
	if !t.GPU {
		if g, isGPU := GPUFor(s.InstanceType); isGPU && g.VRAMGB > 0 {
			v.add(n, field+".InstanceType", fmt.Sprintf("%s is a GPU instance for a tier that uses none", s.InstanceType), "use a general-purpose type such as m6i or t3, or set the tier's GPU")
		}
		return
	}
	g, known := GPUFor(s.InstanceType)
	switch {
	case !known:
		v.add(n, field+".InstanceType", fmt.Sprintf("%q is not a known GPU instance family", s.InstanceType), "use a GPU family with 24 GB or more, e.g. g5.xlarge (24 GB), g6.xlarge (24 GB) or g6e.xlarge (48 GB); add new families to environments.GPUs")
	case g.Unsupported != "":
		v.add(n, field+".InstanceType", fmt.Sprintf("%s: %s", s.InstanceType, g.Unsupported), "use an NVIDIA x86 family such as g5, g6 or g6e")
	case g.VRAMGB < MinVRAMGB:
		v.add(n, field+".InstanceType", fmt.Sprintf("%s has a %d GB %s: FLUX.1-dev with LoRA needs %d GB of VRAM at least", s.InstanceType, g.VRAMGB, g.Model, MinVRAMGB), "use g6.xlarge or g5.xlarge (24 GB, the 4-bit plan) or g6e.xlarge (48 GB, bf16)")
	}
}
