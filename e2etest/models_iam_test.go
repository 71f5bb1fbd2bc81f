package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/iam"
)

// modelJobs are the model principals' requests, both directions, for one
// environment's bucket, as scripts/models.py and the model sync make them
// (S3 and, through S3, KMS with the context S3 sends: Amazon S3 user
// guide, "Using server-side encryption with AWS KMS keys"; the bucket key
// makes the encryption context the bucket's ARN). They join the IAM
// evaluation of the tier table's jobs (evaluateIAMOnce); go test evaluates
// them all (fastIAM). The quantization host exists
// only in a scale variant, not in the stacks evaluated here;
// ansible/tests/test_model_grants.py holds its grants (tests/iam_eval.py).
func modelJobs(m *iam.Model, cfg environments.ParityConfig) []iam.Request {
	env := cfg.Identity.Name
	p := account.Project
	bucket := fmt.Sprintf("%s-%s-models-%s", p, env, account.ID)
	object := func(b, key string) string { return "arn:aws:s3:::" + b + "/" + key }
	version := environments.BaseModelsPrefix + "flux-1-dev-0ef5fff789c8/"
	var out []iam.Request
	add := func(who, what, principal, action, resource string, ctx map[string][]string, deny bool) {
		kind := iam.KindServer
		if deny {
			kind = iam.KindMustNot
		}
		out = append(out, iam.Request{Job: fmt.Sprintf("models %s %s: %s", env, who, what), Env: env, Kind: kind,
			Principal: principal, Action: action, Resource: resource, Context: ctx, Deny: deny, Region: cfg.Region,
			Source: "scripts/models.py, docs/runbooks/models.md"})
	}
	role := func(name string) string {
		if r := m.RoleNamed(name); r != nil {
			return r.ARN
		}
		return "missing role " + name
	}
	// kmsVia is a KMS request S3 makes for the caller with b's key.
	kmsVia := func(who, what, principal, action, b string, deny bool) {
		bEnv := strings.TrimSuffix(strings.TrimPrefix(b, p+"-"), "-models-"+account.ID)
		key := dataKey(m, bEnv)
		add(who, what, principal, action, key, map[string][]string{
			"kms:ViaService": {"s3." + cfg.Region + ".amazonaws.com"}, "kms:CallerAccount": {account.ID},
			"kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::" + b},
			"kms:ResourceAliases":              {"alias/" + p + "-" + bEnv + "-data"},
		}, deny)
	}

	// The LoRA publisher: adapters in and out, the servers' reports read.
	lora := role(p + "-" + env + "-lora-publisher")
	for _, a := range []string{"s3:PutObject", "s3:DeleteObject", "s3:GetObject"} {
		add("lora publisher", "adapters", lora, a, object(bucket, environments.LoRAsPrefix+"brand-a/pytorch_lora_weights.safetensors"), nil, false)
	}
	add("lora publisher", "reports", lora, "s3:GetObject", object(bucket, environments.ModelStatusPrefix+"i-0123456789abcdef0.json"), nil, false)
	kmsVia("lora publisher", "adapters encrypted", lora, "kms:GenerateDataKey", bucket, false)
	add("lora publisher", "a model version", lora, "s3:PutObject", object(bucket, version+"model_index.json"), nil, true)
	add("lora publisher", "a report", lora, "s3:PutObject", object(bucket, environments.ModelStatusPrefix+"i-0123456789abcdef0.json"), nil, true)

	// The GPU servers read versions and adapters; they write nothing but their report.
	gpu := role(p + "-" + env + "-" + environments.TierAI)
	add("gpu server", "an adapter", gpu, "s3:PutObject", object(bucket, environments.LoRAsPrefix+"brand-a/pytorch_lora_weights.safetensors"), nil, true)
	add("gpu server", "a model version", gpu, "s3:PutObject", object(bucket, version+"model_index.json"), nil, true)
	add("gpu server", "a withdrawal", gpu, "s3:DeleteObject", object(bucket, environments.LoRAsPrefix+"brand-a/manifest.json"), nil, true)

	// The plan role reads manifests (the deploy preflight), not weights.
	plan := role(p + "-plan-" + env)
	add("plan role", "a manifest", plan, "s3:GetObject", object(bucket, version+"manifest.json"), nil, false)
	add("plan role", "weights", plan, "s3:GetObject", object(bucket, version+"transformer/diffusion_pytorch_model.safetensors"), nil, true)

	// Promotion into this environment (Account.ModelSources): the source's
	// versions read, this one's written, nothing else; no tags read (the
	// CLI's default --copy-props would, scripts/models.py copy_tree).
	if src := account.ModelSource(env); src != "" {
		promoter := role(p + "-promote-models-to-" + env)
		from := fmt.Sprintf("%s-%s-models-%s", p, src, account.ID)
		add("promoter", "the source's version", promoter, "s3:GetObject", object(from, version+"transformer/x.safetensors"), nil, false)
		kmsVia("promoter", "the source's version", promoter, "kms:Decrypt", from, false)
		add("promoter", "its version", promoter, "s3:PutObject", object(bucket, version+"transformer/x.safetensors"), nil, false)
		kmsVia("promoter", "its version", promoter, "kms:GenerateDataKey", bucket, false)
		add("promoter", "the source's tags", promoter, "s3:GetObjectTagging", object(from, version+"transformer/x.safetensors"), nil, true)
		add("promoter", "the source written", promoter, "s3:PutObject", object(from, version+"model_index.json"), nil, true)
		add("promoter", "an adapter", promoter, "s3:PutObject", object(bucket, environments.LoRAsPrefix+"brand-a/pytorch_lora_weights.safetensors"), nil, true)
		add("promoter", "a version deleted", promoter, "s3:DeleteObject", object(bucket, version+"manifest.json"), nil, true)
	}
	return out
}

// dataKey is the ARN of env's data key (the model bucket's), "missing …"
// when the stacks have none.
func dataKey(m *iam.Model, env string) string {
	for _, k := range m.Find(env+"-stack", "aws_kms_key") {
		if strings.Contains(fmt.Sprint(k.Args["description"]), ": platform data") {
			return k.OwnARN()
		}
	}
	return "missing data key of " + env
}

// TestIAMModelPrincipals: the LoRA publisher, the promotion roles, the
// GPU servers and the plan role may do exactly their part with the models,
// as iam-simulate decides over the real stacks (identity policies,
// boundaries, the data keys' policies), in every environment: the
// promotion roles exist only for staging and production.
func TestIAMModelPrincipals(t *testing.T) {
	evaluateIAM(t) // in go test's subset (fastIAM); TestIAMJobs reports its decisions
	n := map[string]int{}
	for _, d := range iamFast {
		if strings.HasPrefix(d.Job, "models ") {
			n[d.Env]++
		}
	}
	for _, cfg := range envs {
		want := 12
		if account.ModelSource(cfg.Identity.Name) != "" {
			want += 8
		}
		if n[cfg.Identity.Name] != want {
			t.Errorf("%s: %d model requests evaluated, want %d: modelJobs lost its rows", cfg.Identity.Name, n[cfg.Identity.Name], want)
		}
	}
}
