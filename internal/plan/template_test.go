package plan

import (
	"slices"
	"testing"
)

// TestSplitTemplate: literal text and the expressions of "${…}" sequences,
// braces inside an expression balanced; an unclosed sequence is text.
func TestSplitTemplate(t *testing.T) {
	cases := []struct {
		in   string
		want []segment
	}{
		{"", nil},
		{"plain", []segment{{text: "plain"}}},
		{"${a.b}", []segment{{text: "a.b", expr: true}}},
		{"x${a}y", []segment{{text: "x"}, {text: "a", expr: true}, {text: "y"}}},
		{"${a}${b}", []segment{{text: "a", expr: true}, {text: "b", expr: true}}},
		{`${jsonencode({"k" = {"n" = 1}})}!`, []segment{{text: `jsonencode({"k" = {"n" = 1}})`, expr: true}, {text: "!"}}},
		{"x${unclosed", []segment{{text: "x${unclosed"}}},
		{"a}b", []segment{{text: "a}b"}}},
	}
	for _, c := range cases {
		if got := splitTemplate(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitTemplate(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// TestReferences: every managed resource an expression names, once, sorted;
// not data sources, not plain strings.
func TestReferences(t *testing.T) {
	v := map[string]any{
		"a":          "${aws_s3_bucket.logs_1.arn}/${aws_kms_key.k.arn}",
		"b":          []any{"${join(\",\", [aws_subnet.s_1.id, aws_subnet.s_2.id, aws_subnet.s_1.id])}"},
		"c":          "${data.aws_partition.p.partition}",
		"depends_on": []any{"aws_iam_role.r"},
		"//":         map[string]any{"x": "${aws_sns_topic.meta.arn}"},
	}
	want := []string{"aws_kms_key.k", "aws_s3_bucket.logs_1", "aws_subnet.s_1", "aws_subnet.s_2"}
	if got := references(v); !slices.Equal(got, want) {
		t.Errorf("references = %v, want %v", got, want)
	}
}

// TestVersionLess: versions compare by major, then minor, then patch, as
// numbers.
func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"1.9.0", "1.10.0", true},
		{"1.10.0", "1.9.0", false},
		{"5.100.0", "5.100.0", false},
		{"5.99.9", "5.100.0", true},
		{"2.0.0", "1.99.99", false},
	} {
		if got := versionLess(c.a, c.b); got != c.want {
			t.Errorf("versionLess(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
