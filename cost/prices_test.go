package cost

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestShippedTable: cost/prices.json parses, is in USD, says how it was
// made, names an offer file of its own region for every section, and has
// the eu-west-1 prices the backup copy needs.
func TestShippedTable(t *testing.T) {
	tab := shipped(t)
	if !strings.Contains(tab.Provenance, "not fetched") {
		t.Errorf("the provenance does not say the prices were not fetched: %q", tab.Provenance)
	}
	for _, region := range []string{account.PrimaryRegion, account.DevRegion, account.BackupCopyRegion} {
		if _, ok := tab.Regions[region]; !ok {
			t.Errorf("no prices for %s", region)
		}
	}
	for region, sections := range tab.Regions {
		for name, s := range sections {
			for key, it := range s.Items {
				if it.Basis == Estimated && it.Note == "" {
					t.Errorf("%s %s %s: an estimated price says how it was estimated", region, name, key)
				}
			}
		}
	}
}

// TestParseRejects: every malformed table is refused, naming the field.
func TestParseRejects(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{
			"as_of": "2025-01", "currency": "USD", "provenance": "test",
			"regions": map[string]any{"eu-central-1": map[string]any{
				"kms": map[string]any{
					"source": OfferFile("awskms", "eu-central-1"),
					"items":  map[string]any{"key": map[string]any{"usd": 1.0, "unit": "key-month", "basis": Recalled}},
				},
			}},
		}
	}
	item := func(m map[string]any) map[string]any {
		return m["regions"].(map[string]any)["eu-central-1"].(map[string]any)["kms"].(map[string]any)["items"].(map[string]any)["key"].(map[string]any)
	}
	section := func(m map[string]any) map[string]any {
		return m["regions"].(map[string]any)["eu-central-1"].(map[string]any)["kms"].(map[string]any)
	}
	cases := []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"no date", func(m map[string]any) { m["as_of"] = "" }, "as_of"},
		{"a vague date", func(m map[string]any) { m["as_of"] = "early 2025" }, "as_of"},
		{"euros", func(m map[string]any) { m["currency"] = "EUR" }, "currency"},
		{"no provenance", func(m map[string]any) { m["provenance"] = " " }, "provenance"},
		{"unknown field", func(m map[string]any) { m["prices"] = 1 }, "unknown field"},
		{"no source", func(m map[string]any) { delete(section(m), "source") }, "kms.source"},
		{"a price page, not an offer file", func(m map[string]any) { section(m)["source"] = "https://aws.amazon.com/kms/pricing/" }, "kms.source"},
		{"another region's offer file", func(m map[string]any) { section(m)["source"] = OfferFile("awskms", "us-east-1") }, "offer file of us-east-1"},
		{"zero price", func(m map[string]any) { item(m)["usd"] = 0.0 }, "items.key.usd"},
		{"negative price", func(m map[string]any) { item(m)["usd"] = -1.0 }, "items.key.usd"},
		{"no unit", func(m map[string]any) { delete(item(m), "unit") }, "items.key.unit"},
		{"no basis", func(m map[string]any) { delete(item(m), "basis") }, "items.key.basis"},
		{"fetched without SKU", func(m map[string]any) { item(m)["basis"] = Fetched }, "sku"},
		{"no items", func(m map[string]any) { section(m)["items"] = map[string]any{} }, "no items"},
		{"no regions", func(m map[string]any) { m["regions"] = map[string]any{} }, "no region"},
	}
	b, _ := json.Marshal(good())
	if _, err := Parse(b); err != nil {
		t.Fatalf("the good table is refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.mutate(m)
			b, _ := json.Marshal(m)
			_, err := Parse(b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// TestQueriesCoverTheShippedTable: scripts/update-prices.sh asks for
// exactly what the environments need, each query narrowed to one product
// by region, key and the section's attributes, and every answer lands
// where the estimate reads it.
func TestQueriesCoverTheShippedTable(t *testing.T) {
	tab := shipped(t)
	qs := Queries(envs)
	got := map[string]bool{}
	for _, q := range qs {
		got[q.Region+" "+q.Section+" "+q.Key] = true
		if _, err := tab.Price(q.Region, q.Section, q.Key); err != nil {
			t.Errorf("query %s %s %s: the shipped table lacks it: %v", q.Region, q.Section, q.Key, err)
		}
		// scripts/update_prices.py reads the first two filters as the
		// region and the item's own attribute, the rest as the section's.
		if len(q.Filters) < 3 || q.Filters[0].Field != "regionCode" || q.Filters[1].Value != q.Key {
			t.Errorf("query %+v: filters are not regionCode, the key's attribute, then the section's", q)
		}
		fields := map[string]string{}
		for _, f := range q.Filters {
			fields[f.Field] = f.Value
		}
		if fields["regionCode"] != q.Region || fields["productFamily"] == "" || q.APIUnit == "" || q.Unit == "" {
			t.Errorf("query %+v is not narrowed to one region and product family", q)
		}
		if want := tab.Regions[q.Region][q.Section].Source; q.Source != want {
			t.Errorf("query %s %s %s: source %s, the table's is %s", q.Region, q.Section, q.Key, q.Source, want)
		}
		if it, _ := tab.Price(q.Region, q.Section, q.Key); it.Unit != q.Unit {
			t.Errorf("query %s %s: unit %q, the table's is %q", q.Section, q.Key, q.Unit, it.Unit)
		}
	}
	for _, want := range []string{
		"eu-central-1 ec2_instances g5.xlarge", "eu-central-1 ec2_instances g6.xlarge", "eu-central-1 ec2_instances m6i.xlarge",
		"eu-central-1 ec2_instances t3.medium", "eu-central-1 rds_instances db.r6g.large", "eu-central-1 rds_instances db.t4g.medium",
		"eu-central-1 elasticache_nodes cache.m6g.large", "eu-central-1 elasticache_nodes cache.t4g.small", "eu-central-1 ebs gp3",
	} {
		if !got[want] {
			t.Errorf("no query for %s", want)
		}
	}
	if len(got) != len(qs) {
		t.Errorf("%d queries, %d distinct", len(qs), len(got))
	}
	// A type only dev uses is asked for in dev's region.
	d := find(t, "dev")
	d.Region = "eu-west-1"
	found := false
	for _, q := range Queries(append(envs[:2:2], d)) {
		found = found || q.Region == "eu-west-1" && q.Key == "g6.xlarge"
	}
	if !found {
		t.Error("dev moved to eu-west-1: no query for its g6.xlarge there")
	}
}
