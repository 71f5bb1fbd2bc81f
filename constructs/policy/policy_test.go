package policy

import (
	"strings"
	"testing"

	_ "github.com/influencegen/infrastructure/internal/golden" // -update is a known flag
)

func TestMerge(t *testing.T) {
	got := Merge([]Statement{
		Allow("ReadSecrets", []string{"secretsmanager:GetSecretValue"}, []string{"a"}),
		Allow("Other", []string{"s3:GetObject"}, []string{"x"}),
		Allow("ReadSecrets", []string{"secretsmanager:GetSecretValue"}, []string{"b", "a"}),
	})
	if len(got) != 2 || strings.Join(got[0].Resources, ",") != "a,b" || got[1].Sid != "Other" {
		t.Fatalf("Merge = %+v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("statements with one Sid and different actions were merged")
		}
	}()
	Merge([]Statement{
		Allow("S", []string{"s3:GetObject"}, []string{"a"}),
		Allow("S", []string{"s3:PutObject"}, []string{"b"}),
	})
}
