package environments

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Account holds every value that is specific to the AWS account and the
// organisation running the platform. It is the one place to edit before the
// first deploy: the defaults below are working examples, so `make synth` and
// the tests run on a machine with no AWS account, but nothing here is a real
// account.
//
// Before the first `cdktf deploy`, change at least ID, Domain, StateBucket and
// AlertEmails (see docs/runbooks/bootstrap.md).
type Account struct {
	// ID is the 12-digit AWS account ID. Every provider and backend is
	// guarded with allowed_account_ids = [ID], so a deploy with credentials
	// for any other account fails before it changes anything. Empty disables
	// the guard (not recommended). Default: the example 123456789012.
	ID string

	// Project is the lower-case name prefixed to every resource name and
	// used as the Project tag. Default: "influencegen".
	Project string

	// Repository is the GitHub repository ("owner/name") that holds this
	// code. It is written to the Repository tag. Default:
	// "influencegen/infrastructure".
	Repository string

	// Domain is the DNS zone the environments live under: production serves
	// odoo.<Domain> and n8n.<Domain>, other environments
	// odoo.<env>.<Domain>. Default: "influencegen.example.com".
	Domain string

	// PrimaryRegion is the AWS region of production and, for parity, of
	// staging (data residency: the platform's data stays in this region).
	// Default: "eu-central-1".
	PrimaryRegion string

	// PrimaryZoneIDs are the availability zones of PrimaryRegion that
	// production and staging use, by zone ID (e.g. "euc1-az1": zone IDs
	// name the same zone in every account, zone names do not), in order;
	// each environment takes the first Scale.AZCount. Check that your GPU
	// instance type is offered in them (`aws ec2
	// describe-instance-type-offerings --location-type availability-zone-id`;
	// the deploy script's preflight does). Default: eu-central-1's
	// euc1-az1, euc1-az2, euc1-az3.
	PrimaryZoneIDs []string

	// DevRegion is the AWS region of the dev environment. Default: the
	// primary region.
	DevRegion string

	// DevZoneIDs are the zones of DevRegion that dev uses, as
	// PrimaryZoneIDs. Default: the same as PrimaryZoneIDs.
	DevZoneIDs []string

	// StateBucket is the S3 bucket holding every stack's Terraform state. It
	// is created by the state-bootstrap stack and must be globally unique.
	// Default: "influencegen-tfstate-123456789012".
	StateBucket string

	// StateRegion is the region of StateBucket. Default: the primary region.
	StateRegion string

	// StateKMSAlias is the alias (without the "alias/" prefix) of the KMS key
	// that encrypts the state bucket and every state object. Default:
	// "influencegen-tfstate".
	StateKMSAlias string

	// StateBootstrapped says the state-bootstrap stack has been deployed and
	// its own state migrated into StateBucket (scripts/bootstrap_state.sh
	// does both). While false, the state-bootstrap stack keeps its state in a
	// local file; once true, it uses the bucket like every other stack.
	// Default: false.
	StateBootstrapped bool

	// PeeredCIDRs are networks the environments may ever be peered or routed
	// with (a shared-services VPC, an office VPN). No environment VPC may
	// overlap them. Default: none.
	PeeredCIDRs []string

	// AlertEmails maps an environment name to the addresses its alarms and
	// budget notify (each alarm subscription must be confirmed from the
	// e-mail AWS sends). Only notification targets may differ between
	// staging and production. Default: one example address per environment.
	AlertEmails map[string][]string

	// CostCenter and Owner are cost-allocation tags on every resource
	// (provider default_tags), so the bill splits by them once they are
	// activated in the Billing console (docs/runbooks/cost.md). Defaults:
	// "platform" and "platform-team".
	CostCenter, Owner string

	// BackupCopyRegion is where AWS Backup copies the recovery points of
	// every environment whose Scale.BackupCopy is set (production): a
	// second region in the same data-residency jurisdiction as
	// PrimaryRegion (Validate checks the pair, see Jurisdiction). Default:
	// "eu-west-1", the EU partner of eu-central-1.
	BackupCopyRegion string

	// Timezone is the IANA time zone the patch windows and off-hours
	// schedules are written in (daylight saving is followed). Default:
	// "Europe/Berlin".
	Timezone string

	// PatchWindows maps an environment name to its weekly patch window's
	// start, in Timezone: "<DAY> <HH:MM>" with DAY one of MON … SUN. The
	// window lasts Scale.PatchWindowHours. Production and staging must
	// differ (a bad patch shows in staging first), and a window must fall
	// while an environment's servers run (Scale.OffHours). Default:
	// production "SUN 03:00", staging "WED 10:00", dev "TUE 10:00".
	PatchWindows map[string]string

	// ModelSources maps an environment to the environment it promotes its
	// model versions from (scripts/models.sh promote FROM TO copies a
	// version with its manifest, as scripts/push_images.sh promotes an
	// image digest). Each pair gets one role in shared-stack that may read
	// the source's versions and write the target's, and nothing else.
	// Production must promote from a parity environment. An environment
	// that is no key here makes its own versions on its quantization host.
	// Default: staging from dev, production from staging.
	ModelSources map[string]string
}

// DefaultAccount returns the example account that this repository ships
// with. Edit the values here (and only here) for a real deployment.
func DefaultAccount() Account {
	return Account{
		ID:             "123456789012",
		Project:        "influencegen",
		Repository:     "influencegen/infrastructure",
		Domain:         "influencegen.example.com",
		PrimaryRegion:  "eu-central-1",
		PrimaryZoneIDs: []string{"euc1-az1", "euc1-az2", "euc1-az3"},
		DevRegion:      "eu-central-1",
		DevZoneIDs:     []string{"euc1-az1", "euc1-az2", "euc1-az3"},
		StateBucket:    "influencegen-tfstate-123456789012",
		StateRegion:    "eu-central-1",
		StateKMSAlias:  "influencegen-tfstate",
		AlertEmails: map[string][]string{
			"production": {"oncall@influencegen.example.com"},
			"staging":    {"platform@influencegen.example.com"},
			"dev":        {"platform@influencegen.example.com"},
		},
		CostCenter:       "platform",
		Owner:            "platform-team",
		BackupCopyRegion: "eu-west-1",
		Timezone:         "Europe/Berlin",
		PatchWindows: map[string]string{
			"production": "SUN 03:00",
			"staging":    "WED 10:00",
			"dev":        "TUE 10:00",
		},
		ModelSources: map[string]string{"staging": "dev", "production": "staging"},
	}
}

// StateKey is the S3 object key of an environment's Terraform state.
func StateKey(env string) string { return env + "/terraform.tfstate" }

// BootstrapStateKey is where the state-bootstrap stack keeps its own state
// once it has been migrated into the bucket.
const BootstrapStateKey = "bootstrap/terraform.tfstate"

var (
	projectRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,20}$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	bucketRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	repoRE      = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	labelRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	emailRE     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	tagValueRE  = regexp.MustCompile(`^[\p{L}\p{N} _.:/=+@-]{1,256}$`)
)

// check checks the account's own fields, and the backup copy region when
// any environment copies its backups.
func (a Account) check(c checker, envs []ParityConfig) {
	if a.ID != "" && !accountIDRE.MatchString(a.ID) {
		c.add("Account.ID", fmt.Sprintf("%q is not a 12-digit AWS account ID", a.ID), "set it to your account ID, e.g. 123456789012, in environments/account.go")
	}
	if !projectRE.MatchString(a.Project) {
		c.add("Account.Project", fmt.Sprintf("%q is not a lower-case name of 2–21 characters", a.Project), `use letters, digits and "-", e.g. "influencegen"`)
	}
	if !repoRE.MatchString(a.Repository) {
		c.add("Account.Repository", fmt.Sprintf("%q is not a GitHub owner/name", a.Repository), `set it to "owner/name"`)
	}
	if !ValidDomain(a.Domain) {
		c.add("Account.Domain", fmt.Sprintf("%q is not a DNS domain", a.Domain), `use a lower-case domain such as "influencegen.example.com"`)
	}
	for _, f := range []struct{ field, region string }{
		{"Account.PrimaryRegion", a.PrimaryRegion},
		{"Account.DevRegion", a.DevRegion},
		{"Account.StateRegion", a.StateRegion},
	} {
		if !IsRegion(f.region) {
			c.add(f.field, fmt.Sprintf("%q is not an AWS region", f.region), "use a region code such as eu-central-1 or us-east-1")
		}
	}
	if !bucketRE.MatchString(a.StateBucket) || strings.Contains(a.StateBucket, "..") {
		c.add("Account.StateBucket", fmt.Sprintf("%q is not a valid S3 bucket name", a.StateBucket), "use 3–63 lower-case letters, digits, '.' and '-'")
	}
	if !labelRE.MatchString(a.StateKMSAlias) {
		c.add("Account.StateKMSAlias", fmt.Sprintf("%q is not a valid alias name", a.StateKMSAlias), `use lower-case letters, digits and "-", without the "alias/" prefix`)
	}
	for i, p := range a.PeeredCIDRs {
		if _, err := netip.ParsePrefix(p); err != nil {
			c.add(fmt.Sprintf("Account.PeeredCIDRs[%d]", i), fmt.Sprintf("%q is not a CIDR block", p), `write it as "10.99.0.0/16"`)
		}
	}
	for _, e := range slices.Sorted(maps.Keys(a.AlertEmails)) {
		for i, addr := range a.AlertEmails[e] {
			if !emailRE.MatchString(addr) {
				c.add(fmt.Sprintf("Account.AlertEmails[%q][%d]", e, i), fmt.Sprintf("%q is not an e-mail address", addr), "use name@domain")
			}
		}
	}
	for _, f := range []struct{ field, value string }{{"Account.CostCenter", a.CostCenter}, {"Account.Owner", a.Owner}} {
		if !tagValueRE.MatchString(f.value) {
			c.add(f.field, fmt.Sprintf("%q is not a cost-allocation tag value", f.value), "use 1–256 letters, digits, spaces and _ . : / = + - @, e.g. \"platform\"")
		}
	}
	if _, err := time.LoadLocation(a.Timezone); err != nil || a.Timezone == "" || a.Timezone == "Local" {
		c.add("Account.Timezone", fmt.Sprintf("%q is not an IANA time zone", a.Timezone), `use e.g. "Europe/Berlin" or "UTC"`)
	}
	if slices.ContainsFunc(envs, func(e ParityConfig) bool { return e.Scale.BackupCopy }) {
		a.checkBackupCopyRegion(c)
	}
}

// checkBackupCopyRegion: the copy leaves the primary region but not its
// jurisdiction.
func (a Account) checkBackupCopyRegion(c checker) {
	r := a.BackupCopyRegion
	switch j := Jurisdiction(a.PrimaryRegion); {
	case !IsRegion(r):
		c.add("Account.BackupCopyRegion", fmt.Sprintf("%q is not an AWS region", r), "name the region backups are copied to, e.g. eu-west-1")
	case r == a.PrimaryRegion:
		c.add("Account.BackupCopyRegion", fmt.Sprintf("%s is the primary region: a copy there does not survive the region", r), "choose another region of the same jurisdiction")
	case j == "":
		c.add("Account.BackupCopyRegion", fmt.Sprintf("%s has no other region in its jurisdiction: a copy to %s would move the data out of it", a.PrimaryRegion, r),
			"set Scale.BackupCopy to false, or get legal sign-off and extend jurisdictions in environments/schedule.go")
	case Jurisdiction(r) != j:
		var partners []string
		for _, p := range jurisdictions[j] {
			if p != a.PrimaryRegion {
				partners = append(partners, p)
			}
		}
		c.add("Account.BackupCopyRegion", fmt.Sprintf("%s is outside %s's jurisdiction (%s): the copy would move the data out of it", r, a.PrimaryRegion, j),
			"choose one of "+strings.Join(partners, ", "))
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
