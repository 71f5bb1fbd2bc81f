package environments

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// The time zone database is compiled in, so Account.Timezone is
	// checked the same way on every machine.
	_ "time/tzdata"
)

// weekdays are the days AWS cron expressions and patch windows name, in
// order from Monday.
var weekdays = []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}

var (
	clockRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	weeklyRE = regexp.MustCompile(`^(MON|TUE|WED|THU|FRI|SAT|SUN) ([01][0-9]|2[0-3]):([0-5][0-9])$`)
	cronRE   = regexp.MustCompile(`^cron\([0-9*?,/ -]+( [0-9*?,/A-Z#L -]+)*\)$`)
)

// ParseClock reads "HH:MM".
func ParseClock(s string) (hour, minute int, ok bool) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	hour, _ = strconv.Atoi(m[1])
	minute, _ = strconv.Atoi(m[2])
	return hour, minute, true
}

// ParseWeeklyTime reads "<DAY> <HH:MM>", e.g. "SUN 03:00".
func ParseWeeklyTime(s string) (day string, hour, minute int, ok bool) {
	m := weeklyRE.FindStringSubmatch(s)
	if m == nil {
		return "", 0, 0, false
	}
	hour, _ = strconv.Atoi(m[2])
	minute, _ = strconv.Atoi(m[3])
	return m[1], hour, minute, true
}

// jurisdictions group the regions whose data stays under one legal regime
// (the EU's member states; the United Kingdom, Switzerland, each country
// otherwise): a backup copy may leave the primary region but not its
// jurisdiction. A region not listed has no partner region.
var jurisdictions = map[string][]string{
	"EU":     {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"},
	"US":     {"us-east-1", "us-east-2", "us-west-1", "us-west-2"},
	"US-GOV": {"us-gov-east-1", "us-gov-west-1"},
	"CN":     {"cn-north-1", "cn-northwest-1"},
	"CA":     {"ca-central-1", "ca-west-1"},
	"JP":     {"ap-northeast-1", "ap-northeast-3"},
	"AU":     {"ap-southeast-2", "ap-southeast-4"},
	"IN":     {"ap-south-1", "ap-south-2"},
}

// Jurisdiction returns the data-residency jurisdiction of a region ("EU",
// "US" …), or "" for a region alone in its country (eu-west-2, London;
// eu-central-2, Zurich; sa-east-1 …).
func Jurisdiction(region string) string {
	for j, regions := range jurisdictions {
		if slices.Contains(regions, region) {
			return j
		}
	}
	return ""
}

// operations checks the Account fields the day-2 operations use.
func (v *validator) operations(a Account, envs []ParityConfig) {
	const env = "account"
	for _, f := range []namedValue{{"Account.CostCenter", a.CostCenter}, {"Account.Owner", a.Owner}} {
		if !tagValueRE.MatchString(f.value) {
			v.add(env, f.field, fmt.Sprintf("%q is not a cost-allocation tag value", f.value), "use 1–256 letters, digits, spaces and _ . : / = + - @, e.g. \"platform\"")
		}
	}
	if _, err := time.LoadLocation(a.Timezone); err != nil || a.Timezone == "" || a.Timezone == "Local" {
		v.add(env, "Account.Timezone", fmt.Sprintf("%q is not an IANA time zone", a.Timezone), `use e.g. "Europe/Berlin" or "UTC"`)
	}
	copies := false
	for _, e := range envs {
		copies = copies || e.Scale.BackupCopy
	}
	if !copies {
		return
	}
	r := a.BackupCopyRegion
	switch j := Jurisdiction(a.PrimaryRegion); {
	case !IsRegion(r):
		v.add(env, "Account.BackupCopyRegion", fmt.Sprintf("%q is not an AWS region", r), "name the region backups are copied to, e.g. eu-west-1")
	case r == a.PrimaryRegion:
		v.add(env, "Account.BackupCopyRegion", fmt.Sprintf("%s is the primary region: a copy there does not survive the region", r), "choose another region of the same jurisdiction")
	case j == "":
		v.add(env, "Account.BackupCopyRegion", fmt.Sprintf("%s has no other region in its jurisdiction: a copy to %s would move the data out of it", a.PrimaryRegion, r),
			"set Scale.BackupCopy to false, or get legal sign-off and extend jurisdictions in environments/schedule.go")
	case Jurisdiction(r) != j:
		var partners []string
		for _, p := range jurisdictions[j] {
			if p != a.PrimaryRegion {
				partners = append(partners, p)
			}
		}
		v.add(env, "Account.BackupCopyRegion", fmt.Sprintf("%s is outside %s's jurisdiction (%s): the copy would move the data out of it", r, a.PrimaryRegion, j),
			"choose one of "+strings.Join(partners, ", "))
	}
}

// Vault lock limits (constructs/backup). Every argument of
// aws_backup_vault_lock_configuration forces a new lock (terraform-provider-aws,
// internal/service/backup/vault_lock_configuration.go: all ForceNew), and a
// compliance-mode lock can no longer be removed once its grace period has
// passed: so the limits are constants that no retention change touches.
const (
	// VaultLockGraceDays is how long after the first apply the lock can
	// still be removed (compliance mode starts then).
	VaultLockGraceDays = 3
	// VaultLockMinRetentionDays is the shortest retention a recovery point
	// in a locked vault may have: no one can shorten a recovery point's
	// life below it, or delete it earlier.
	VaultLockMinRetentionDays = 7
	// VaultLockMaxRetentionDays is the longest; Validate keeps
	// Scale.RecoveryPointRetentionDays within both.
	VaultLockMaxRetentionDays = 365
)

var tagValueRE = regexp.MustCompile(`^[\p{L}\p{N} _.:/=+@-]{1,256}$`)

// dayTwo checks an environment's backups, budget, off-hours and patch
// window.
func (v *validator) dayTwo(a Account, e ParityConfig) {
	n, s := e.Identity.Name, e.Scale
	ref := e.Kind == Reference
	if s.RecoveryPointRetentionDays < VaultLockMinRetentionDays || s.RecoveryPointRetentionDays > VaultLockMaxRetentionDays {
		v.add(n, "Scale.RecoveryPointRetentionDays",
			fmt.Sprintf("%d days: keep recovery points %d to %d days (the vault lock's ceiling)", s.RecoveryPointRetentionDays, VaultLockMinRetentionDays, VaultLockMaxRetentionDays),
			fmt.Sprintf("set it between %d and %d", VaultLockMinRetentionDays, VaultLockMaxRetentionDays))
	}
	if ref {
		if s.RecoveryPointRetentionDays < 35 {
			v.add(n, "Scale.RecoveryPointRetentionDays", fmt.Sprintf("%d days: production keeps recovery points at least 35 days", s.RecoveryPointRetentionDays), "set it to 35 or more")
		}
		if !s.BackupCopy {
			v.add(n, "Scale.BackupCopy", "production backups stay in one region", "set Scale.BackupCopy to true (to Account.BackupCopyRegion)")
		}
		if !s.BackupVaultLock {
			v.add(n, "Scale.BackupVaultLock", "production recovery points can be deleted by anyone with the rights", "set Scale.BackupVaultLock to true")
		}
		if s.OffHours != nil {
			v.add(n, "Scale.OffHours", "production servers would be stopped on a schedule", "set Scale.OffHours to nil in Production(); schedule dev and staging only")
		}
	}
	if s.MonthlyBudgetUSD < 1 {
		v.add(n, "Scale.MonthlyBudgetUSD", fmt.Sprintf("%d: every environment has a budget", s.MonthlyBudgetUSD), "set it to the monthly spend you expect, with headroom (`go run . cost`)")
	}
	if s.PatchWindowHours < 2 || s.PatchWindowHours > 24 {
		v.add(n, "Scale.PatchWindowHours", fmt.Sprintf("%d hours: a maintenance window lasts 2 to 24 hours (one hour is kept for the last server's reboot)", s.PatchWindowHours), "set it between 2 and 24")
	}
	day, hour, minute, ok := ParseWeeklyTime(e.Identity.PatchWindow)
	if !ok {
		v.add(n, "Identity.PatchWindow", fmt.Sprintf("%q is not \"<DAY> <HH:MM>\"", e.Identity.PatchWindow), fmt.Sprintf(`set Account.PatchWindows[%q], e.g. "SUN 03:00"`, n))
	} else if want := a.PatchWindows[n]; e.Identity.PatchWindow != want {
		v.add(n, "Identity.PatchWindow", fmt.Sprintf("%q is not Account.PatchWindows[%q] (%q)", e.Identity.PatchWindow, n, want), "set it with NewIdentity")
	}
	if o := s.OffHours; o != nil {
		start, stop := v.offHours(e, o)
		if ok && start >= 0 && s.PatchWindowHours > 0 {
			from := hour*60 + minute
			to := from + s.PatchWindowHours*60
			if slices.Index(weekdays, day) > 4 || from < start || to > stop {
				v.add(n, "Identity.PatchWindow", fmt.Sprintf("%s for %d h falls outside the servers' working hours (Monday–Friday %s–%s): stopped servers are not patched", e.Identity.PatchWindow, s.PatchWindowHours, o.Start, o.Stop),
					fmt.Sprintf("move Account.PatchWindows[%q] into the working hours, or shorten Scale.PatchWindowHours", n))
			}
		}
	}
	b := e.Backup
	if !cronRE.MatchString(b.Schedule) {
		v.add(n, "Backup.Schedule", fmt.Sprintf("%q is not an AWS cron expression", b.Schedule), `write it as "cron(0 4 * * ? *)" (UTC)`)
	}
	if b.StartWindowMinutes < 60 {
		v.add(n, "Backup.StartWindowMinutes", fmt.Sprintf("%d minutes: AWS Backup needs at least 60", b.StartWindowMinutes), "set it to 60 or more")
	}
	if b.CompletionWindowMinutes < b.StartWindowMinutes+60 {
		v.add(n, "Backup.CompletionWindowMinutes", fmt.Sprintf("%d minutes: it must exceed StartWindowMinutes (%d) by at least 60", b.CompletionWindowMinutes, b.StartWindowMinutes), "raise it, e.g. to 480")
	}
}

// offHours checks a schedule and returns its working hours in minutes of
// the day (-1, -1 when they are not valid).
func (v *validator) offHours(e ParityConfig, o *OffHours) (start, stop int) {
	n := e.Identity.Name
	sh, sm, ok1 := ParseClock(o.Start)
	th, tm, ok2 := ParseClock(o.Stop)
	start, stop = -1, -1
	switch {
	case !ok1 || !ok2:
		v.add(n, "Scale.OffHours", fmt.Sprintf("start %q, stop %q: not \"HH:MM\"", o.Start, o.Stop), `write e.g. Start "07:00", Stop "20:00" (Account.Timezone)`)
	case sh*60+sm >= th*60+tm:
		v.add(n, "Scale.OffHours", fmt.Sprintf("start %s is not before stop %s", o.Start, o.Stop), "servers run from Start to Stop on the same day")
	case th*60+tm > 23*60:
		v.add(n, "Scale.OffHours", fmt.Sprintf("stop %s is after 23:00: the stop schedules run up to half an hour after it and must stay on the same day", o.Stop), "stop at 23:00 or earlier")
	default:
		start, stop = sh*60+sm, th*60+tm
	}
	if len(o.Tiers) == 0 {
		v.add(n, "Scale.OffHours.Tiers", "no tiers to stop", "list the tiers to stop, GPU first, or set Scale.OffHours to nil")
	}
	seen := map[string]bool{}
	for i, t := range o.Tiers {
		if _, ok := e.Tier(t); !ok {
			v.add(n, fmt.Sprintf("Scale.OffHours.Tiers[%d]", i), fmt.Sprintf("%q is not a tier", t), "name a tier of the tier table")
		}
		if seen[t] {
			v.add(n, fmt.Sprintf("Scale.OffHours.Tiers[%d]", i), fmt.Sprintf("%q is listed twice", t), "list each tier once")
		}
		seen[t] = true
	}
	return start, stop
}

// patchWindows checks that production and every parity environment patch at
// different times: staging meets a bad patch first.
func (v *validator) patchWindows(envs []ParityConfig) {
	for _, r := range envs {
		if r.Kind != Reference {
			continue
		}
		for _, e := range envs {
			if e.Kind == Parity && e.Identity.PatchWindow == r.Identity.PatchWindow {
				v.add(e.Identity.Name, "Identity.PatchWindow", fmt.Sprintf("%s patches at the same time as %s (%s)", e.Identity.Name, r.Identity.Name, e.Identity.PatchWindow),
					fmt.Sprintf("give Account.PatchWindows[%q] an earlier day, so a bad patch shows there first", e.Identity.Name))
			}
		}
	}
}
