package environments

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

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

// checkSchedules checks that the patch window falls inside the working
// hours of an off-hours schedule: stopped servers are not patched.
func (e ParityConfig) checkSchedules(c checker) {
	o, s := e.Scale.OffHours, e.Scale
	if o == nil {
		return
	}
	start, stop := o.check(c, e)
	day, hour, minute, ok := ParseWeeklyTime(e.Identity.PatchWindow)
	if !ok || start < 0 || s.PatchWindowHours <= 0 {
		return
	}
	from := hour*60 + minute
	to := from + s.PatchWindowHours*60
	if slices.Index(weekdays, day) > 4 || from < start || to > stop {
		c.add("Identity.PatchWindow", fmt.Sprintf("%s for %d h falls outside the servers' working hours (Monday–Friday %s–%s): stopped servers are not patched", e.Identity.PatchWindow, s.PatchWindowHours, o.Start, o.Stop),
			fmt.Sprintf("move Account.PatchWindows[%q] into the working hours, or shorten Scale.PatchWindowHours", e.Identity.Name))
	}
}
