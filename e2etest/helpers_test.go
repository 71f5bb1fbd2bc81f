package e2etest

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// only returns the single resource of a type, failing if there is not
// exactly one.
func only(t *testing.T, s synth.Stack, typ string) map[string]any {
	t.Helper()
	rs := s.Resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%s: %d resources, want 1", typ, len(rs))
	}
	for _, r := range rs {
		return r
	}
	return nil
}

// named returns the resource of a type whose logical name starts with
// prefix (construct path joined by "_").
func named(t *testing.T, s synth.Stack, typ, prefix string) map[string]any {
	t.Helper()
	for name, r := range s.Resources(typ) {
		if strings.HasPrefix(name, prefix+"_") {
			return r
		}
	}
	t.Fatalf("no %s named %s_*; have %v", typ, prefix, keys(s.Resources(typ)))
	return nil
}

// withPrefix returns the resources of a type whose logical name starts with
// prefix.
func withPrefix(s synth.Stack, typ, prefix string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, r := range s.Resources(typ) {
		if strings.HasPrefix(name, prefix) {
			out[name] = r
		}
	}
	return out
}

// ref reports whether v is a Terraform reference to a resource of type typ
// whose logical name starts with prefix, e.g. ref(v, "aws_kms_key", "kms_data").
func ref(v any, typ, prefix string) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "${"+typ+"."+prefix)
}

// logicalName returns the logical name of the resource a reference points to.
var logicalName = synth.ReferencedName

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// ingressTo returns the ingress rules attached to a security group, by
// the logical name of the group.
func ingressTo(s synth.Stack, sgLogical string) []map[string]any {
	var out []map[string]any
	for _, r := range s.Resources("aws_vpc_security_group_ingress_rule") {
		if logicalName(r["security_group_id"]) == sgLogical {
			out = append(out, r)
		}
	}
	return out
}

// sgLogicalName returns the logical name of the aws_security_group created
// by the construct at prefix (e.g. "database_sg").
func sgLogicalName(t *testing.T, s synth.Stack, prefix string) string {
	t.Helper()
	for name := range s.Resources("aws_security_group") {
		if strings.HasPrefix(name, prefix+"_sg_") {
			return name
		}
	}
	t.Fatalf("no security group under %s", prefix)
	return ""
}

// checkSecureBucket asserts what bucket.New promises for the bucket whose
// companion resources start with prefix ("model-bucket", "state"): versioning,
// SSE-KMS with the key named by keyRef, every public-access block, owner
// enforced, a TLS-only policy. It returns the encryption rule and the policy.
func checkSecureBucket(t *testing.T, s synth.Stack, prefix, keyRef string) (sse, bucketPolicy string) {
	t.Helper()
	if v := fmt.Sprint(named(t, s, "aws_s3_bucket_versioning", prefix+"_versioning")["versioning_configuration"]); !strings.Contains(v, "Enabled") {
		t.Errorf("%s versioning: %s", prefix, v)
	}
	sse = fmt.Sprint(named(t, s, "aws_s3_bucket_server_side_encryption_configuration", prefix+"_encryption")["rule"])
	if !strings.Contains(sse, "aws:kms") || !strings.Contains(sse, keyRef) {
		t.Errorf("%s encryption: %s", prefix, sse)
	}
	pab := named(t, s, "aws_s3_bucket_public_access_block", prefix+"_public-access-block")
	for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
		if pab[k] != true {
			t.Errorf("%s %s = %v", prefix, k, pab[k])
		}
	}
	if v := fmt.Sprint(named(t, s, "aws_s3_bucket_ownership_controls", prefix+"_ownership")["rule"]); !strings.Contains(v, "BucketOwnerEnforced") {
		t.Errorf("%s ownership: %s", prefix, v)
	}
	bucketPolicy = fmt.Sprint(named(t, s, "aws_s3_bucket_policy", prefix+"_policy")["policy"])
	if !strings.Contains(bucketPolicy, `"aws:SecureTransport":["false"]`) {
		t.Errorf("%s is not TLS-only: %s", prefix, bucketPolicy)
	}
	return sse, bucketPolicy
}

// repoFile is a path in the repository: the tests run in e2etest/.
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

// aiTier is an environment's GPU tier row.
func aiTier(cfg environments.ParityConfig) environments.Tier {
	t, _ := cfg.Tier(environments.TierAI)
	return t
}
