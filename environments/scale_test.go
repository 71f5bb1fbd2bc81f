package environments

import (
	"strings"
	"testing"
)

// TestScaleKeys: the list names every Scale field once, and the check that
// Validate runs rejects a list that forgets one, repeats one, names a
// field that does not exist or an argument without its resource type.
func TestScaleKeys(t *testing.T) {
	if p := scaleKeyProblems(); len(p) != 0 {
		t.Fatalf("ScaleKeys: %v", p)
	}
	orig := ScaleKeys
	defer func() { ScaleKeys = orig }()
	cases := []struct {
		name   string
		keys   func() []ScaleKey
		expect string
	}{
		{"a field forgotten", func() []ScaleKey { return orig[1:] }, "Scale.AZCount is listed 0 times"},
		{"a field twice", func() []ScaleKey { return append(append([]ScaleKey{}, orig...), orig[0]) }, "Scale.AZCount is listed 2 times"},
		{"no such field", func() []ScaleKey {
			return append(append([]ScaleKey{}, orig...), ScaleKey{Field: "Workers", Kind: Count})
		}, `"Workers", which is not a Scale field`},
		{"argument without type", func() []ScaleKey {
			k := append([]ScaleKey{}, orig...)
			k[len(k)-1] = ScaleKey{Field: "ModelVolumeGB", Kind: Size, Attributes: []string{"size"}}
			return k
		}, `"size" is not <resource type>.<argument>`},
		{"a size that sets nothing", func() []ScaleKey {
			k := append([]ScaleKey{}, orig...)
			k[len(k)-1] = ScaleKey{Field: "ModelVolumeGB", Kind: Size}
			return k
		}, "must name the arguments it sets or the constructs it adds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ScaleKeys = c.keys()
			err := Validate(DefaultAccount(), All(DefaultAccount()))
			if err == nil || !strings.Contains(err.Error(), c.expect) || !strings.Contains(err.Error(), "environments.ScaleKeys") {
				t.Errorf("Validate = %v, want a problem naming environments.ScaleKeys and %q", err, c.expect)
			}
		})
	}
}
