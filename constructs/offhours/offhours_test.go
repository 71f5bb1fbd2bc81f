package offhours

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// TestBatches: every name once, in order; no batch over the name count or
// the input size; the first batch is the whole list when it fits (the
// schedules keep their names).
func TestBatches(t *testing.T) {
	name := func(i int) string { return fmt.Sprintf("influencegen-dev-tier-%03d-system-check", i) }
	for _, c := range []struct {
		n, max, bytes, want int
	}{
		{0, 100, 8000, 0},
		{40, 100, 8000, 1},
		{100, 100, 8000, 1},
		{101, 100, 8000, 2},
		{562, 100, 8000, 6},
		{150, 100, 4000, 2}, // 150 × 41 bytes: the size decides
		{150, 100, 2000, 4},
	} {
		var names []string
		for i := range c.n {
			names = append(names, name(i))
		}
		got := batches(names, c.max, c.bytes)
		if len(got) != c.want {
			t.Errorf("%d names (max %d, %d bytes): %d batches, want %d", c.n, c.max, c.bytes, len(got), c.want)
		}
		var all []string
		for _, b := range got {
			j, _ := json.Marshal(b)
			if len(b) > c.max || len(j) > c.bytes+2 || len(b) == 0 {
				t.Errorf("batch of %d names, %d bytes over the limits (%d, %d)", len(b), len(j), c.max, c.bytes)
			}
			all = append(all, b...)
		}
		if !slices.Equal(all, names) {
			t.Errorf("%d names: batches lose or reorder names", c.n)
		}
	}
}
