package watch

import "testing"

// TestCount: one environment without replicas or GPUs, and what each
// further thing adds (alarms, billed metrics).
func TestCount(t *testing.T) {
	base := Inventory{RoutedTiers: 2, CacheNodes: 2, Servers: 4}
	a, m := Count(base)
	if want := 3 + 2*2 + 4 + 3*2 + 3*4 + 1; a != want || m != want {
		t.Fatalf("base: %d alarms, %d metrics; want %d, %d", a, m, want, want)
	}
	for _, c := range []struct {
		name          string
		change        func(*Inventory)
		alarms, extra int
	}{
		{"a routed tier", func(i *Inventory) { i.RoutedTiers++ }, 2, 0},
		{"a replica", func(i *Inventory) { i.DatabaseReplicas++ }, 5, 0},
		{"a cache node", func(i *Inventory) { i.CacheNodes++ }, 3, 0},
		{"a server", func(i *Inventory) { i.Servers++ }, 3, 0},
		{"a GPU server", func(i *Inventory) { i.Servers++; i.GPUServers++ }, 5, 1},
	} {
		inv := base
		c.change(&inv)
		a2, m2 := Count(inv)
		if a2-a != c.alarms || m2-m != c.alarms+c.extra {
			t.Errorf("%s adds %d alarms and %d metrics, want %d and %d", c.name, a2-a, m2-m, c.alarms, c.alarms+c.extra)
		}
	}
}
