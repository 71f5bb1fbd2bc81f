package environments

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Scale says how much and how long. It is the only part of a parity
// environment besides Identity that may differ from production.
type Scale struct {
	// AZCount is the number of availability zones the VPC spans (1–4;
	// at least 2 for production and staging). Each AZ gets a public, a
	// private-app and a private-data subnet.
	AZCount int
	// NATGatewayPerAZ gives every AZ its own NAT gateway (survives an AZ
	// outage); false shares one NAT gateway in the first AZ.
	NATGatewayPerAZ bool
	// Servers is the number of servers of each tier, by tier name (1 to
	// 20; tiers with a FixedCount, the n8n main, take none). Default: 1 for
	// a tier the map does not name.
	Servers map[string]int
	// LogRetentionDays is how long CloudWatch keeps logs, flow logs
	// included. It must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14,
	// 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
	// 2922, 3288, 3653).
	LogRetentionDays int
	// DeletionProtection turns on deletion and termination protection
	// wherever AWS offers it, keeps KMS keys for a 30-day deletion window
	// (7 otherwise) and secrets for a 30-day recovery window (7 otherwise).
	DeletionProtection bool

	// DatabaseAllocatedGB is the initial RDS storage (≥ 20 GB).
	DatabaseAllocatedGB int
	// DatabaseMaxAllocatedGB is the ceiling for RDS storage autoscaling
	// (≥ DatabaseAllocatedGB).
	DatabaseMaxAllocatedGB int
	// DatabaseMultiAZ runs a synchronous standby in a second AZ.
	DatabaseMultiAZ bool
	// DatabaseReplicas is the number of read replicas (0–5).
	DatabaseReplicas int
	// BackupRetentionDays is how long RDS keeps automated backups (1–35).
	BackupRetentionDays int
	// FinalSnapshot takes a snapshot when the database is destroyed.
	FinalSnapshot bool

	// CacheNodes is the number of Redis nodes: one primary plus replicas
	// (1–6; at least 2 with CacheMultiAZ).
	CacheNodes int
	// CacheMultiAZ enables automatic failover to a replica in another AZ.
	CacheMultiAZ bool
	// CacheSnapshotRetentionDays is how long Redis snapshots are kept
	// (0 disables them; at most 35).
	CacheSnapshotRetentionDays int

	// BackupBucketRetentionDays is how long Odoo database dumps and
	// filestore archives stay in the backup bucket (≥ 30).
	BackupBucketRetentionDays int

	// ModelVolumeGB is the size of each GPU server's model volume (Flux
	// weights ≈ 35 GB plus LoRA adapters; ≥ 50).
	ModelVolumeGB int

	// RecoveryPointRetentionDays is how long AWS Backup keeps the daily
	// recovery points of the database, the filestore and the model volumes
	// (and their copies): 7–365; at least 35 in production.
	RecoveryPointRetentionDays int
	// BackupCopy copies every recovery point to Account.BackupCopyRegion,
	// into a vault under a key of that region. Required in production.
	BackupCopy bool
	// BackupVaultLock locks the backup vaults in compliance mode after a
	// three-day grace period: from then on nobody, root included, can
	// delete a recovery point before RecoveryPointRetentionDays, nor the
	// lock itself. Required in production; never in an environment that is
	// destroyed and re-created (the vault cannot be deleted while it holds
	// locked recovery points).
	BackupVaultLock bool

	// MonthlyBudgetUSD is the environment's AWS Budget: e-mails to its
	// AlertEmails at 80 % of actual and 100 % of forecast spend (≥ 1; `go
	// run . cost` estimates the on-demand bill, and a test keeps each
	// estimate under its budget).
	MonthlyBudgetUSD int

	// OffHours stops the servers of the listed tiers outside working
	// hours. Default: nil, servers run around the clock; production must.
	OffHours *OffHours

	// PatchWindowHours is the length of the weekly patch window that
	// starts at Identity.PatchWindow (2–24): every server of every tier,
	// one at a time, is patched and, if needed, rebooted within it.
	PatchWindowHours int

	// QuantizationHost creates the on-demand host a model version is made
	// on (Models.Quantizer: it downloads the base model and quantizes its
	// transformer; scripts/models.sh supply). Set it, deploy, supply the
	// models, then unset it and deploy again: the host bills by the hour
	// (`go run . cost`). Default: false, no host.
	QuantizationHost bool
}

// OffHours is a working-hours schedule, in Account.Timezone. The servers of
// Tiers run Monday to Friday from Start to Stop and are stopped otherwise;
// while they are stopped, the alarms that watch them do not notify.
type OffHours struct {
	// Start and Stop are "HH:MM" (Start before Stop).
	Start, Stop string
	// Tiers are the tiers whose servers stop, stopped in this order and
	// started in reverse (put the GPU tier first: it costs the most).
	// Default: every tier, the GPU tiers first, then the others in reverse
	// table order (ParityConfig.OffHoursTiers), so a tier added to the
	// table stops with the rest.
	Tiers []string
}

// OffHoursTiers are the tiers Scale.OffHours stops, in stop order: its
// Tiers, or by default every tier, GPU tiers first, then the others in
// reverse table order. None without Scale.OffHours.
func (c ParityConfig) OffHoursTiers() []string {
	o := c.Scale.OffHours
	if o == nil {
		return nil
	}
	if len(o.Tiers) > 0 {
		return o.Tiers
	}
	var gpu, rest []string
	for _, t := range c.Tiers {
		if t.GPU {
			gpu = append(gpu, t.Name)
		} else {
			rest = append([]string{t.Name}, rest...)
		}
	}
	return append(gpu, rest...)
}

// DeletionWindowDays is how long deleted KMS keys and secrets can still be
// restored: 30 days when the environment is deletion-protected, 7 otherwise.
func (s Scale) DeletionWindowDays() int {
	if s.DeletionProtection {
		return 30
	}
	return 7
}

// ScaleKind says what kind of "how much or how long" a Scale field is.
type ScaleKind string

// The kinds of Scale field. Anything else is a *what* and is shared.
const (
	// Count adds or removes whole resources (servers, NAT gateways,
	// replicas, subnets): a staging resource still has production's form.
	Count ScaleKind = "count"
	// Size is a capacity: storage, volume size.
	Size ScaleKind = "size"
	// Retention is how long something is kept.
	Retention ScaleKind = "retention"
	// Redundancy is a standby or failover.
	Redundancy ScaleKind = "redundancy"
	// Protection guards against deletion.
	Protection ScaleKind = "protection"
	// Spend is money: a budget.
	Spend ScaleKind = "spend"
	// Schedule is when things run: off-hours, window lengths.
	Schedule ScaleKind = "schedule"
)

// ScaleKey is one Scale field and the Terraform arguments it may change.
// The list is the single statement of what Scale means: Validate checks it
// covers every Scale field, and the parity proof on the synthesized JSON
// (internal/parity) lets a parity environment differ from production only
// in these arguments, or in how many copies of a resource exist.
type ScaleKey struct {
	// Field is the Scale field's name.
	Field string
	// Kind says what sort of scale it is.
	Kind ScaleKind
	// Attributes are the arguments it sets, as "<resource type>.<path>"
	// (nested blocks joined by "."; list indices left out; "*" for every
	// type). A Count field lists none: it changes how many resources
	// exist, not their form.
	Attributes []string
	// Constructs are the construct paths, as the start of a Terraform
	// logical name ("offhours_", "backup_copy-"), whose resources exist
	// only when the field is set: an environment may have them when the
	// reference does not, or lack them when it has them. Default: none.
	Constructs []string
	// Why says why the field is scale and not a *what*.
	Why string
}

// ScaleKeys lists every Scale field, once.
var ScaleKeys = []ScaleKey{
	{Field: "AZCount", Kind: Count,
		Why: "one subnet of each tier per zone; lists of subnets grow with it, their members keep production's form"},
	{Field: "NATGatewayPerAZ", Kind: Count,
		Why: "one NAT gateway (and Elastic IP) per zone or one shared: each private route still points at a NAT gateway"},
	{Field: "Servers", Kind: Count, Why: "identical servers of each tier, their registrations, volumes, alarms and dashboard widgets"},
	{Field: "LogRetentionDays", Kind: Retention,
		Attributes: []string{
			"aws_cloudwatch_log_group.retention_in_days",
			// the load balancer's access-log bucket expires logs after the same time
			"aws_s3_bucket_lifecycle_configuration.rule.expiration.days",
		},
		Why: "how long logs are kept"},
	{Field: "DeletionProtection", Kind: Protection,
		Attributes: []string{
			"aws_db_instance.deletion_protection",
			"aws_db_instance.delete_automated_backups",
			"aws_lb.enable_deletion_protection",
			"aws_instance.disable_api_termination",
			"aws_ebs_volume.final_snapshot",
			"aws_kms_key.deletion_window_in_days",
			"aws_secretsmanager_secret.recovery_window_in_days",
			// prevent_destroy on every stateful resource of production
			"*.lifecycle.prevent_destroy",
			// dev and staging buckets and backup vaults may be emptied by destroy
			"aws_s3_bucket.force_destroy",
			"aws_backup_vault.force_destroy",
		},
		Why: "what refuses or outlives a destroy, and how long deleted keys and secrets can be restored"},
	{Field: "DatabaseAllocatedGB", Kind: Size, Attributes: []string{"aws_db_instance.allocated_storage"}, Why: "initial database storage"},
	{Field: "DatabaseMaxAllocatedGB", Kind: Size, Attributes: []string{"aws_db_instance.max_allocated_storage"}, Why: "storage autoscaling ceiling"},
	{Field: "DatabaseMultiAZ", Kind: Redundancy, Attributes: []string{"aws_db_instance.multi_az"}, Why: "a synchronous standby in a second zone"},
	{Field: "DatabaseReplicas", Kind: Count, Why: "read replicas, each with production's replica form, and their alarms"},
	{Field: "BackupRetentionDays", Kind: Retention, Attributes: []string{"aws_db_instance.backup_retention_period"}, Why: "how long automated backups are kept"},
	{Field: "FinalSnapshot", Kind: Protection,
		Attributes: []string{"aws_db_instance.skip_final_snapshot", "aws_db_instance.final_snapshot_identifier"},
		Why:        "whether a destroyed database leaves a snapshot"},
	{Field: "CacheNodes", Kind: Count,
		Attributes: []string{"aws_elasticache_replication_group.num_cache_clusters"},
		Why:        "Redis nodes: the primary plus identical replicas (a number on one resource, and their alarms)"},
	{Field: "CacheMultiAZ", Kind: Redundancy,
		Attributes: []string{"aws_elasticache_replication_group.automatic_failover_enabled", "aws_elasticache_replication_group.multi_az_enabled"},
		Why:        "automatic failover to a replica in another zone"},
	{Field: "CacheSnapshotRetentionDays", Kind: Retention,
		Attributes: []string{"aws_elasticache_replication_group.snapshot_retention_limit"}, Why: "how long Redis snapshots are kept"},
	{Field: "BackupBucketRetentionDays", Kind: Retention,
		Attributes: []string{
			"aws_s3_bucket_lifecycle_configuration.rule.expiration.days",
			// STANDARD_IA bills 30 days at least: the transition is left out
			// when backups expire within 30 days of it (constructs/bucket).
			"aws_s3_bucket_lifecycle_configuration.rule.transition",
		},
		Why: "how long Odoo backups are kept"},
	{Field: "ModelVolumeGB", Kind: Size, Attributes: []string{"aws_ebs_volume.size"}, Why: "each GPU server's model volume"},
	{Field: "RecoveryPointRetentionDays", Kind: Retention,
		Attributes: []string{
			"aws_backup_plan.rule.lifecycle.delete_after",
			"aws_backup_plan.rule.copy_action.lifecycle.delete_after",
			"aws_backup_vault_lock_configuration.min_retention_days",
		},
		Why: "how long AWS Backup keeps recovery points"},
	{Field: "BackupCopy", Kind: Redundancy,
		Attributes: []string{"aws_backup_plan.rule.copy_action"},
		Constructs: []string{"backup_copy-"},
		Why:        "a second copy of every recovery point in another region of the same jurisdiction: its vault, key and copy rule"},
	{Field: "BackupVaultLock", Kind: Protection,
		Constructs: []string{"backup_vault-lock", "backup_copy-vault-lock"},
		Why:        "compliance-mode locks on the backup vaults, which outlive any destroy"},
	{Field: "MonthlyBudgetUSD", Kind: Spend, Attributes: []string{"aws_budgets_budget.limit_amount"}, Why: "how much the environment may cost"},
	{Field: "OffHours", Kind: Schedule,
		Constructs: []string{"offhours_"},
		Why:        "when servers run: the schedules that stop and start them and mute their alarms, and the role the scheduler acts as"},
	{Field: "PatchWindowHours", Kind: Schedule,
		Attributes: []string{"aws_ssm_maintenance_window.duration"},
		Why:        "how long the weekly patch window lasts"},
	{Field: "QuantizationHost", Kind: Schedule,
		Constructs: []string{"models_quantizer"},
		Why:        "when the quantization host exists: only while a model version is made; its server, role, profile, security group and offerings check, all of production's form otherwise"},
}

// ScaleConstructs returns the logical-name prefixes of the constructs that
// exist only when a Scale field is set, from ScaleKeys, with the fields.
func ScaleConstructs() map[string]string {
	out := map[string]string{}
	for _, k := range ScaleKeys {
		for _, c := range k.Constructs {
			out[c] = k.Field
		}
	}
	return out
}

// ScaleAttributes returns the set of "<type>.<path>" arguments Scale may
// change, from ScaleKeys.
func ScaleAttributes() map[string]string {
	out := map[string]string{}
	for _, k := range ScaleKeys {
		for _, a := range k.Attributes {
			if prev, ok := out[a]; ok {
				out[a] = prev + ", " + k.Field
			} else {
				out[a] = k.Field
			}
		}
	}
	return out
}

// scaleKeyProblems checks that ScaleKeys names every Scale field exactly
// once and nothing else, and that every attribute is "<type>.<path>".
func scaleKeyProblems() []string {
	var out []string
	fields := map[string]bool{}
	t := reflect.TypeOf(Scale{})
	for i := 0; i < t.NumField(); i++ {
		fields[t.Field(i).Name] = true
	}
	listed := map[string]int{}
	for _, k := range ScaleKeys {
		listed[k.Field]++
		if !fields[k.Field] {
			out = append(out, fmt.Sprintf("ScaleKeys names %q, which is not a Scale field", k.Field))
		}
		switch k.Kind {
		case Count, Size, Retention, Redundancy, Protection, Spend, Schedule:
		default:
			out = append(out, fmt.Sprintf("ScaleKeys[%s]: unknown kind %q", k.Field, k.Kind))
		}
		if k.Kind != Count && len(k.Attributes) == 0 && len(k.Constructs) == 0 {
			out = append(out, fmt.Sprintf("ScaleKeys[%s]: a %s field must name the arguments it sets or the constructs it adds", k.Field, k.Kind))
		}
		for _, a := range k.Attributes {
			if typ, _, ok := strings.Cut(a, "."); !ok || !strings.HasPrefix(typ, "aws_") && typ != "*" {
				out = append(out, fmt.Sprintf("ScaleKeys[%s]: %q is not <resource type>.<argument>", k.Field, a))
			}
		}
		for _, c := range k.Constructs {
			if c == "" || strings.ContainsAny(c, ". ") {
				out = append(out, fmt.Sprintf("ScaleKeys[%s]: %q is not the start of a logical name (\"offhours_\")", k.Field, c))
			}
		}
	}
	for f := range fields {
		if listed[f] != 1 {
			out = append(out, fmt.Sprintf("Scale.%s is listed %d times in ScaleKeys: list every Scale field once, with what it changes", f, listed[f]))
		}
	}
	return out
}

// clone returns a copy that shares no map with s.
func (s Scale) clone() Scale {
	s.Servers = maps.Clone(s.Servers)
	if s.OffHours != nil {
		o := *s.OffHours
		o.Tiers = slices.Clone(o.Tiers)
		s.OffHours = &o
	}
	return s
}

// validLogRetention are the retention periods CloudWatch Logs accepts.
var validLogRetention = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// check checks every count, size and retention against what AWS accepts,
// and what production must have (Kind Reference). Server counts are
// checked with the tier table (ParityConfig.checkTiers).
func (s Scale) check(c checker, kind Kind) {
	ref := kind == Reference
	if s.AZCount < 2 || s.AZCount > 4 {
		why := "the load balancer and RDS Multi-AZ need two availability zones"
		if kind != Sandbox {
			why = "staging and production must survive the loss of one availability zone"
		}
		c.add("Scale.AZCount", fmt.Sprintf("%d availability zones: %s", s.AZCount, why), "set Scale.AZCount between 2 and 4")
	}
	if !slices.Contains(validLogRetention, s.LogRetentionDays) {
		c.add("Scale.LogRetentionDays", fmt.Sprintf("%d is not a retention CloudWatch Logs accepts", s.LogRetentionDays), fmt.Sprintf("use one of %v", validLogRetention))
	}
	if ref && !s.DeletionProtection {
		c.add("Scale.DeletionProtection", "production without deletion protection", "set Scale.DeletionProtection to true in Production()")
	}

	if s.DatabaseAllocatedGB < 20 {
		c.add("Scale.DatabaseAllocatedGB", fmt.Sprintf("%d GB: RDS gp3 storage starts at 20 GB", s.DatabaseAllocatedGB), "set it to 20 or more")
	}
	if s.DatabaseMaxAllocatedGB < s.DatabaseAllocatedGB || s.DatabaseMaxAllocatedGB > 65536 {
		c.add("Scale.DatabaseMaxAllocatedGB", fmt.Sprintf("%d GB: the autoscaling ceiling must be between DatabaseAllocatedGB (%d) and 65536", s.DatabaseMaxAllocatedGB, s.DatabaseAllocatedGB), "raise it to at least DatabaseAllocatedGB")
	}
	if s.BackupRetentionDays < 1 || s.BackupRetentionDays > 35 {
		c.add("Scale.BackupRetentionDays", fmt.Sprintf("%d days: RDS keeps automated backups for 1 to 35 days", s.BackupRetentionDays), "set it between 1 and 35; keep longer history with snapshots or the backup bucket")
	}
	switch {
	case s.DatabaseReplicas < 0 || s.DatabaseReplicas > 5:
		c.add("Scale.DatabaseReplicas", fmt.Sprintf("%d read replicas: RDS PostgreSQL allows 0 to 5 per source here", s.DatabaseReplicas), "set it between 0 and 5")
	case s.DatabaseReplicas > 0:
		// RDS User Guide, "Limitations for Secrets Manager integration
		// with Amazon RDS": creating a read replica is not supported when
		// the source manages its master credentials with Secrets Manager
		// (all engines but SQL Server). constructs/database does
		// (manage_master_user_password), so the apply would fail.
		c.add("Scale.DatabaseReplicas", fmt.Sprintf("%d read replica(s): RDS cannot create a read replica of a database whose master password Secrets Manager manages, as this one's is", s.DatabaseReplicas),
			"set it to 0 (Scale.DatabaseMultiAZ gives the standby; no application reads from a replica)")
	}
	if ref {
		if !s.DatabaseMultiAZ {
			c.add("Scale.DatabaseMultiAZ", "production database without a standby", "set Scale.DatabaseMultiAZ to true")
		}
		if s.BackupRetentionDays < 14 {
			c.add("Scale.BackupRetentionDays", fmt.Sprintf("%d days: production keeps backups at least 14 days", s.BackupRetentionDays), "set it between 14 and 35")
		}
		if !s.FinalSnapshot {
			c.add("Scale.FinalSnapshot", "production database destroyed without a final snapshot", "set Scale.FinalSnapshot to true")
		}
	}

	if s.CacheNodes < 1 || s.CacheNodes > 6 {
		c.add("Scale.CacheNodes", fmt.Sprintf("%d Redis nodes: a replication group has 1 to 6", s.CacheNodes), "set it between 1 and 6")
	}
	if s.CacheMultiAZ && s.CacheNodes < 2 {
		c.add("Scale.CacheMultiAZ", fmt.Sprintf("automatic failover needs a replica, but Scale.CacheNodes is %d", s.CacheNodes), "set Scale.CacheNodes to 2 or more, or CacheMultiAZ to false")
	}
	if s.CacheSnapshotRetentionDays < 0 || s.CacheSnapshotRetentionDays > 35 {
		c.add("Scale.CacheSnapshotRetentionDays", fmt.Sprintf("%d days: ElastiCache keeps snapshots 0 to 35 days", s.CacheSnapshotRetentionDays), "set it between 0 and 35")
	}
	if s.BackupBucketRetentionDays < 30 {
		c.add("Scale.BackupBucketRetentionDays", fmt.Sprintf("%d days: keep backups at least 30 days", s.BackupBucketRetentionDays), "set it to 30 or more")
	}
	if s.ModelVolumeGB < 50 || s.ModelVolumeGB > 16384 {
		c.add("Scale.ModelVolumeGB", fmt.Sprintf("%d GB: Flux weights alone take about 35 GB", s.ModelVolumeGB), "set it between 50 and 16384")
	}

	if s.RecoveryPointRetentionDays < VaultLockMinRetentionDays || s.RecoveryPointRetentionDays > VaultLockMaxRetentionDays {
		c.add("Scale.RecoveryPointRetentionDays",
			fmt.Sprintf("%d days: keep recovery points %d to %d days (the vault lock's ceiling)", s.RecoveryPointRetentionDays, VaultLockMinRetentionDays, VaultLockMaxRetentionDays),
			fmt.Sprintf("set it between %d and %d", VaultLockMinRetentionDays, VaultLockMaxRetentionDays))
	}
	if ref {
		if s.RecoveryPointRetentionDays < 35 {
			c.add("Scale.RecoveryPointRetentionDays", fmt.Sprintf("%d days: production keeps recovery points at least 35 days", s.RecoveryPointRetentionDays), "set it to 35 or more")
		}
		if !s.BackupCopy {
			c.add("Scale.BackupCopy", "production backups stay in one region", "set Scale.BackupCopy to true (to Account.BackupCopyRegion)")
		}
		if !s.BackupVaultLock {
			c.add("Scale.BackupVaultLock", "production recovery points can be deleted by anyone with the rights", "set Scale.BackupVaultLock to true")
		}
		if s.OffHours != nil {
			c.add("Scale.OffHours", "production servers would be stopped on a schedule", "set Scale.OffHours to nil in Production(); schedule dev and staging only")
		}
	}
	if s.MonthlyBudgetUSD < 1 {
		c.add("Scale.MonthlyBudgetUSD", fmt.Sprintf("%d: every environment has a budget", s.MonthlyBudgetUSD), "set it to the monthly spend you expect, with headroom (`go run . cost`)")
	}
	if s.PatchWindowHours < 2 || s.PatchWindowHours > 24 {
		c.add("Scale.PatchWindowHours", fmt.Sprintf("%d hours: a maintenance window lasts 2 to 24 hours (one hour is kept for the last server's reboot)", s.PatchWindowHours), "set it between 2 and 24")
	}
}

// check checks an off-hours schedule against the tier table and returns
// its working hours in minutes of the day (-1, -1 when they are not
// valid).
func (o OffHours) check(c checker, e ParityConfig) (start, stop int) {
	sh, sm, ok1 := ParseClock(o.Start)
	th, tm, ok2 := ParseClock(o.Stop)
	start, stop = -1, -1
	switch {
	case !ok1 || !ok2:
		c.add("Scale.OffHours", fmt.Sprintf("start %q, stop %q: not \"HH:MM\"", o.Start, o.Stop), `write e.g. Start "07:00", Stop "20:00" (Account.Timezone)`)
	case sh*60+sm >= th*60+tm:
		c.add("Scale.OffHours", fmt.Sprintf("start %s is not before stop %s", o.Start, o.Stop), "servers run from Start to Stop on the same day")
	case th*60+tm > 23*60:
		c.add("Scale.OffHours", fmt.Sprintf("stop %s is after 23:00: the stop schedules run up to half an hour after it and must stay on the same day", o.Stop), "stop at 23:00 or earlier")
	default:
		start, stop = sh*60+sm, th*60+tm
	}
	seen := map[string]bool{}
	for i, t := range o.Tiers {
		if _, ok := e.Tier(t); !ok {
			c.add(fmt.Sprintf("Scale.OffHours.Tiers[%d]", i), fmt.Sprintf("%q is not a tier", t), "name a tier of the tier table")
		}
		if seen[t] {
			c.add(fmt.Sprintf("Scale.OffHours.Tiers[%d]", i), fmt.Sprintf("%q is listed twice", t), "list each tier once")
		}
		seen[t] = true
	}
	return start, stop
}
