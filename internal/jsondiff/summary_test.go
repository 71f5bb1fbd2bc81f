package jsondiff

import (
	"encoding/json"
	"slices"
	"testing"
)

func stackOf(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSummary: the lines a reviewer reads for each kind of change; an
// unchanged stack gives none.
func TestSummary(t *testing.T) {
	policy := func(actions ...string) string {
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
		return string(b)
	}
	role := func(actions ...string) map[string]any {
		return map[string]any{"policy": policy(actions...), "role": "r"}
	}
	old := map[string]any{
		"terraform": map[string]any{"required_version": ">= 1.10"},
		"resource": map[string]any{
			"aws_iam_role_policy": map[string]any{
				"a": role("kms:Decrypt", "kms:GenerateDataKey"), "b": role("kms:Decrypt", "kms:GenerateDataKey"),
				"c": role("kms:Decrypt", "kms:GenerateDataKey"), "d": role("s3:GetObject"),
			},
			"aws_instance": map[string]any{"web": map[string]any{"instance_type": "m6i.large", "//": "x"}, "old": map[string]any{}},
		},
		"output": map[string]any{"urls": map[string]any{"value": "a"}},
	}
	if got := Summary(old, old); len(got) != 0 {
		t.Errorf("unchanged: %v", got)
	}
	newer := stackOf(t, mustJSON(t, old))
	res := newer["resource"].(map[string]any)
	for _, n := range []string{"a", "b", "c"} {
		res["aws_iam_role_policy"].(map[string]any)[n] = role("kms:Decrypt")
	}
	res["aws_instance"].(map[string]any)["web"].(map[string]any)["instance_type"] = "m6i.xlarge"
	delete(res["aws_instance"].(map[string]any), "old")
	res["aws_instance"].(map[string]any)["new-1"] = map[string]any{}
	newer["terraform"].(map[string]any)["required_version"] = ">= 1.11"
	newer["output"].(map[string]any)["extra"] = map[string]any{"value": 1}
	want := []string{
		"aws_iam_role_policy.policy: 3 resources: lost ALLOW kms:GenerateDataKey",
		"aws_instance: 1 resource added (new-1)",
		"aws_instance: 1 resource removed (old)",
		"aws_instance.instance_type: changed in 1 resource (web)",
		"output.extra: added",
		`terraform.required_version: ">= 1.10" → ">= 1.11"`,
	}
	got := Summary(old, newer)
	if !slices.Equal(got, want) {
		t.Errorf("summary:\n%q\nwant\n%q", got, want)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
