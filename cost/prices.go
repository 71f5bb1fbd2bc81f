package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/environments"
)

// shippedPrices is cost/prices.json, the table reviewed with the code.
//
//go:embed prices.json
var shippedPrices []byte

// PricesFile is where the shipped table lives in the repository.
const PricesFile = "cost/prices.json"

// Table is the price table: on-demand list prices by region, section and
// item, each with where it comes from.
type Table struct {
	// AsOf is the date (YYYY-MM or YYYY-MM-DD) of the pricing the table
	// reflects; a section refreshed later carries its own.
	AsOf string `json:"as_of"`
	// Currency is "USD", the Price List's currency.
	Currency string `json:"currency"`
	// Provenance says how the numbers got here (transcribed or fetched).
	Provenance string `json:"provenance"`
	// Regions maps a region code to its sections by name ("ec2_instances",
	// "ebs", …).
	Regions map[string]map[string]Section `json:"regions"`
}

// Section is the prices of one product group of one AWS Price List offer
// file (one service in one region).
type Section struct {
	// Source is the offer file the prices come from:
	// https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/<region>/index.json.
	Source string `json:"source"`
	// Attributes are the product attributes every item of the section
	// shares (each item's own follow). Default: none.
	Attributes string `json:"attributes,omitempty"`
	// AsOf overrides Table.AsOf for a section refreshed on its own
	// (scripts/update-prices.sh sets it). Default: Table.AsOf.
	AsOf string `json:"as_of,omitempty"`
	// Items are the prices by key: an instance type, class or node type,
	// or a name such as "gp3" or "hour".
	Items map[string]Item `json:"items"`
}

// Item is one on-demand price.
type Item struct {
	// USD is the price of one Unit, in US dollars.
	USD float64 `json:"usd"`
	// Unit is what USD buys: "hour", "GB-month", "key-month" …
	Unit string `json:"unit"`
	// Basis says how the number was obtained: see the Basis constants.
	Basis string `json:"basis"`
	// Attributes select the product in the offer file (with the section's).
	// Default: the section's only.
	Attributes string `json:"attributes,omitempty"`
	// SKU and EffectiveDate are the Price List's product SKU and the
	// on-demand term's effectiveDate, for fetched prices.
	SKU           string `json:"sku,omitempty"`
	EffectiveDate string `json:"effective_date,omitempty"`
	// Description is the Price List's own description of a fetched price.
	Description string `json:"description,omitempty"`
	// Note says anything else a reviewer should know. Default: "".
	Note string `json:"note,omitempty"`
}

// How a price was obtained (Item.Basis).
const (
	// Recalled prices were transcribed by hand from AWS's published price
	// pages as remembered, without access to AWS: check them.
	Recalled = "recalled"
	// Estimated prices were derived from another region's price with the
	// usual regional ratio: check them first.
	Estimated = "estimated"
	// Fetched prices come from the AWS Price List API
	// (scripts/update-prices.sh), with their SKU.
	Fetched = "price-list-api"
)

// Shipped returns the table in cost/prices.json.
func Shipped() (*Table, error) {
	t, err := Parse(shippedPrices)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PricesFile, err)
	}
	return t, nil
}

var (
	asOfRE   = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$`)
	sourceRE = regexp.MustCompile(`^https://pricing\.us-east-1\.amazonaws\.com/offers/v1\.0/aws/[A-Za-z0-9]+/current/([a-z0-9-]+)/index\.json$`)
)

// Parse reads and checks a price table: unknown fields, a missing source,
// unit or basis, a price that is not positive, or a source for another
// region are errors, each naming the item.
func Parse(b []byte) (*Table, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var t Table
	if err := dec.Decode(&t); err != nil {
		return nil, err
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !asOfRE.MatchString(t.AsOf) {
		bad("as_of %q: write the date of the pricing as YYYY-MM or YYYY-MM-DD", t.AsOf)
	}
	if t.Currency != "USD" {
		bad("currency %q: the Price List and this table are in USD", t.Currency)
	}
	if strings.TrimSpace(t.Provenance) == "" {
		bad("provenance: say how the prices were obtained")
	}
	if len(t.Regions) == 0 {
		bad("regions: no region")
	}
	for _, region := range sortedKeys(t.Regions) {
		for _, name := range sortedKeys(t.Regions[region]) {
			s := t.Regions[region][name]
			where := "regions." + region + "." + name
			if m := sourceRE.FindStringSubmatch(s.Source); m == nil {
				bad("%s.source %q: name the offer file, https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/%s/index.json", where, s.Source, region)
			} else if m[1] != region {
				bad("%s.source is the offer file of %s, not %s", where, m[1], region)
			}
			if s.AsOf != "" && !asOfRE.MatchString(s.AsOf) {
				bad("%s.as_of %q: write YYYY-MM or YYYY-MM-DD", where, s.AsOf)
			}
			if len(s.Items) == 0 {
				bad("%s: no items", where)
			}
			for _, key := range sortedKeys(s.Items) {
				it := s.Items[key]
				at := where + ".items." + key
				if !(it.USD > 0) {
					bad("%s.usd %v: a price is a positive number of dollars (leave out what is free)", at, it.USD)
				}
				if it.Unit == "" {
					bad("%s.unit: say what the price buys (hour, GB-month …)", at)
				}
				switch it.Basis {
				case Recalled, Estimated:
				case Fetched:
					if it.SKU == "" {
						bad("%s: a %s price names its sku", at, Fetched)
					}
				default:
					bad("%s.basis %q: one of %s, %s, %s", at, it.Basis, Recalled, Estimated, Fetched)
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid price table:\n  %s", strings.Join(problems, "\n  "))
	}
	return &t, nil
}

// MissingPriceError is a price the estimate needs and the table lacks.
type MissingPriceError struct {
	Region, Section, Key string
}

func (e *MissingPriceError) Error() string {
	what := map[string]string{
		"ec2_instances":     "EC2 instance type",
		"rds_instances":     "RDS instance class",
		"elasticache_nodes": "ElastiCache node type",
	}[e.Section]
	if what == "" {
		what = e.Section + " item"
	}
	return fmt.Sprintf("no price for %s %q in %s: add regions.%s.%s.items[%q] to %s, or run scripts/update-prices.sh (it fetches every instance type, class and node type the environments use)",
		what, e.Key, e.Region, e.Region, e.Section, e.Key, PricesFile)
}

// Price returns one item, or a *MissingPriceError.
func (t *Table) Price(region, section, key string) (Item, error) {
	it, ok := t.Regions[region][section].Items[key]
	if !ok {
		return Item{}, &MissingPriceError{Region: region, Section: section, Key: key}
	}
	return it, nil
}

// SectionAsOf is the date of a section's prices.
func (t *Table) SectionAsOf(region, section string) string {
	if s := t.Regions[region][section].AsOf; s != "" {
		return s
	}
	return t.AsOf
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Filter is one TERM_MATCH filter of a Price List GetProducts call.
type Filter struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Query is how scripts/update-prices.sh asks the Price List API for one
// item: `aws pricing get-products --service-code ServiceCode --filters
// Type=TERM_MATCH,Field=…,Value=…` must answer exactly one product, whose
// on-demand price is per APIUnit.
type Query struct {
	Region      string   `json:"region"`
	Section     string   `json:"section"`
	Key         string   `json:"key"`
	ServiceCode string   `json:"service_code"`
	Filters     []Filter `json:"filters"`
	// APIUnit is the price dimension's unit in the Price List ("Hrs",
	// "GB-Mo"); Unit is the table's.
	APIUnit string `json:"api_unit"`
	Unit    string `json:"unit"`
	// Source is the section's offer file.
	Source string `json:"source"`
}

// fetchable are the sections scripts/update-prices.sh refreshes: the ones
// an environment change touches (instance types, classes, node types) and
// gp3. Everything else in the table is kept as it is.
var fetchable = map[string]struct {
	offer, keyField, apiUnit, unit string
	filters                        []Filter
}{
	// On-demand Linux, shared tenancy, no pre-installed software, not a
	// capacity reservation (capacitystatus "Used"): the price of a running
	// instance.
	"ec2_instances": {"AmazonEC2", "instanceType", "Hrs", "hour", []Filter{
		{"productFamily", "Compute Instance"}, {"operatingSystem", "Linux"}, {"tenancy", "Shared"},
		{"preInstalledSw", "NA"}, {"capacitystatus", "Used"}, {"licenseModel", "No License required"},
	}},
	// One Single-AZ PostgreSQL instance; Multi-AZ is billed as two.
	"rds_instances": {"AmazonRDS", "instanceType", "Hrs", "hour", []Filter{
		{"productFamily", "Database Instance"}, {"databaseEngine", "PostgreSQL"}, {"deploymentOption", "Single-AZ"},
	}},
	"elasticache_nodes": {"AmazonElastiCache", "instanceType", "Hrs", "hour", []Filter{
		{"productFamily", "Cache Instance"}, {"cacheEngine", "Redis"},
	}},
	"ebs": {"AmazonEC2", "volumeApiName", "GB-Mo", "GB-month", []Filter{
		{"productFamily", "Storage"},
	}},
}

// OfferFile is the Price List bulk offer file of a service in a region.
func OfferFile(offer, region string) string {
	return fmt.Sprintf("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/%s/current/%s/index.json", offer, region)
}

// Queries lists what scripts/update-prices.sh fetches for envs: every
// instance type, database class and cache node type they use, and gp3, in
// each region they run in, sorted.
func Queries(envs []environments.ParityConfig) []Query {
	type need struct{ region, section, key string }
	seen := map[need]bool{}
	var needs []need
	add := func(region, section, key string) {
		n := need{region, section, key}
		if !seen[n] {
			seen[n] = true
			needs = append(needs, n)
		}
	}
	for _, e := range envs {
		for _, t := range e.Tiers {
			add(e.Region, "ec2_instances", e.ServerSettings(t).InstanceType)
		}
		add(e.Region, "ec2_instances", e.Models.Quantizer.InstanceType)
		add(e.Region, "rds_instances", e.Database.InstanceClass)
		add(e.Region, "elasticache_nodes", e.Cache.NodeType)
		add(e.Region, "ebs", "gp3")
	}
	slices.SortFunc(needs, func(a, b need) int {
		return strings.Compare(a.region+"\x00"+a.section+"\x00"+a.key, b.region+"\x00"+b.section+"\x00"+b.key)
	})
	out := make([]Query, 0, len(needs))
	for _, n := range needs {
		f := fetchable[n.section]
		filters := append([]Filter{{"regionCode", n.region}, {f.keyField, n.key}}, f.filters...)
		out = append(out, Query{
			Region: n.region, Section: n.section, Key: n.key, ServiceCode: f.offer, Filters: filters,
			APIUnit: f.apiUnit, Unit: f.unit, Source: OfferFile(f.offer, n.region),
		})
	}
	return out
}
