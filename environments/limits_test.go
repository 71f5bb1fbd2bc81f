package environments

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// problemsOf returns the problems Validate reports for one environment's
// field ("account" for the Account's).
func problemsOf(t *testing.T, a Account, envs []ParityConfig, env, field string) []FieldError {
	t.Helper()
	err := Validate(a, envs)
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %T: %v", err, err)
	}
	var out []FieldError
	for _, e := range errs {
		if e.Env == env && e.Field == field {
			out = append(out, e)
		}
	}
	return out
}

// setPatchWindow moves an environment's patch window where Validate looks
// for it: the account's table and the environment's identity.
func setPatchWindow(a *Account, e *ParityConfig, w string) {
	a.PatchWindows[e.Identity.Name] = w
	e.Identity.PatchWindow = w
}

// TestLimits: every numeric rule, on both sides of each limit: the last
// accepted value produces no problem for the field, the first refused one a
// problem that names the field (and, with want, says why). A rule whose
// limit moves by one, or whose test flips, fails here. Environments:
// e[0] production, e[1] staging, e[2] dev.
func TestLimits(t *testing.T) {
	type set func(a *Account, e []ParityConfig)
	cases := []struct {
		name   string
		set    set
		env    string
		field  string
		refuse bool
		want   string
	}{
		// Identity: "<project>-<env>-odoo-ws" fits 32 characters when project
		// and name have 23 together ("staging" has 7).
		{"project and name 23 characters", func(a *Account, e []ParityConfig) { a.Project = strings.Repeat("p", 16) }, "staging", "Identity.Name", false, ""},
		{"project and name 24 characters", func(a *Account, e []ParityConfig) { a.Project = strings.Repeat("p", 17) }, "staging", "Identity.Name", true, "too long"},

		// Account.
		{"peered network", func(a *Account, e []ParityConfig) { a.PeeredCIDRs = []string{"10.99.0.0/16"} }, "account", "Account.PeeredCIDRs[0]", false, ""},
		{"peered network not a CIDR", func(a *Account, e []ParityConfig) { a.PeeredCIDRs = []string{"10.99.0/16"} }, "account", "Account.PeeredCIDRs[0]", true, "not a CIDR block"},

		// Database.
		{"slow statements: log all", func(a *Account, e []ParityConfig) { e[2].Database.SlowStatementMs = 0 }, "dev", "Database.SlowStatementMs", false, ""},
		{"slow statements: negative", func(a *Account, e []ParityConfig) { e[2].Database.SlowStatementMs = -1 }, "dev", "Database.SlowStatementMs", true, "negative"},
		{"Performance Insights: 7 days (free tier)", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 7 }, "dev", "Database.PerformanceInsightsRetentionDays", false, ""},
		{"Performance Insights: one month", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 31 }, "dev", "Database.PerformanceInsightsRetentionDays", false, ""},
		{"Performance Insights: 23 months", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 23 * 31 }, "dev", "Database.PerformanceInsightsRetentionDays", false, ""},
		{"Performance Insights: 731 days (two years)", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 731 }, "dev", "Database.PerformanceInsightsRetentionDays", false, ""},
		{"Performance Insights: 24 months", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 24 * 31 }, "dev", "Database.PerformanceInsightsRetentionDays", true, "not a Performance Insights retention"},
		{"Performance Insights: not whole months", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 94 }, "dev", "Database.PerformanceInsightsRetentionDays", true, "94 days"},
		{"Performance Insights: off", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 0 }, "dev", "Database.PerformanceInsightsRetentionDays", true, "0 days"},
		{"Performance Insights: under 7", func(a *Account, e []ParityConfig) { e[2].Database.PerformanceInsightsRetentionDays = 6 }, "dev", "Database.PerformanceInsightsRetentionDays", true, "6 days"},

		// Compute: the AMI is found by owner and name when no ID is set.
		{"AMI owned by amazon", func(a *Account, e []ParityConfig) { e[2].Compute.AMIOwner = "amazon" }, "dev", "Compute.AMINamePattern", false, ""},
		{"AMI owner neither an account nor amazon", func(a *Account, e []ParityConfig) { e[2].Compute.AMIOwner = "canonical" }, "dev", "Compute.AMINamePattern", true, "no AMI"},
		{"AMI without a name pattern", func(a *Account, e []ParityConfig) { e[2].Compute.AMINamePattern = "" }, "dev", "Compute.AMINamePattern", true, "no AMI"},
		{"AMI by ID, no owner needed", func(a *Account, e []ParityConfig) {
			e[2].Compute.AMIID, e[2].Compute.AMIOwner = "ami-0123456789abcdef0", ""
		}, "dev", "Compute.AMINamePattern", false, ""},
		{"admin SSH from a /16", func(a *Account, e []ParityConfig) { e[2].Compute.AdminSSHCIDR = "10.50.0.0/16" }, "dev", "Compute.AdminSSHCIDR", false, ""},
		{"admin SSH from a /15", func(a *Account, e []ParityConfig) { e[2].Compute.AdminSSHCIDR = "10.50.0.0/15" }, "dev", "Compute.AdminSSHCIDR", true, "/15"},

		// Edge.
		{"idle timeout 1 s", func(a *Account, e []ParityConfig) { e[2].Edge.IdleTimeoutSeconds = 1 }, "dev", "Edge.IdleTimeoutSeconds", false, ""},
		{"idle timeout 4000 s", func(a *Account, e []ParityConfig) { e[2].Edge.IdleTimeoutSeconds = 4000 }, "dev", "Edge.IdleTimeoutSeconds", false, ""},
		{"idle timeout 0 s", func(a *Account, e []ParityConfig) { e[2].Edge.IdleTimeoutSeconds = 0 }, "dev", "Edge.IdleTimeoutSeconds", true, "1–4000"},
		{"idle timeout 4001 s", func(a *Account, e []ParityConfig) { e[2].Edge.IdleTimeoutSeconds = 4001 }, "dev", "Edge.IdleTimeoutSeconds", true, "1–4000"},
		{"WAF rate limit off", func(a *Account, e []ParityConfig) { e[2].Edge.WAFRateLimit, e[2].Edge.WAFLoginRateLimit = 0, 0 }, "dev", "Edge.WAFRateLimit", false, ""},
		{"WAF rate limit at WAF's minimum", func(a *Account, e []ParityConfig) { e[2].Edge.WAFRateLimit, e[2].Edge.WAFLoginRateLimit = 100, 100 }, "dev", "Edge.WAFRateLimit", false, ""},
		{"WAF rate limit at WAF's maximum", func(a *Account, e []ParityConfig) { e[2].Edge.WAFRateLimit = 2000000000 }, "dev", "Edge.WAFRateLimit", false, ""},
		{"WAF rate limit under WAF's minimum", func(a *Account, e []ParityConfig) { e[2].Edge.WAFRateLimit = 99 }, "dev", "Edge.WAFRateLimit", true, "outside WAF's 100–2000000000"},
		{"WAF rate limit over WAF's maximum", func(a *Account, e []ParityConfig) { e[2].Edge.WAFRateLimit = 2000000001 }, "dev", "Edge.WAFRateLimit", true, "outside WAF's"},
		{"WAF mode block", func(a *Account, e []ParityConfig) { e[2].Edge.WAFMode = "block" }, "dev", "Edge.WAFMode", false, ""},
		{"WAF mode count", func(a *Account, e []ParityConfig) { e[2].Edge.WAFMode = "count" }, "dev", "Edge.WAFMode", false, ""},
		{"WAF mode unknown", func(a *Account, e []ParityConfig) { e[2].Edge.WAFMode = "blocking" }, "dev", "Edge.WAFMode", true, "not a WAF rollout stage"},
		{"WAF mode unknown, WAF off", func(a *Account, e []ParityConfig) { e[2].Edge.WAF, e[2].Edge.WAFMode = false, "blocking" }, "dev", "Edge.WAFMode", false, ""},
		{"login limit off", func(a *Account, e []ParityConfig) { e[2].Edge.WAFLoginRateLimit = 0 }, "dev", "Edge.WAFLoginRateLimit", false, ""},
		{"login limit at WAF's minimum", func(a *Account, e []ParityConfig) { e[2].Edge.WAFLoginRateLimit = 100 }, "dev", "Edge.WAFLoginRateLimit", false, ""},
		{"login limit equal to the rate limit", func(a *Account, e []ParityConfig) { e[2].Edge.WAFLoginRateLimit = e[2].Edge.WAFRateLimit }, "dev", "Edge.WAFLoginRateLimit", false, ""},
		{"login limit alone (rate limit off)", func(a *Account, e []ParityConfig) { e[2].Edge.WAFRateLimit, e[2].Edge.WAFLoginRateLimit = 0, 5000 }, "dev", "Edge.WAFLoginRateLimit", false, ""},
		{"login limit under WAF's minimum", func(a *Account, e []ParityConfig) { e[2].Edge.WAFLoginRateLimit = 99 }, "dev", "Edge.WAFLoginRateLimit", true, "must not exceed WAFRateLimit"},
		{"login limit at WAF's maximum", func(a *Account, e []ParityConfig) {
			e[2].Edge.WAFRateLimit, e[2].Edge.WAFLoginRateLimit = 0, 2000000000
		}, "dev", "Edge.WAFLoginRateLimit", false, ""},
		{"login limit over WAF's maximum", func(a *Account, e []ParityConfig) {
			e[2].Edge.WAFRateLimit, e[2].Edge.WAFLoginRateLimit = 0, 2000000001
		}, "dev", "Edge.WAFLoginRateLimit", true, "100–2000000000"},
		{"login limit above the rate limit", func(a *Account, e []ParityConfig) { e[2].Edge.WAFLoginRateLimit = e[2].Edge.WAFRateLimit + 1 }, "dev", "Edge.WAFLoginRateLimit", true, "must not exceed WAFRateLimit"},

		// Alarms.
		{"one evaluation period", func(a *Account, e []ParityConfig) { e[2].Alarms.EvaluationPeriods = 1 }, "dev", "Alarms.EvaluationPeriods", false, ""},
		{"no evaluation period", func(a *Account, e []ParityConfig) { e[2].Alarms.EvaluationPeriods = 0 }, "dev", "Alarms.EvaluationPeriods", true, "0 periods"},
		{"evaluation over exactly a day", func(a *Account, e []ParityConfig) {
			e[2].Alarms.PeriodSeconds, e[2].Alarms.EvaluationPeriods = 60, 1440
		}, "dev", "Alarms.EvaluationPeriods", false, ""},
		{"evaluation over a day and a minute", func(a *Account, e []ParityConfig) {
			e[2].Alarms.PeriodSeconds, e[2].Alarms.EvaluationPeriods = 60, 1441
		}, "dev", "Alarms.EvaluationPeriods", true, "1441 periods"},
		{"period 60 s", func(a *Account, e []ParityConfig) { e[2].Alarms.PeriodSeconds = 60 }, "dev", "Alarms.PeriodSeconds", false, ""},
		{"period 90 s", func(a *Account, e []ParityConfig) { e[2].Alarms.PeriodSeconds = 90 }, "dev", "Alarms.PeriodSeconds", true, "not a multiple of 60"},
		{"percentage 1", func(a *Account, e []ParityConfig) { e[2].Alarms.GPUMemoryPercent = 1 }, "dev", "Alarms.GPUMemoryPercent", false, ""},
		{"percentage 100", func(a *Account, e []ParityConfig) { e[2].Alarms.GPUMemoryPercent = 100 }, "dev", "Alarms.GPUMemoryPercent", false, ""},
		{"percentage 0", func(a *Account, e []ParityConfig) { e[2].Alarms.CacheCPUPercent = 0 }, "dev", "Alarms.CacheCPUPercent", true, "not a percentage"},
		{"percentage 101", func(a *Account, e []ParityConfig) { e[2].Alarms.ServerCPUPercent = 101 }, "dev", "Alarms.ServerCPUPercent", true, "not a percentage"},
		{"count threshold 1", func(a *Account, e []ParityConfig) { e[2].Alarms.ELB5xxCount = 1 }, "dev", "Alarms.ELB5xxCount", false, ""},
		{"count threshold 0", func(a *Account, e []ParityConfig) { e[2].Alarms.Target5xxCount = 0 }, "dev", "Alarms.Target5xxCount", true, "positive threshold"},
		{"latency threshold 0", func(a *Account, e []ParityConfig) { e[2].Alarms.TargetResponseP95Seconds = 0 }, "dev", "Alarms.TargetResponseP95Seconds", true, "no latency threshold"},
		{"latency threshold above 0", func(a *Account, e []ParityConfig) { e[2].Alarms.TargetResponseP95Seconds = 0.5 }, "dev", "Alarms.TargetResponseP95Seconds", false, ""},
		{"free-storage alarm just below the size", func(a *Account, e []ParityConfig) {
			e[2].Alarms.DatabaseFreeStorageGB = e[2].Scale.DatabaseAllocatedGB - 1
		}, "dev", "Alarms.DatabaseFreeStorageGB", false, ""},
		{"free-storage alarm at the size", func(a *Account, e []ParityConfig) {
			e[2].Alarms.DatabaseFreeStorageGB = e[2].Scale.DatabaseAllocatedGB
		}, "dev", "Alarms.DatabaseFreeStorageGB", true, "before the"},
		{"free-storage alarm, no size (reported on the size)", func(a *Account, e []ParityConfig) {
			e[2].Scale.DatabaseAllocatedGB, e[2].Alarms.DatabaseFreeStorageGB = 0, 5
		}, "dev", "Alarms.DatabaseFreeStorageGB", false, ""},

		// Backup plan.
		{"completion window one hour after start", func(a *Account, e []ParityConfig) {
			e[0].Backup.StartWindowMinutes, e[0].Backup.CompletionWindowMinutes = 60, 120
		}, "production", "Backup.CompletionWindowMinutes", false, ""},
		{"completion window 59 minutes after start", func(a *Account, e []ParityConfig) {
			e[0].Backup.StartWindowMinutes, e[0].Backup.CompletionWindowMinutes = 60, 119
		}, "production", "Backup.CompletionWindowMinutes", true, "by at least 60"},
		{"start window 59 minutes", func(a *Account, e []ParityConfig) { e[0].Backup.StartWindowMinutes = 59 }, "production", "Backup.StartWindowMinutes", true, "at least 60"},

		// Models: the quantization host.
		{"quantizer disk at its minimum", func(a *Account, e []ParityConfig) { e[2].Models.Quantizer.RootVolumeGB = MinQuantizerRootGB }, "dev", "Models.Quantizer.RootVolumeGB", false, ""},
		{"quantizer disk at EBS's maximum", func(a *Account, e []ParityConfig) { e[2].Models.Quantizer.RootVolumeGB = 16384 }, "dev", "Models.Quantizer.RootVolumeGB", false, ""},
		{"quantizer disk over EBS's maximum", func(a *Account, e []ParityConfig) { e[2].Models.Quantizer.RootVolumeGB = 16385 }, "dev", "Models.Quantizer.RootVolumeGB", true, "cannot hold"},
		{"quantizer on an unsupported GPU says why", func(a *Account, e []ParityConfig) {
			e[2].Models.Quantizer = ServerSettings{InstanceType: "g4ad.2xlarge", RootVolumeGB: 150}
		}, "dev", "Models.Quantizer.InstanceType", true, "AMD Radeon Pro V520 (8 GB): AMD GPU: the model server needs CUDA; the quantization host"},
		{"quantizer on a small GPU says its size", func(a *Account, e []ParityConfig) {
			e[2].Models.Quantizer = ServerSettings{InstanceType: "g3.4xlarge", RootVolumeGB: 150}
		}, "dev", "Models.Quantizer.InstanceType", true, "GB); the quantization host"},

		// Scale.
		{"four AZs", func(a *Account, e []ParityConfig) { e[1].Scale.AZCount = 4 }, "staging", "Scale.AZCount", false, ""},
		{"five AZs", func(a *Account, e []ParityConfig) { e[1].Scale.AZCount = 5 }, "staging", "Scale.AZCount", true, "between 2 and 4"},
		{"database at 20 GB", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseAllocatedGB = 20 }, "dev", "Scale.DatabaseAllocatedGB", false, ""},
		{"database at 19 GB", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseAllocatedGB = 19 }, "dev", "Scale.DatabaseAllocatedGB", true, "starts at 20 GB"},
		{"autoscaling ceiling at the size", func(a *Account, e []ParityConfig) {
			e[2].Scale.DatabaseMaxAllocatedGB = e[2].Scale.DatabaseAllocatedGB
		}, "dev", "Scale.DatabaseMaxAllocatedGB", false, ""},
		{"autoscaling ceiling at RDS's maximum", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseMaxAllocatedGB = 65536 }, "dev", "Scale.DatabaseMaxAllocatedGB", false, ""},
		{"autoscaling ceiling over RDS's maximum", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseMaxAllocatedGB = 65537 }, "dev", "Scale.DatabaseMaxAllocatedGB", true, "and 65536"},
		{"database backups 1 day", func(a *Account, e []ParityConfig) { e[2].Scale.BackupRetentionDays = 1 }, "dev", "Scale.BackupRetentionDays", false, ""},
		{"database backups 35 days", func(a *Account, e []ParityConfig) { e[2].Scale.BackupRetentionDays = 35 }, "dev", "Scale.BackupRetentionDays", false, ""},
		{"database backups 0 days", func(a *Account, e []ParityConfig) { e[2].Scale.BackupRetentionDays = 0 }, "dev", "Scale.BackupRetentionDays", true, "1 to 35"},
		{"database backups 36 days", func(a *Account, e []ParityConfig) { e[2].Scale.BackupRetentionDays = 36 }, "dev", "Scale.BackupRetentionDays", true, "1 to 35"},
		{"production backups 14 days", func(a *Account, e []ParityConfig) { e[0].Scale.BackupRetentionDays = 14 }, "production", "Scale.BackupRetentionDays", false, ""},
		{"production backups 13 days", func(a *Account, e []ParityConfig) { e[0].Scale.BackupRetentionDays = 13 }, "production", "Scale.BackupRetentionDays", true, "at least 14 days"},
		{"five read replicas (refused for the managed password)", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseReplicas = 5 }, "dev", "Scale.DatabaseReplicas", true, "cannot create a read replica"},
		{"negative read replicas", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseReplicas = -1 }, "dev", "Scale.DatabaseReplicas", true, "0 to 5"},
		{"no read replica", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseReplicas = 0 }, "dev", "Scale.DatabaseReplicas", false, ""},
		{"six Redis nodes", func(a *Account, e []ParityConfig) { e[2].Scale.CacheNodes = 6 }, "dev", "Scale.CacheNodes", false, ""},
		{"seven Redis nodes", func(a *Account, e []ParityConfig) { e[2].Scale.CacheNodes = 7 }, "dev", "Scale.CacheNodes", true, "1 to 6"},
		{"no Redis node", func(a *Account, e []ParityConfig) { e[2].Scale.CacheNodes = 0 }, "dev", "Scale.CacheNodes", true, "1 to 6"},
		{"cache failover with one replica", func(a *Account, e []ParityConfig) { e[2].Scale.CacheNodes, e[2].Scale.CacheMultiAZ = 2, true }, "dev", "Scale.CacheMultiAZ", false, ""},
		{"Redis snapshots 0 days", func(a *Account, e []ParityConfig) { e[2].Scale.CacheSnapshotRetentionDays = 0 }, "dev", "Scale.CacheSnapshotRetentionDays", false, ""},
		{"Redis snapshots 35 days", func(a *Account, e []ParityConfig) { e[2].Scale.CacheSnapshotRetentionDays = 35 }, "dev", "Scale.CacheSnapshotRetentionDays", false, ""},
		{"Redis snapshots 36 days", func(a *Account, e []ParityConfig) { e[2].Scale.CacheSnapshotRetentionDays = 36 }, "dev", "Scale.CacheSnapshotRetentionDays", true, "0 to 35"},
		{"Redis snapshots -1 days", func(a *Account, e []ParityConfig) { e[2].Scale.CacheSnapshotRetentionDays = -1 }, "dev", "Scale.CacheSnapshotRetentionDays", true, "0 to 35"},
		{"backup bucket 30 days", func(a *Account, e []ParityConfig) { e[2].Scale.BackupBucketRetentionDays = 30 }, "dev", "Scale.BackupBucketRetentionDays", false, ""},
		{"backup bucket 29 days", func(a *Account, e []ParityConfig) { e[2].Scale.BackupBucketRetentionDays = 29 }, "dev", "Scale.BackupBucketRetentionDays", true, "at least 30 days"},
		{"model volume 50 GB", func(a *Account, e []ParityConfig) { e[2].Scale.ModelVolumeGB = 50 }, "dev", "Scale.ModelVolumeGB", false, ""},
		{"model volume 16384 GB", func(a *Account, e []ParityConfig) { e[2].Scale.ModelVolumeGB = 16384 }, "dev", "Scale.ModelVolumeGB", false, ""},
		{"model volume 49 GB", func(a *Account, e []ParityConfig) { e[2].Scale.ModelVolumeGB = 49 }, "dev", "Scale.ModelVolumeGB", true, "between 50 and 16384"},
		{"model volume 16385 GB", func(a *Account, e []ParityConfig) { e[2].Scale.ModelVolumeGB = 16385 }, "dev", "Scale.ModelVolumeGB", true, "between 50 and 16384"},
		{"recovery points 7 days", func(a *Account, e []ParityConfig) { e[1].Scale.RecoveryPointRetentionDays = 7 }, "staging", "Scale.RecoveryPointRetentionDays", false, ""},
		{"recovery points 365 days", func(a *Account, e []ParityConfig) { e[1].Scale.RecoveryPointRetentionDays = 365 }, "staging", "Scale.RecoveryPointRetentionDays", false, ""},
		{"recovery points 6 days", func(a *Account, e []ParityConfig) { e[1].Scale.RecoveryPointRetentionDays = 6 }, "staging", "Scale.RecoveryPointRetentionDays", true, "7 to 365"},
		{"recovery points 366 days", func(a *Account, e []ParityConfig) { e[1].Scale.RecoveryPointRetentionDays = 366 }, "staging", "Scale.RecoveryPointRetentionDays", true, "7 to 365"},
		{"production recovery points 35 days", func(a *Account, e []ParityConfig) { e[0].Scale.RecoveryPointRetentionDays = 35 }, "production", "Scale.RecoveryPointRetentionDays", false, ""},
		{"production recovery points 34 days", func(a *Account, e []ParityConfig) { e[0].Scale.RecoveryPointRetentionDays = 34 }, "production", "Scale.RecoveryPointRetentionDays", true, "at least 35 days"},
		{"budget of 1 USD", func(a *Account, e []ParityConfig) { e[2].Scale.MonthlyBudgetUSD = 1 }, "dev", "Scale.MonthlyBudgetUSD", false, ""},
		{"patch window 2 hours", func(a *Account, e []ParityConfig) { e[0].Scale.PatchWindowHours = 2 }, "production", "Scale.PatchWindowHours", false, ""},
		{"patch window 24 hours", func(a *Account, e []ParityConfig) { e[0].Scale.PatchWindowHours = 24 }, "production", "Scale.PatchWindowHours", false, ""},
		{"patch window 25 hours", func(a *Account, e []ParityConfig) { e[0].Scale.PatchWindowHours = 25 }, "production", "Scale.PatchWindowHours", true, "2 to 24"},

		// Off hours (dev: 07:00 to 20:00, every tier) and the patch window
		// (dev: "TUE 10:00" for 2 hours) inside them.
		{"patch window starting at start", func(a *Account, e []ParityConfig) { setPatchWindow(a, &e[2], "TUE 07:00") }, "dev", "Identity.PatchWindow", false, ""},
		{"patch window starting a minute early", func(a *Account, e []ParityConfig) { setPatchWindow(a, &e[2], "TUE 06:59") }, "dev", "Identity.PatchWindow", true, "outside the servers' working hours"},
		{"patch window ending at stop", func(a *Account, e []ParityConfig) { setPatchWindow(a, &e[2], "TUE 18:00") }, "dev", "Identity.PatchWindow", false, ""},
		{"patch window ending a minute late", func(a *Account, e []ParityConfig) { setPatchWindow(a, &e[2], "TUE 18:01") }, "dev", "Identity.PatchWindow", true, "outside the servers' working hours"},
		{"patch window on a Friday", func(a *Account, e []ParityConfig) { setPatchWindow(a, &e[2], "FRI 10:00") }, "dev", "Identity.PatchWindow", false, ""},
		{"patch window on a Saturday", func(a *Account, e []ParityConfig) { setPatchWindow(a, &e[2], "SAT 10:00") }, "dev", "Identity.PatchWindow", true, "Monday–Friday"},
		{"patch window at half past, start at half past", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Start = "07:30"
			setPatchWindow(a, &e[2], "TUE 07:30")
		}, "dev", "Identity.PatchWindow", false, ""},
		{"patch window a quarter before a half-past start", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Start = "07:30"
			setPatchWindow(a, &e[2], "TUE 07:15")
		}, "dev", "Identity.PatchWindow", true, "outside the servers' working hours"},
		{"patch window ending at a half-past stop", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Stop = "19:30"
			setPatchWindow(a, &e[2], "TUE 17:30")
		}, "dev", "Identity.PatchWindow", false, ""},
		{"servers from midnight", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Start, e[2].Scale.OffHours.Stop = "00:00", "10:00"
			setPatchWindow(a, &e[2], "TUE 09:00")
		}, "dev", "Identity.PatchWindow", true, "outside the servers' working hours"},
		// One mistake, one problem: an invalid schedule or window length is
		// reported on its own field, not again as a misplaced patch window.
		{"off hours backwards: no patch-window problem", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Start, e[2].Scale.OffHours.Stop = "21:00", "20:00"
			setPatchWindow(a, &e[2], "TUE 19:00")
		}, "dev", "Identity.PatchWindow", false, ""},
		{"no patch hours: no patch-window problem", func(a *Account, e []ParityConfig) {
			e[2].Scale.PatchWindowHours = 0
			setPatchWindow(a, &e[2], "TUE 06:00")
		}, "dev", "Identity.PatchWindow", false, ""},
		{"off hours stop at 23:00", func(a *Account, e []ParityConfig) { e[2].Scale.OffHours.Stop = "23:00" }, "dev", "Scale.OffHours", false, ""},
		{"off hours stop at 23:01", func(a *Account, e []ParityConfig) { e[2].Scale.OffHours.Stop = "23:01" }, "dev", "Scale.OffHours", true, "after 23:00"},
		{"off hours start a minute before stop", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Start, e[2].Scale.OffHours.Stop = "09:59", "10:00"
			e[2].Scale.PatchWindowHours = 0
		}, "dev", "Scale.OffHours", false, ""},
		{"off hours start at stop", func(a *Account, e []ParityConfig) {
			e[2].Scale.OffHours.Start, e[2].Scale.OffHours.Stop = "10:00", "10:00"
		}, "dev", "Scale.OffHours", true, "not before stop"},
		{"off hours tier listed twice", func(a *Account, e []ParityConfig) { e[1].Scale.OffHours.Tiers = []string{TierAI, TierAI} }, "staging", "Scale.OffHours.Tiers[1]", true, "listed twice"},

		// The tier table.
		{"route priority 1", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Priority = 1 }, "dev", "Tiers[odoo].Route.Priority", false, ""},
		{"route priority 50000", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Priority = 50000 }, "dev", "Tiers[odoo].Route.Priority", false, ""},
		{"route priority 0", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Priority = 0 }, "dev", "Tiers[odoo].Route.Priority", true, "outside 1–50000"},
		{"route priority 50001", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Priority = 50001 }, "dev", "Tiers[odoo].Route.Priority", true, "outside 1–50000"},
		{"20 servers of a tier", func(a *Account, e []ParityConfig) { e[2].Scale.Servers[TierN8nWorker] = 20 }, "dev", "Scale.Servers[n8n-worker]", false, ""},
		{"fixed count 20", func(a *Account, e []ParityConfig) { e[2].Tiers[1].FixedCount = 20 }, "dev", "Tiers[n8n-main].FixedCount", false, ""},
		{"fixed count 0 (Scale.Servers decides)", func(a *Account, e []ParityConfig) { e[2].Tiers[2].FixedCount = 0 }, "dev", "Tiers[n8n-worker].FixedCount", false, ""},
		{"fixed count -1", func(a *Account, e []ParityConfig) { e[2].Tiers[1].FixedCount = -1 }, "dev", "Tiers[n8n-main].FixedCount", true, "a tier runs 1 to 20"},
		{"tier port 65535", func(a *Account, e []ParityConfig) { e[2].Tiers[3].Port = 65535 }, "dev", "Tiers[ai].Port", false, ""},
		{"tier port 0 (nothing reaches it)", func(a *Account, e []ParityConfig) { e[2].Tiers[2].Port = 0 }, "dev", "Tiers[n8n-worker].Port", false, ""},
		{"tier port 65536", func(a *Account, e []ParityConfig) { e[2].Tiers[3].Port = 65536 }, "dev", "Tiers[ai].Port", true, "not a TCP port"},
		{"tier port -1", func(a *Account, e []ParityConfig) { e[2].Tiers[3].Port = -1 }, "dev", "Tiers[ai].Port", true, "not a TCP port"},
		{"egress port 1", func(a *Account, e []ParityConfig) { e[2].Tiers[0].EgressPorts = []int{1} }, "dev", "Tiers[odoo].EgressPorts", false, ""},
		{"egress port 65535", func(a *Account, e []ParityConfig) { e[2].Tiers[0].EgressPorts = []int{65535} }, "dev", "Tiers[odoo].EgressPorts", false, ""},
		{"egress port 0", func(a *Account, e []ParityConfig) { e[2].Tiers[0].EgressPorts = []int{0} }, "dev", "Tiers[odoo].EgressPorts", true, "0"},
		{"egress port 65536", func(a *Account, e []ParityConfig) { e[2].Tiers[0].EgressPorts = []int{65536} }, "dev", "Tiers[odoo].EgressPorts", true, "65536"},
		{"egress to SSH", func(a *Account, e []ParityConfig) { e[2].Tiers[0].EgressPorts = []int{22} }, "dev", "Tiers[odoo].EgressPorts", true, "other than 22"},
		{"route port 1", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Port = 1 }, "dev", "Tiers[odoo].Route", false, ""},
		{"route port 65535", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Port = 65535 }, "dev", "Tiers[odoo].Route", false, ""},
		{"route port 0", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Port = 0 }, "dev", "Tiers[odoo].Route", true, "port 0"},
		{"route port 65536", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.Port = 65536 }, "dev", "Tiers[odoo].Route", true, "port 65536"},
		{"WAF exception on a one-character path", func(a *Account, e []ParityConfig) {
			e[2].Tiers[0].Route.WAFExceptions[0].PathPrefixes = []string{"/w"}
		}, "dev", "Tiers[odoo].Route.WAFExceptions[0].PathPrefixes", false, ""},
		{"WAF exception on every path", func(a *Account, e []ParityConfig) {
			e[2].Tiers[0].Route.WAFExceptions[0].PathPrefixes = []string{"/"}
		}, "dev", "Tiers[odoo].Route.WAFExceptions[0].PathPrefixes", true, `"/" excepts every path`},
		{"login path of one character", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.LoginPaths = []string{"/l"} }, "dev", "Tiers[odoo].Route.LoginPaths", false, ""},
		{"login path of the root", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.LoginPaths = []string{"/"} }, "dev", "Tiers[odoo].Route.LoginPaths", true, `"/" is not a path`},
		{"login path without a slash", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.LoginPaths = []string{"web/login"} }, "dev", "Tiers[odoo].Route.LoginPaths", true, "is not a path"},
		{"root volume at the tier's minimum", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierOdoo] = ServerSettings{InstanceType: "m6i.large", RootVolumeGB: max(e[2].Tiers[0].MinRootVolumeGB, 20)}
		}, "dev", "Servers[odoo].RootVolumeGB", false, ""},
		{"root volume under the tier's minimum", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierOdoo] = ServerSettings{InstanceType: "m6i.large", RootVolumeGB: max(e[2].Tiers[0].MinRootVolumeGB, 20) - 1}
		}, "dev", "Servers[odoo].RootVolumeGB", true, "too small"},
		{"root volume at EBS's maximum", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierOdoo] = ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 16384}
		}, "dev", "Servers[odoo].RootVolumeGB", false, ""},
		{"root volume over EBS's maximum", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierOdoo] = ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 16385}
		}, "dev", "Servers[odoo].RootVolumeGB", true, "16385 GB"},
		{"health path without a slash", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Route.HealthPath = "health" }, "dev", "Tiers[odoo].Route", true, `health path "health"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := DefaultAccount()
			envs := All(a)
			c.set(&a, envs)
			got := problemsOf(t, a, envs, c.env, c.field)
			switch {
			case !c.refuse && len(got) > 0:
				t.Fatalf("%s %s refused: %v", c.env, c.field, Errors(got))
			case c.refuse && len(got) == 0:
				t.Fatalf("%s %s accepted; all problems: %v", c.env, c.field, Validate(a, envs))
			case c.refuse && !strings.Contains(got[0].Error(), c.want):
				t.Fatalf("%s %s: want %q in %v", c.env, c.field, c.want, Errors(got))
			}
		})
	}
}

// TestValidDomain: a DNS name has two labels at least and 253 characters
// at most.
func TestValidDomain(t *testing.T) {
	label := strings.Repeat("a", 63)
	longest := label + "." + label + "." + label + "." + strings.Repeat("b", 61) // 253
	cases := []struct {
		domain string
		ok     bool
	}{
		{"example.com", true},
		{"influencegen.example.com", true},
		{longest, true},
		{longest + "b", false},
		{"com", false},
		{"Example.com", false},
		{"example..com", false},
	}
	for _, c := range cases {
		if got := ValidDomain(c.domain); got != c.ok {
			t.Errorf("ValidDomain(%q) (%d characters) = %v, want %v", c.domain, len(c.domain), got, c.ok)
		}
	}
}

// TestStructureRules: the tier table's rules that are not limits, each on a
// case it refuses.
func TestStructureRules(t *testing.T) {
	cases := []struct {
		name  string
		set   func(e []ParityConfig)
		field string
		want  string
	}{
		{"a tier reaching itself", func(e []ParityConfig) { e[2].Tiers[0].Reaches = append(e[2].Tiers[0].Reaches, TierOdoo) }, "Tiers[odoo].Reaches", "a tier reaching itself"},
		{"a database name with capitals", func(e []ParityConfig) { e[2].Tiers[0].Database = "Odoo" }, "Tiers[odoo].Database", "not a PostgreSQL database name"},
		{"a database password among the secrets", func(e []ParityConfig) { e[2].Tiers[0].Secrets = []string{DatabaseSecret("odoo")} }, "Tiers[odoo].Secrets", "is a database password"},
		{"a secret without a service", func(e []ParityConfig) { e[2].Tiers[0].Secrets = []string{"token"} }, "Tiers[odoo].Secrets", "not a generated secret name"},
		{"two routes, one host", func(e []ParityConfig) { e[2].Tiers[1].Route.Subdomain = e[2].Tiers[0].Route.Subdomain }, "Tiers[n8n-main].Route.Subdomain", "also the host of odoo"},
		{"a host that is not a DNS label", func(e []ParityConfig) { e[2].Tiers[0].Route.Subdomain = "odoo_web" }, "Tiers[odoo].Route.Subdomain", "not a DNS label"},
		{"a zone that is not a zone ID", func(e []ParityConfig) { e[2].Network.ZoneIDs[0] = "eu-central-1a" }, "Network.ZoneIDs[0]", "not an availability zone ID"},
		{"a GPU tier on an AMD GPU", func(e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "g4ad.xlarge", RootVolumeGB: 200}
		}, "Servers[ai].InstanceType", "AMD GPU: the model server needs CUDA"},
		{"a GPU tier on 12 GB", func(e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "p2.xlarge", RootVolumeGB: 200}
		}, "Servers[ai].InstanceType", "has a 12 GB NVIDIA K80"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := DefaultAccount()
			envs := All(a)
			c.set(envs)
			got := problemsOf(t, a, envs, "dev", c.field)
			if len(got) == 0 || !strings.Contains(got[0].Error(), c.want) {
				t.Fatalf("dev %s: want a problem containing %q, got %v; all: %v", c.field, c.want, Errors(got), Validate(a, envs))
			}
		})
	}
	a := DefaultAccount()
	envs := All(a)
	envs[2].Servers[TierAI] = ServerSettings{InstanceType: "g6e.xlarge", RootVolumeGB: 200}
	if got := problemsOf(t, a, envs, "dev", "Servers[ai].InstanceType"); len(got) > 0 {
		t.Fatalf("a 48 GB L40S refused: %v", Errors(got))
	}
}

// TestSecretNames: a tier reads its own secrets, its database's password
// and, when it reaches the cache, the AUTH token; the environment creates
// each once, sorted, the AUTH token always.
func TestSecretNames(t *testing.T) {
	web := Tier{Name: "web", Secrets: []string{"web/key"}, Database: "web", Reaches: []string{ReachDatabase, ReachCache}}
	job := Tier{Name: "job", Secrets: []string{"web/key"}, Reaches: []string{ReachDatabase}}
	bare := Tier{Name: "bare"}
	for _, c := range []struct {
		tier Tier
		want []string
	}{
		{web, []string{"web/key", "web/db-password", CacheAuthSecret}},
		{job, []string{"web/key"}},
		{bare, nil},
	} {
		if got := c.tier.SecretNames(); !slices.Equal(got, c.want) {
			t.Errorf("%s.SecretNames() = %v, want %v", c.tier.Name, got, c.want)
		}
	}
	if got, want := SecretNames([]Tier{web, job, bare}), []string{CacheAuthSecret, "web/db-password", "web/key"}; !slices.Equal(got, want) {
		t.Errorf("SecretNames = %v, want %v", got, want)
	}
}

// TestOffHoursTiers: the listed tiers, or every tier with the GPU tiers
// first and the others in reverse table order; none without a schedule.
func TestOffHoursTiers(t *testing.T) {
	c := ParityConfig{Tiers: []Tier{{Name: "a"}, {Name: "gpu", GPU: true}, {Name: "b"}, {Name: "c"}}}
	if got := c.OffHoursTiers(); got != nil {
		t.Errorf("no schedule: %v, want none", got)
	}
	c.Scale.OffHours = &OffHours{Start: "07:00", Stop: "20:00"}
	if got, want := c.OffHoursTiers(), []string{"gpu", "c", "b", "a"}; !slices.Equal(got, want) {
		t.Errorf("every tier: %v, want %v", got, want)
	}
	c.Scale.OffHours.Tiers = []string{"b"}
	if got, want := c.OffHoursTiers(), []string{"b"}; !slices.Equal(got, want) {
		t.Errorf("listed: %v, want %v", got, want)
	}
}

// TestHostname: a route's host is its subdomain under the environment's
// domain.
func TestHostname(t *testing.T) {
	c := Dev(DefaultAccount())
	if got, want := c.Hostname(Route{Subdomain: "odoo"}), "odoo."+c.Identity.Domain; got != want {
		t.Errorf("Hostname = %q, want %q", got, want)
	}
}

// TestAutoRecoverySupported: EBS-only families recover; families with
// instance store (every GPU family here, the "d" variants) do not.
func TestAutoRecoverySupported(t *testing.T) {
	for typ, want := range map[string]bool{"m6i.large": true, "t3.medium": true, "g5.xlarge": false, "m6id.large": false, "m6i": true, "": false} {
		if got := AutoRecoverySupported(typ); got != want {
			t.Errorf("AutoRecoverySupported(%q) = %v, want %v", typ, got, want)
		}
	}
}

// TestStackName: "<name>-stack", the stack cdktf synthesizes.
func TestStackName(t *testing.T) {
	if got := Dev(DefaultAccount()).StackName(); got != "dev-stack" {
		t.Errorf("StackName = %q", got)
	}
}

// TestScaleAttributesNameEveryField: an argument two Scale fields set
// names both.
func TestScaleAttributesNameEveryField(t *testing.T) {
	saved := ScaleKeys
	t.Cleanup(func() { ScaleKeys = saved })
	ScaleKeys = []ScaleKey{
		{Field: "A", Attributes: []string{"aws_instance.instance_type"}},
		{Field: "B", Attributes: []string{"aws_instance.instance_type", "aws_db_instance.multi_az"}},
	}
	got := ScaleAttributes()
	if got["aws_instance.instance_type"] != "A, B" || got["aws_db_instance.multi_az"] != "B" || len(got) != 2 {
		t.Errorf("ScaleAttributes = %v", got)
	}
}
