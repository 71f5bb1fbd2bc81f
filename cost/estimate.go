// Package cost estimates each environment's monthly on-demand AWS bill
// from its configuration (environments.Account and ParityConfig) and the
// price table in cost/prices.json: one line per billed component, with its
// quantity, unit price and the assumption behind it. Nothing is
// synthesized: the estimate counts resources the way the constructs create
// them, and golden_test.go holds the counts to the golden stacks in testdata/.
//
// It is a list-price, on-demand estimate: no free tier, Savings Plans,
// reserved instances, taxes or support plan. What is priced by use (data
// transfer, logs, EFS and S3 storage, requests) appears as a line with
// quantity 0 and its unit price, never silently missing.
package cost

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/influencegen/infrastructure/constructs/observability/watch"
	"github.com/influencegen/infrastructure/environments"
)

// Assumptions the estimate states on its lines.
const (
	// HoursPerMonth is AWS's billing month: 365 × 24 / 12.
	HoursPerMonth = 730.0
	// HoursPerWeek turns a weekly schedule into a share of HoursPerMonth.
	HoursPerWeek = 168.0
	// ALBCapacityUnits is the load balancer's assumed average LCUs: one
	// LCU is 25 new connections/s, 3,000 active connections, 1 GB/h of
	// traffic or 1,000 rule evaluations/s, whichever is highest.
	ALBCapacityUnits = 1.0
	// BackupDailyChange is the share of a backed-up volume or database
	// assumed to change each day: a recovery point chain kept N days holds
	// one full copy plus N daily increments of this size.
	BackupDailyChange = 0.02
	// DaysPerMonth turns daily increments into a month of cross-region
	// copy traffic.
	DaysPerMonth = 30.0
	// ServerCustomMetrics and GPUServerCustomMetrics are the CloudWatch
	// agent's custom metrics per server (constructs/observability/agent):
	// mem_used_percent, swap_used_percent, and disk used_percent for "/"
	// with its device dimensions and aggregated by InstanceId; a GPU
	// server adds seven nvidia_smi measurements, per GPU and aggregated.
	ServerCustomMetrics    = 4
	GPUServerCustomMetrics = 14
	// EnvironmentKMSKeys are the customer-managed keys of one environment
	// stack: constructs/encryption.New creates data, logs and secrets,
	// once, in platform.NewEnvironmentStack; no other construct of the
	// stack calls encryption.NewKey (the registry's and the state
	// bucket's keys are in shared-stack and state-bootstrap).
	EnvironmentKMSKeys = 3
	// QuantizerRunHours is how long one model supply keeps the
	// quantization host (an estimate, docs/runbooks/models.md): the driver
	// and the image, the bf16 download, quantizing, hashing and uploading
	// ≈ 40 GB, each bound by the root volume's 125 MB/s, ≈ 35 minutes,
	// rounded up.
	QuantizerRunHours = 1.0
	// BackupCopyKMSKeys is the key of the backup copy vault in
	// Account.BackupCopyRegion (environments.ScaleKeys, BackupCopy: "its
	// vault, key and copy rule").
	BackupCopyKMSKeys = 1
)

// Line is one billed component.
type Line struct {
	// Component says what is billed, e.g. "servers: odoo (m6i.xlarge)".
	Component string
	// Quantity is how many Units a month: 0 for a usage-priced line the
	// configuration cannot know.
	Quantity float64
	// Unit is the price table's unit: "hour", "GB-month" …
	Unit string
	// UnitPrice is USD per Unit, from the table.
	UnitPrice float64
	// Basis is the price's Item.Basis (Recalled, Estimated, Fetched).
	Basis string
	// Price names the table entry: "eu-central-1 ec2_instances m6i.xlarge".
	Price string
	// MonthlyUSD is Quantity × UnitPrice, rounded to the cent.
	MonthlyUSD float64
	// Assumption says how Quantity was reached and what it leaves out.
	Assumption string
	// Usage marks a line priced by use: its Quantity is not known from the
	// configuration.
	Usage bool
}

// Estimate is one environment's monthly on-demand estimate.
type Estimate struct {
	// Environment and Region are the environment's.
	Environment, Region string
	// Lines are the components, in a stable order.
	Lines []Line
	// TotalUSD is the sum of the lines' MonthlyUSD.
	TotalUSD float64
	// BudgetUSD is Scale.MonthlyBudgetUSD.
	BudgetUSD int
	// AsOf is the date of the oldest price the lines use, Newest of the
	// newest (a section refreshed by scripts/update-prices.sh has its own).
	AsOf, Newest string
}

// BudgetPercent is the estimate as a percentage of the budget (0 when there
// is no budget).
func (e Estimate) BudgetPercent() float64 {
	if e.BudgetUSD <= 0 {
		return 0
	}
	return 100 * e.TotalUSD / float64(e.BudgetUSD)
}

// OverBudget reports whether the estimate exceeds the budget.
func (e Estimate) OverBudget() bool { return e.TotalUSD > float64(e.BudgetUSD) }

// Line returns the first line whose Component starts with prefix.
func (e Estimate) Line(prefix string) (Line, bool) {
	for _, l := range e.Lines {
		if strings.HasPrefix(l.Component, prefix) {
			return l, true
		}
	}
	return Line{}, false
}

// cents rounds to the cent.
func cents(usd float64) float64 { return math.Round(usd*100) / 100 }

// builder collects lines and every missing price.
type builder struct {
	t       *Table
	lines   []Line
	missing []error
	dates   []string // each line's section's as_of
}

// add prices quantity units of region/section/key.
func (b *builder) add(region, section, key, component string, quantity float64, assumption string) {
	it, err := b.t.Price(region, section, key)
	if err != nil {
		b.missing = append(b.missing, err)
		return
	}
	b.lines = append(b.lines, Line{
		Component: component, Quantity: quantity, Unit: it.Unit, UnitPrice: it.USD, Basis: it.Basis,
		Price:      region + " " + section + " " + key,
		MonthlyUSD: cents(quantity * it.USD), Assumption: assumption,
	})
	b.dates = append(b.dates, b.t.SectionAsOf(region, section))
}

// usage adds a usage-priced line: quantity 0, the unit price shown.
func (b *builder) usage(region, section, key, component, drivers string) {
	b.add(region, section, key, component, 0, "usage, not estimated: "+drivers)
	if n := len(b.lines); n > 0 && b.lines[n-1].Component == component {
		b.lines[n-1].Usage = true
	}
}

// quantizer prices the quantization host and its root volume: a whole
// month while Scale.QuantizationHost is set (the host bills every hour it
// exists), nothing otherwise; either way the assumption gives the price of
// one supply run (QuantizerRunHours).
func (b *builder) quantizer(e environments.ParityConfig) {
	r, q := e.Region, e.Models.Quantizer
	it, err := b.t.Price(r, "ec2_instances", q.InstanceType)
	if err != nil {
		b.missing = append(b.missing, err)
		return
	}
	run := fmt.Sprintf("one model supply keeps it ≈ %g h: ≈ $%.2f", QuantizerRunHours, QuantizerRunHours*it.USD)
	hours, how := 0.0, "off (Scale.QuantizationHost false); "+run+" while switched on (docs/runbooks/models.md)"
	if e.Scale.QuantizationHost {
		hours, how = HoursPerMonth, "ON (Scale.QuantizationHost): it bills every hour it exists, 730 h counted; "+run+": switch it off after the supply"
	}
	b.add(r, "ec2_instances", q.InstanceType, fmt.Sprintf("quantization host (%s)", q.InstanceType), hours, how)
	b.add(r, "ebs", "gp3", "quantization host root volume (gp3)", float64(q.RootVolumeGB)*hours/HoursPerMonth,
		fmt.Sprintf("%d GB (Models.Quantizer) for as long as the host exists", q.RootVolumeGB))
}

// Schedule is when a tier's servers run.
type Schedule struct {
	// Hours is their billed hours a month.
	Hours float64
	// Describe says when, for the assumption column.
	Describe string
}

// ServerSchedule is when the servers of a tier run: around the clock, or
// Monday to Friday from OffHours.Start to Stop when the tier is listed in
// Scale.OffHours (730 h × weekly hours / 168; holidays and daylight-saving
// changes are ignored).
func ServerSchedule(e environments.ParityConfig, tier string) (Schedule, error) {
	o := e.Scale.OffHours
	if o == nil || !slices.Contains(e.OffHoursTiers(), tier) {
		return Schedule{Hours: HoursPerMonth, Describe: "730 h/month"}, nil
	}
	sh, sm, ok1 := environments.ParseClock(o.Start)
	th, tm, ok2 := environments.ParseClock(o.Stop)
	daily := float64((th*60+tm)-(sh*60+sm)) / 60
	if !ok1 || !ok2 || daily <= 0 {
		return Schedule{}, fmt.Errorf("%s: Scale.OffHours start %q, stop %q: not \"HH:MM\" with start before stop (go run . validate says more)", e.Identity.Name, o.Start, o.Stop)
	}
	weekly := 5 * daily
	hours := HoursPerMonth * weekly / HoursPerWeek
	return Schedule{Hours: hours, Describe: fmt.Sprintf("Mon–Fri %s–%s only (Scale.OffHours): %g h/week = %.1f h/month", o.Start, o.Stop, weekly, hours)}, nil
}

// Counts are the billable resources of one environment priced per unit,
// derived from the configuration as the constructs derive them.
type Counts struct {
	// Servers is every server; GPUServers those of GPU tiers.
	Servers, GPUServers int
	// ModelVolumes are the GPU tier's model volumes (constructs/aiserver,
	// one per server of environments.TierAI).
	ModelVolumes int
	// NATGateways: one per AZ with Scale.NATGatewayPerAZ, else one
	// (constructs/network).
	NATGateways int
	// PublicIPv4 are the NAT gateways' Elastic IPs plus the
	// internet-facing load balancer's addresses, at least one per AZ it
	// spans (AWS bills every public IPv4 address since 2024-02-01).
	PublicIPv4 int
	// InterfaceEndpointAZs are the interface VPC endpoints times the zones
	// they have a network interface in (the private-app subnets: AZCount).
	InterfaceEndpointAZs int
	// KMSKeys are in the environment's region; CopyKMSKeys in
	// Account.BackupCopyRegion.
	KMSKeys, CopyKMSKeys int
	// Secrets are the generated secrets, the supplied ones
	// (environments.SuppliedSecrets) and the RDS-managed master password
	// secret (manage_master_user_password).
	Secrets int
	// Alarms are the CloudWatch metric alarms; AlarmMetrics what they are
	// billed by (a metric-math alarm by each metric it reads).
	Alarms, AlarmMetrics int
	// CustomMetrics are the CloudWatch agent's metrics (approximate).
	CustomMetrics int
	// WAFRules are the web ACL's rules (0 without Edge.WAF).
	WAFRules int
	// DatabaseInstances are the primary, its Multi-AZ standby and the read
	// replicas: each billed as one instance.
	DatabaseInstances int
	// DatabaseStorageGB is the billed gp3 storage: the primary's allocated
	// GB (twice with Multi-AZ) plus each replica's copy.
	DatabaseStorageGB int
}

// CountsOf derives the counts of one environment.
func CountsOf(e environments.ParityConfig) Counts {
	s := e.Scale
	var c Counts
	routed := 0
	for _, t := range e.Tiers {
		n := e.Count(t)
		c.Servers += n
		if t.GPU {
			c.GPUServers += n
		}
		if t.Name == environments.TierAI {
			c.ModelVolumes += n
		}
		if t.Route != nil {
			routed++
		}
	}
	c.NATGateways = 1
	if s.NATGatewayPerAZ {
		c.NATGateways = s.AZCount
	}
	c.PublicIPv4 = c.NATGateways + s.AZCount
	c.InterfaceEndpointAZs = len(e.Network.InterfaceEndpoints) * s.AZCount
	c.KMSKeys = EnvironmentKMSKeys
	if s.BackupCopy {
		c.CopyKMSKeys = BackupCopyKMSKeys
	}
	c.Secrets = len(environments.SecretNames(e.Tiers)) + len(environments.SuppliedSecrets) + 1

	c.Alarms, c.AlarmMetrics = watch.Count(watch.Inventory{
		RoutedTiers: routed, DatabaseReplicas: s.DatabaseReplicas, CacheNodes: s.CacheNodes,
		Servers: c.Servers, GPUServers: c.GPUServers,
	})
	c.CustomMetrics = ServerCustomMetrics*c.Servers + GPUServerCustomMetrics*c.GPUServers
	if e.Edge.WAF {
		c.WAFRules = WAFRuleCount(e)
	}
	c.DatabaseInstances = 1 + s.DatabaseReplicas
	c.DatabaseStorageGB = s.DatabaseAllocatedGB * (1 + s.DatabaseReplicas)
	if s.DatabaseMultiAZ {
		c.DatabaseInstances++
		c.DatabaseStorageGB += s.DatabaseAllocatedGB
	}
	return c
}

// WAFRuleCount is the number of rules constructs/edge.WAFRules writes: the
// core rule set; in "block" mode one label rule per relaxed core rule; the
// known-bad-inputs set; the per-IP rate limit when set; the login rate
// limit when set and some route has login paths. (A managed rule group
// counts as one rule; the baseline groups used here carry no subscription
// fee.)
func WAFRuleCount(e environments.ParityConfig) int {
	n := 2
	relaxed := map[string]bool{}
	logins := false
	for _, t := range e.Tiers {
		if t.Route == nil {
			continue
		}
		for _, x := range t.Route.WAFExceptions {
			for _, r := range x.Rules {
				relaxed[r] = true
			}
		}
		logins = logins || len(t.Route.LoginPaths) > 0
	}
	if e.Edge.WAFMode != "count" {
		n += len(relaxed)
	}
	if e.Edge.WAFRateLimit > 0 {
		n++
	}
	if e.Edge.WAFLoginRateLimit > 0 && logins {
		n++
	}
	return n
}

// For estimates one environment. Every price it needs and the table lacks
// is reported, each as a *MissingPriceError.
func For(a environments.Account, e environments.ParityConfig, t *Table) (Estimate, error) {
	s, r := e.Scale, e.Region
	c := CountsOf(e)
	b := &builder{t: t}

	// Servers, by tier.
	rootGB := 0
	var rootParts []string
	for _, tier := range e.Tiers {
		n := e.Count(tier)
		set := e.ServerSettings(tier)
		if set.InstanceType == "" {
			return Estimate{}, fmt.Errorf("%s: tier %q has no instance type (go run . validate)", e.Identity.Name, tier.Name)
		}
		sched, err := ServerSchedule(e, tier.Name)
		if err != nil {
			return Estimate{}, err
		}
		b.add(r, "ec2_instances", set.InstanceType, fmt.Sprintf("servers: %s (%s)", tier.Name, set.InstanceType),
			float64(n)*sched.Hours, fmt.Sprintf("%d × %s", n, sched.Describe))
		rootGB += n * set.RootVolumeGB
		rootParts = append(rootParts, fmt.Sprintf("%s %d×%d", tier.Name, n, set.RootVolumeGB))
	}
	b.add(r, "ebs", "gp3", "root volumes (gp3)", float64(rootGB),
		strings.Join(rootParts, " + ")+" GB; billed while servers are stopped; gp3's included 3,000 IOPS and 125 MB/s")
	modelGB := c.ModelVolumes * s.ModelVolumeGB
	b.add(r, "ebs", "gp3", "GPU model volumes (gp3)", float64(modelGB),
		fmt.Sprintf("%d × %d GB (Scale.ModelVolumeGB)", c.ModelVolumes, s.ModelVolumeGB))
	b.quantizer(e)

	// Network.
	natHow := "one shared (Scale.NATGatewayPerAZ false)"
	if s.NATGatewayPerAZ {
		natHow = fmt.Sprintf("one per AZ × %d", s.AZCount)
	}
	b.add(r, "nat_gateway", "hour", "NAT gateways", float64(c.NATGateways)*HoursPerMonth,
		fmt.Sprintf("%d, %s, 730 h", c.NATGateways, natHow))
	b.usage(r, "nat_gateway", "processed_gb", "NAT gateway data processed",
		"every GB the servers exchange with the internet (packages, images, model downloads, APIs); S3 goes through the gateway endpoint, free")
	b.add(r, "vpc", "public_ipv4_hour", "public IPv4 addresses", float64(c.PublicIPv4)*HoursPerMonth,
		fmt.Sprintf("%d NAT Elastic IP(s) + %d for the load balancer (one per AZ, more if it scales out), 730 h", c.NATGateways, s.AZCount))
	b.add(r, "vpc", "interface_endpoint_hour", "interface VPC endpoints", float64(c.InterfaceEndpointAZs)*HoursPerMonth,
		fmt.Sprintf("%d endpoints (%s) × %d AZs, 730 h; plus a per-GB charge, small for Session Manager", len(e.Network.InterfaceEndpoints), strings.Join(e.Network.InterfaceEndpoints, ", "), s.AZCount))
	b.add(r, "elb", "alb_hour", "load balancer (ALB)", HoursPerMonth, "1 ALB, 730 h")
	b.add(r, "elb", "alb_lcu_hour", "load balancer capacity (LCU)", ALBCapacityUnits*HoursPerMonth,
		fmt.Sprintf("%g LCU on average (assumed: 25 new connections/s, 3,000 active, 1 GB/h or 1,000 rule evaluations/s each), 730 h", ALBCapacityUnits))
	if e.Edge.WAF {
		b.add(r, "waf", "web_acl", "WAF web ACL", 1, "1 web ACL (Edge.WAF)")
		b.add(r, "waf", "rule", "WAF rules", float64(c.WAFRules),
			fmt.Sprintf("%d rules in %s mode (managed groups count one each; constructs/edge.WAFRules)", c.WAFRules, e.Edge.WAFMode))
		b.usage(r, "waf", "million_requests", "WAF requests", "every request to the load balancer")
	}

	// Data tier.
	db := e.Database.InstanceClass
	dbHow := "Single-AZ"
	if s.DatabaseMultiAZ {
		dbHow = "Multi-AZ: the standby is billed as a second instance"
	}
	primaries := 1
	if s.DatabaseMultiAZ {
		primaries = 2
	}
	b.add(r, "rds_instances", db, fmt.Sprintf("database: primary (%s)", db), float64(primaries)*HoursPerMonth,
		fmt.Sprintf("PostgreSQL, %s, 730 h", dbHow))
	if s.DatabaseReplicas > 0 {
		b.add(r, "rds_instances", db, fmt.Sprintf("database: read replicas (%s)", db), float64(s.DatabaseReplicas)*HoursPerMonth,
			fmt.Sprintf("%d × Single-AZ, 730 h (Scale.DatabaseReplicas)", s.DatabaseReplicas))
	}
	storageHow := fmt.Sprintf("%d GB allocated (Scale.DatabaseAllocatedGB)", s.DatabaseAllocatedGB)
	if s.DatabaseMultiAZ {
		storageHow += " × 2 for Multi-AZ"
	}
	if s.DatabaseReplicas > 0 {
		storageHow += fmt.Sprintf(" + %d per replica", s.DatabaseAllocatedGB)
	}
	b.add(r, "rds_storage", "gp3", "database storage (gp3)", float64(c.DatabaseStorageGB),
		storageHow+"; autoscaling up to Scale.DatabaseMaxAllocatedGB would add to it")
	b.add(r, "rds_storage", "backup", "database automated backups", 0,
		fmt.Sprintf("%d day(s) (Scale.BackupRetentionDays) assumed within the free allowance (backup storage up to the provisioned storage)", s.BackupRetentionDays))
	cacheHow := fmt.Sprintf("%d node(s) (Scale.CacheNodes), 730 h", s.CacheNodes)
	b.add(r, "elasticache_nodes", e.Cache.NodeType, fmt.Sprintf("cache nodes (%s)", e.Cache.NodeType), float64(s.CacheNodes)*HoursPerMonth, cacheHow)
	b.usage(r, "efs", "standard_gb", "filestore (EFS Standard)", "the Odoo filestore's stored GB; files not read for a while move to Infrequent Access (cheaper)")
	b.usage(r, "s3", "standard_gb", "S3 buckets (Standard)", "model weights, Odoo backups, load-balancer logs and the Ansible transfer bucket")

	// Security and operations.
	b.add(r, "kms", "key", "KMS keys", float64(c.KMSKeys),
		fmt.Sprintf("%d keys (data, logs, secrets: constructs/encryption); first year: each yearly rotation adds $1/month, for the first two", c.KMSKeys))
	b.add(r, "secretsmanager", "secret", "Secrets Manager secrets", float64(c.Secrets),
		fmt.Sprintf("%d generated + %d supplied (%s) + 1 RDS-managed master password; API calls not counted",
			c.Secrets-1-len(environments.SuppliedSecrets), len(environments.SuppliedSecrets), strings.Join(environments.SuppliedSecrets, ", ")))
	b.add(r, "cloudwatch", "alarm_metric", "CloudWatch alarms", float64(c.AlarmMetrics),
		fmt.Sprintf("%d standard-resolution alarms, %d metrics (each GPU memory alarm reads two; constructs/observability)", c.Alarms, c.AlarmMetrics))
	b.add(r, "cloudwatch", "custom_metric", "CloudWatch agent metrics", float64(c.CustomMetrics),
		fmt.Sprintf("≈ %d per server + %d per GPU server (constructs/observability/agent)", ServerCustomMetrics, GPUServerCustomMetrics))
	b.add(r, "cloudwatch", "dashboard", "CloudWatch dashboard", 1, "1 dashboard (the first three of an account are free; not counted)")
	b.usage(r, "cloudwatch", "logs_ingested_gb", "CloudWatch Logs ingestion",
		fmt.Sprintf("application, system, VPC flow (%s), WAF and database logs; kept %d days (Scale.LogRetentionDays)", e.Network.FlowLogTrafficType, s.LogRetentionDays))

	// Backups.
	keep := s.RecoveryPointRetentionDays
	factor := 1 + BackupDailyChange*float64(keep)
	dbBackupGB := float64(s.DatabaseAllocatedGB) * factor
	modelBackupGB := float64(modelGB) * factor
	chainOf := func(gb int, total float64) string {
		return fmt.Sprintf("%d GB × (1 full + %g %%/day × %d days, Scale.RecoveryPointRetentionDays) = %.0f GB; an upper bound: snapshots hold written blocks only",
			gb, 100*BackupDailyChange, keep, total)
	}
	b.add(r, "backup", "rds_gb", "AWS Backup: database", dbBackupGB, chainOf(s.DatabaseAllocatedGB, dbBackupGB))
	b.add(r, "backup", "ebs_gb", "AWS Backup: model volumes", modelBackupGB, chainOf(modelGB, modelBackupGB))
	efsWhat := "the filestore's stored GB, as its recovery points"
	if s.BackupCopy {
		efsWhat += ", and again in " + a.BackupCopyRegion
	}
	b.usage(r, "backup", "efs_gb", "AWS Backup: filestore (EFS)", efsWhat)
	if s.BackupCopy {
		cr := a.BackupCopyRegion
		b.add(cr, "backup", "rds_gb", fmt.Sprintf("backup copy (%s): database", cr), dbBackupGB, "the same recovery points again (Scale.BackupCopy)")
		b.add(cr, "backup", "ebs_gb", fmt.Sprintf("backup copy (%s): model volumes", cr), modelBackupGB, "the same recovery points again (Scale.BackupCopy)")
		transfer := float64(s.DatabaseAllocatedGB+modelGB) * BackupDailyChange * DaysPerMonth
		b.add(r, "backup", "cross_region_transfer_gb", fmt.Sprintf("backup copy transfer %s → %s", r, cr), transfer,
			fmt.Sprintf("%d GB × %g %%/day × %g days: the daily increments; the first full copy (%d GB) is once", s.DatabaseAllocatedGB+modelGB, 100*BackupDailyChange, DaysPerMonth, s.DatabaseAllocatedGB+modelGB))
		b.add(cr, "kms", "key", fmt.Sprintf("KMS key (%s)", cr), float64(c.CopyKMSKeys), "the backup copy vault's key")
	}
	b.usage(r, "data_transfer", "internet_out_gb", "data transfer out to the internet", "what users download from Odoo and n8n, and webhook answers")

	if len(b.missing) > 0 {
		return Estimate{}, fmt.Errorf("%s: %w", e.Identity.Name, errors.Join(b.missing...))
	}
	// "2025-01" sorts before "2025-01-15": dates compare as strings.
	est := Estimate{Environment: e.Identity.Name, Region: r, Lines: b.lines, BudgetUSD: s.MonthlyBudgetUSD,
		AsOf: slices.Min(b.dates), Newest: slices.Max(b.dates)}
	for _, l := range est.Lines {
		est.TotalUSD += l.MonthlyUSD
	}
	est.TotalUSD = cents(est.TotalUSD)
	return est, nil
}

// All estimates every environment, in order; the error joins every
// environment's.
func All(a environments.Account, envs []environments.ParityConfig, t *Table) ([]Estimate, error) {
	var out []Estimate
	var errs []error
	for _, e := range envs {
		est, err := For(a, e, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, est)
	}
	return out, errors.Join(errs...)
}
