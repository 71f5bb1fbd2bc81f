package stack

import (
	"strings"
	"testing"

	_ "github.com/influencegen/infrastructure/internal/golden" // -update is a known flag
)

// TestProtectionsTellTheTruth: termination protection is reported as not
// blocking a destroy (the provider lifts it first); a bucket without
// force_destroy is reported as blocking; windows and snapshots outlive.
func TestProtectionsTellTheTruth(t *testing.T) {
	s := Stack{"resource": map[string]any{
		"aws_instance":              map[string]any{"web": map[string]any{"disable_api_termination": true}},
		"aws_s3_bucket":             map[string]any{"kept": map[string]any{}, "emptied": map[string]any{"force_destroy": true}},
		"aws_db_instance":           map[string]any{"db": map[string]any{"deletion_protection": true, "skip_final_snapshot": false}},
		"aws_secretsmanager_secret": map[string]any{"s": map[string]any{"recovery_window_in_days": float64(7)}, "gone": map[string]any{"recovery_window_in_days": float64(0)}},
		"aws_efs_file_system":       map[string]any{"fs": map[string]any{"lifecycle": map[string]any{"prevent_destroy": true}}},
	}}
	got := strings.Join(Protections(s), "\n")
	for _, want := range []string{
		"DOES NOT BLOCK aws_instance.web: termination protection",
		"BLOCKS aws_s3_bucket.kept: no force_destroy",
		"BLOCKS aws_db_instance.db: deletion protection",
		"OUTLIVES aws_db_instance.db: takes a final snapshot",
		"OUTLIVES aws_secretsmanager_secret.s: scheduled for deletion for 7 days",
		"BLOCKS aws_efs_file_system.fs: prevent_destroy",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	for _, not := range []string{"BLOCKS aws_instance.web", "aws_s3_bucket.emptied", "aws_secretsmanager_secret.gone"} {
		if strings.Contains(got, not) {
			t.Errorf("reports %q:\n%s", not, got)
		}
	}
}

// TestResourceProtectionsOfPlanValues: a resource's values in a plan (no
// lifecycle block) give the same protections as its arguments.
func TestResourceProtectionsOfPlanValues(t *testing.T) {
	got := ResourceProtections("aws_db_instance", map[string]any{"deletion_protection": true, "skip_final_snapshot": false, "delete_automated_backups": true})
	want := []Protection{{Blocks, "deletion protection: AWS refuses to delete it until it is turned off and applied"}, {Outlives, "takes a final snapshot (kept, and billed, until deleted by hand)"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := ResourceProtections("aws_vpc", map[string]any{"cidr_block": "10.0.0.0/16"}); len(got) != 0 {
		t.Errorf("a VPC: %v", got)
	}
}
