package e2etest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/golden"
	"github.com/influencegen/infrastructure/internal/parity"
	"github.com/influencegen/infrastructure/internal/preflight"
	"github.com/influencegen/infrastructure/internal/synth"
)

// TestQuantizationHostIsScale: switching Scale.QuantizationHost on in
// staging adds the host, and the second half of the parity proof accepts
// it only because ScaleKeys registers its construct path: with the entry
// taken out, the same stacks fail, naming the host's resources.
func TestQuantizationHostIsScale(t *testing.T) {
	v := quantized(t)
	on := stacks[v.cfg.StackName()]
	prod := envStack(t, "production")
	if n := len(withPrefix(on, "aws_instance", "models_quantizer")); n != 1 {
		t.Fatalf("%d quantization hosts with the switch on, want 1", n)
	}
	if n := len(withPrefix(envStack(t, "staging"), "aws_instance", "models_quantizer")); n != 0 {
		t.Fatalf("%d quantization hosts with the switch off", n)
	}
	if w := parity.CheckWhat(v.cfg, envs[0], on, prod); len(w) != 0 {
		t.Fatalf("the quantization host is not explained by Scale: %v", w)
	}
	orig := environments.ScaleKeys
	defer func() { environments.ScaleKeys = orig }()
	var without []environments.ScaleKey
	for _, k := range orig {
		if k.Field == "QuantizationHost" {
			k.Constructs = nil
		}
		without = append(without, k)
	}
	environments.ScaleKeys = without
	w := parity.CheckWhat(v.cfg, envs[0], on, prod)
	found := false
	for _, x := range w {
		found = found || strings.Contains(x.Address, "models_quantizer")
	}
	if !found {
		t.Fatalf("without its ScaleKeys entry the host should fail the proof; violations: %v", w)
	}
}

// TestQuantizationHost: the host is a GPU server of Models.Quantizer's
// type, tagged for the build playbook, checked against the zones that sell
// its type, with no ingress, whose role reads the Hugging Face token,
// pulls the model server image, and writes model versions only.
func TestQuantizationHost(t *testing.T) {
	v := quantized(t)
	s := stacks[v.cfg.StackName()]
	in := named(t, s, "aws_instance", "models_quantizer")
	if in["instance_type"] != v.cfg.Models.Quantizer.InstanceType {
		t.Errorf("instance type %v, want %s", in["instance_type"], v.cfg.Models.Quantizer.InstanceType)
	}
	if num(in["root_block_device"].(map[string]any)["volume_size"]) != v.cfg.Models.Quantizer.RootVolumeGB {
		t.Errorf("root volume %v", in["root_block_device"])
	}
	tags := in["tags"].(map[string]any)
	if tags["Role"] != environments.QuantizerRole || tags["AnsibleGroup"] != environments.QuantizerAnsibleGroup {
		t.Errorf("tags %v", tags)
	}
	if !strings.Contains(fmt_(in["lifecycle"]), "models_quantizer_offerings") {
		t.Errorf("no offerings precondition: %v", in["lifecycle"])
	}
	for name := range s.Resources("aws_vpc_security_group_ingress_rule") {
		if strings.HasPrefix(name, "models_quantizer") {
			t.Errorf("ingress to the quantization host: %s", name)
		}
	}
	p := policyOf(t, s, "models_quantizer")
	if got, want := p.objects("s3:PutObject"), []string{environments.BaseModelsPrefix}; !slices.Equal(got, want) {
		t.Errorf("writes %v, want %v", got, want)
	}
	if got := p.objects("s3:DeleteObject"); len(got) != 0 {
		t.Errorf("deletes %v", got)
	}
	if !p.allows("secretsmanager:GetSecretValue", "secrets_huggingface-token") || p.count("secretsmanager:GetSecretValue") != 1 {
		t.Error("the host reads the Hugging Face token, and no other secret")
	}
	if !p.allows("ecr:BatchGetImage", "repository/influencegen/ai-model-server") {
		t.Error("the host cannot pull the model server image")
	}
	out := on(s, "quantizer_instance_ids")
	if !strings.Contains(out, "models_quantizer") {
		t.Errorf("quantizer_instance_ids = %s", out)
	}
}

// TestModelPrincipals: who may do what with the models, from the
// synthesized policies of every environment: the GPU servers read
// models/ and write their reports only; the LoRA publisher writes and
// deletes adapters and reads reports only; no other role of the stack
// touches the model bucket's objects; shared-stack's promoter of each
// environment reads its source's versions and writes its own, nothing else.
func TestModelPrincipals(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		for name, r := range s.Resources("aws_iam_role_policy") {
			p := parsePolicy(t, r["policy"].(string))
			writes, deletes := p.objects("s3:PutObject"), p.objects("s3:DeleteObject")
			onModels := strings.Contains(r["policy"].(string), "aws_s3_bucket.model-bucket_")
			switch {
			case strings.HasPrefix(name, "ai_policy"):
				if !slices.Equal(writes, []string{environments.ModelStatusPrefix}) || len(deletes) != 0 || !slices.Equal(p.objects("s3:GetObject"), []string{environments.ModelsPrefix, environments.ModelStatusPrefix}) {
					t.Errorf("GPU servers: reads %v, writes %v, deletes %v", p.objects("s3:GetObject"), writes, deletes)
				}
			case strings.HasPrefix(name, "models_lora-publisher"):
				if !slices.Equal(writes, []string{environments.LoRAsPrefix}) || !slices.Equal(deletes, []string{environments.LoRAsPrefix}) ||
					!slices.Equal(p.objects("s3:GetObject"), []string{environments.ModelStatusPrefix, environments.LoRAsPrefix}) {
					t.Errorf("LoRA publisher: reads %v, writes %v, deletes %v", p.objects("s3:GetObject"), writes, deletes)
				}
			case onModels:
				t.Errorf("%s is granted the model bucket", name)
			}
		}
		role := named(t, s, "aws_iam_role", "models_lora-publisher")
		if !strings.Contains(fmt_(role["assume_role_policy"]), ":root") || !strings.HasSuffix(fmt.Sprint(role["permissions_boundary"]), "-"+cfg.Identity.Name+"-boundary") {
			t.Errorf("LoRA publisher trust %v, boundary %v", role["assume_role_policy"], role["permissions_boundary"])
		}
	})
	shared := stacks["shared-stack"]
	for _, target := range environments.Names(envs) {
		src := account.ModelSource(target)
		roles := withPrefix(shared, "aws_iam_role_policy", "model-promotion_"+target+"-policy")
		if (src == "") != (len(roles) == 0) {
			t.Errorf("%s promotes from %q, %d promotion roles", target, src, len(roles))
			continue
		}
		for _, r := range roles {
			doc := r["policy"].(string)
			p := parsePolicy(t, doc)
			if got := p.objects("s3:PutObject"); !slices.Equal(got, []string{environments.BaseModelsPrefix}) {
				t.Errorf("promoter to %s writes %v", target, got)
			}
			if len(p.objects("s3:DeleteObject")) != 0 {
				t.Errorf("promoter to %s deletes", target)
			}
			for _, st := range p.Statement {
				for _, res := range st.Resource {
					if strings.Contains(res, ":s3:::") && !strings.Contains(res, "-"+src+"-models-") && !strings.Contains(res, "-"+target+"-models-") {
						t.Errorf("promoter to %s names %s", target, res)
					}
					if slices.Contains(st.Action, "s3:PutObject") && strings.Contains(res, "-"+src+"-models-") {
						t.Errorf("promoter to %s writes its source %s", target, res)
					}
				}
			}
		}
	}
}

// policy is an IAM policy document, as the constructs render it.
type policy struct {
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  []string
		Condition map[string]map[string][]string
	}
}

func parsePolicy(t *testing.T, doc string) policy {
	t.Helper()
	var p policy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy: %v", err)
	}
	return p
}

// policyOf returns the inline policy of the role whose construct path
// starts with prefix.
func policyOf(t *testing.T, s synth.Stack, prefix string) policy {
	t.Helper()
	r := named(t, s, "aws_iam_role_policy", prefix)
	return parsePolicy(t, r["policy"].(string))
}

// objects lists the key prefixes of the object ARNs (".../<prefix>*") an
// action is allowed on, in statement order.
func (p policy) objects(action string) []string {
	var out []string
	for _, st := range p.Statement {
		if st.Effect != "Allow" || !slices.Contains(st.Action, action) {
			continue
		}
		for _, r := range st.Resource {
			if _, key, ok := strings.Cut(r, ".arn}/"); ok {
				out = append(out, strings.TrimSuffix(key, "*"))
			} else if _, key, ok := strings.Cut(r, "-models-${data.aws_caller_identity.caller.account_id}/"); ok {
				out = append(out, strings.TrimSuffix(key, "*"))
			}
		}
	}
	return out
}

// allows reports whether action is allowed on a resource containing res.
func (p policy) allows(action, res string) bool {
	for _, st := range p.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, action) {
			for _, r := range st.Resource {
				if strings.Contains(r, res) {
					return true
				}
			}
		}
	}
	return false
}

// count is how many resources action is allowed on.
func (p policy) count(action string) int {
	n := 0
	for _, st := range p.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, action) {
			n += len(st.Resource)
		}
	}
	return n
}

// on is an output's value, as text.
func on(s synth.Stack, output string) string {
	return fmt_(s["output"].(map[string]any)[output].(map[string]any)["value"])
}

func fmt_(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// quantizerAdditions are the resources and data sources switching
// Scale.QuantizationHost on adds to staging, as they would be in
// staging-stack: "resource" or "data" → type → logical name → body.
func quantizerAdditions() map[string]map[string]map[string]any {
	var v scaleVariant
	for _, x := range variants {
		if x.count == quantizerVariant {
			v = x
		}
	}
	staging, on := stacks["staging-stack"], stacks[v.cfg.StackName()]
	add := map[string]map[string]map[string]any{}
	for _, kind := range []string{"resource", "data"} {
		have, _ := staging[kind].(map[string]any)
		all, _ := on[kind].(map[string]any)
		for typ, named := range all {
			for name, body := range named.(map[string]any) {
				if existing, _ := have[typ].(map[string]any); existing[name] != nil {
					continue
				}
				if add[kind] == nil {
					add[kind] = map[string]map[string]any{}
				}
				if add[kind][typ] == nil {
					add[kind][typ] = map[string]any{}
				}
				add[kind][typ][name] = parity.Rename(body, v.cfg, envs[1])
			}
		}
	}
	return add
}

// TestQuantizerOverlay keeps testdata/staging-quantizer.json equal to what
// the switch adds to staging-stack: the S3 stand-in of the model tests
// (ansible/tests/models.sh) reads the quantization host's role from it.
func TestQuantizerOverlay(t *testing.T) {
	add := quantizerAdditions()
	if len(add["resource"]["aws_iam_role"]) != 1 {
		t.Fatalf("the switch adds %d roles, want the host's", len(add["resource"]["aws_iam_role"]))
	}
	overlay := map[string]any{
		"//": map[string]any{"metadata": map[string]any{
			"stackName": "staging-stack",
			"overlay":   "what Scale.QuantizationHost adds to staging-stack (e2etest TestQuantizerOverlay)",
		}},
		"resource": add["resource"],
		"data":     add["data"],
	}
	golden.JSON(t, filepath.Join("testdata", "staging-quantizer.json"), overlay)
}

// TestModelFactsMatchTheStacks: what scripts/models.sh and the preflight's
// models check read from `go run . facts` names what the stacks create:
// the bucket, the token secret, the LoRA publisher, the promoter, the GPU
// types; and with the switch on, the quantization host as a tier the
// quota and zone checks count.
func TestModelFactsMatchTheStacks(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		f := preflight.For(account, cfg).Models
		bucket := strings.ReplaceAll(fmt.Sprint(named(t, s, "aws_s3_bucket", "model-bucket")["bucket"]), "${data.aws_caller_identity.caller.account_id}", account.ID)
		if bucket != f.Bucket {
			t.Errorf("bucket %s, facts %s", bucket, f.Bucket)
		}
		if name := named(t, s, "aws_secretsmanager_secret", "secrets_huggingface-token")["name"]; name != f.TokenSecret {
			t.Errorf("token secret %v, facts %s", name, f.TokenSecret)
		}
		if name := named(t, s, "aws_iam_role", "models_lora-publisher")["name"]; name != f.LoRAPublisherRole {
			t.Errorf("LoRA publisher %v, facts %s", name, f.LoRAPublisherRole)
		}
		promoter := ""
		if r := withPrefix(stacks["shared-stack"], "aws_iam_role", "model-promotion_"+cfg.Identity.Name+"_"); len(r) == 1 {
			for _, v := range r {
				promoter = fmt.Sprint(v["name"])
			}
		}
		if promoter != f.PromoterRole {
			t.Errorf("promoter %q, facts %q", promoter, f.PromoterRole)
		}
		var gpu []string
		for _, in := range s.Resources("aws_instance") {
			if typ := fmt.Sprint(in["instance_type"]); strings.HasPrefix(typ, "g") && !slices.Contains(gpu, typ) {
				gpu = append(gpu, typ)
			}
		}
		slices.Sort(gpu)
		if !slices.Equal(gpu, f.GPUInstanceTypes) {
			t.Errorf("GPU types %v, facts %v", gpu, f.GPUInstanceTypes)
		}
	})
	v := quantized(t)
	var tier *preflight.Tier
	for _, tr := range preflight.For(account, v.cfg).Tiers {
		if tr.Name == environments.QuantizerRole {
			tier = &tr
		}
	}
	in := named(t, stacks[v.cfg.StackName()], "aws_instance", "models_quantizer")
	if tier == nil || tier.Count != 1 || tier.InstanceType != in["instance_type"] || !tier.GPU {
		t.Errorf("facts tier of the quantization host %+v, instance %v", tier, in["instance_type"])
	}
}
