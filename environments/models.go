package environments

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
)

// The model bucket's layout (docker/ai_model_server/app/manifest.py holds
// the same prefixes; scripts/tests/test_models.py checks them against
// `go run . facts`). Every grant on the bucket names one of them.
const (
	// ModelsPrefix holds everything the GPU servers read.
	ModelsPrefix = "models/"
	// BaseModelsPrefix holds one folder per model version,
	// models/base/<version>/, the pipeline in the diffusers layout and its
	// manifest.json, written last.
	BaseModelsPrefix = "models/base/"
	// LoRAsPrefix holds one folder per LoRA adapter, models/loras/<name>/,
	// its weights and its manifest.json, written last.
	LoRAsPrefix = "models/loras/"
	// ModelStatusPrefix holds what each GPU server serves,
	// models/status/<instance id>.json, written by its model sync.
	ModelStatusPrefix = "models/status/"
)

// ModelServerImage is the image of docker/ai_model_server: the GPU servers
// serve with it, and the quantization host fetches and quantizes with it,
// so a version is made by the code that loads it.
const ModelServerImage = "ai-model-server"

// HuggingFaceTokenSecret is the Secrets Manager secret (under
// "<project>/<env>/") that holds the Hugging Face access token the
// quantization host downloads the base model with. The stack creates it
// empty; an operator puts the value (docs/runbooks/models.md), and no
// generated value ever overwrites it.
const HuggingFaceTokenSecret = "huggingface/token"

// SuppliedSecrets are the secrets whose value an operator puts, not
// Secrets Manager: the stack creates them with no value.
var SuppliedSecrets = []string{HuggingFaceTokenSecret}

// The quantization host, as the servers' tags and the Ansible inventory
// know it.
const (
	// QuantizerRole is its Role tag and the name part of its role,
	// profile and security group.
	QuantizerRole = "ai-quantizer"
	// QuantizerAnsibleGroup is its AnsibleGroup tag: the inventory group
	// playbooks/build_models.yml runs on.
	QuantizerAnsibleGroup = "ai_quantizers"
)

// ModelSettings say which model the GPU servers serve and where a model
// version is made.
type ModelSettings struct {
	// BaseModel is the Hugging Face repository of the base model, e.g.
	// "black-forest-labs/FLUX.1-dev" (gated: the token's account must have
	// accepted its licence).
	BaseModel string
	// Quantizer is the on-demand quantization host: a GPU for
	// bitsandbytes and host RAM for the whole bf16 transformer, which
	// diffusers merges in memory before quantizing
	// (docker/ai_model_server/app/memory.py, quantize_host_gib; a
	// g6.2xlarge: L4, 32 GiB). Its root volume holds the download, the
	// quantized transformer and the image.
	Quantizer ServerSettings
}

// MinQuantizerRootGB is the smallest root volume the quantization host
// works in: the bf16 pipeline (≈ 34 GB), the NF4 transformer (≈ 6.7 GB),
// the model server image (≈ 10 GB unpacked) and the OS, with room to spare.
const MinQuantizerRootGB = 100

var baseModelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// check checks an environment's model settings.
func (m ModelSettings) check(c checker) {
	if !baseModelRE.MatchString(m.BaseModel) {
		c.add("Models.BaseModel", fmt.Sprintf("%q is not a Hugging Face repository", m.BaseModel), `use "owner/name", e.g. "black-forest-labs/FLUX.1-dev"`)
	}
	q := m.Quantizer
	if !instanceRE.MatchString(q.InstanceType) {
		c.add("Models.Quantizer.InstanceType", fmt.Sprintf("%q is not an EC2 instance type", q.InstanceType), `use e.g. "g6.2xlarge"`)
	} else if g, ok := GPUFor(q.InstanceType); !ok || g.Unsupported != "" || g.VRAMGB < MinVRAMGB {
		why := "not a known GPU family"
		if ok {
			why = fmt.Sprintf("%s (%d GB)", g.Model, g.VRAMGB)
			if g.Unsupported != "" {
				why += ": " + g.Unsupported
			}
		}
		c.add("Models.Quantizer.InstanceType", fmt.Sprintf("%s: %s; the quantization host needs a bf16 NVIDIA GPU", q.InstanceType, why),
			"use g6.2xlarge (L4, 32 GiB of RAM) or g5.2xlarge (A10G, 32 GiB): app/memory.py quantize_host_gib says how much RAM it needs")
	}
	if q.RootVolumeGB < MinQuantizerRootGB || q.RootVolumeGB > 16384 {
		c.add("Models.Quantizer.RootVolumeGB", fmt.Sprintf("%d GB cannot hold the bf16 download, the quantized transformer and the image", q.RootVolumeGB),
			fmt.Sprintf("set it to %d or more", MinQuantizerRootGB))
	}
}

// checkModelSources checks Account.ModelSources against the environments:
// each names two environments, none copies from itself, the chain has no
// loop, and the reference environment copies only from a parity
// environment (production serves only what staging served).
func (a Account) checkModelSources(c checker, envs []ParityConfig) {
	kinds := map[string]Kind{}
	for _, e := range envs {
		kinds[e.Identity.Name] = e.Kind
	}
	targets := make([]string, 0, len(a.ModelSources))
	for t := range a.ModelSources {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		src := a.ModelSources[t]
		field := fmt.Sprintf("Account.ModelSources[%q]", t)
		_, knownT := kinds[t]
		_, knownS := kinds[src]
		switch {
		case !knownT:
			c.add(field, fmt.Sprintf("%q is not an environment", t), fmt.Sprintf("use one of %v", Names(envs)))
		case !knownS:
			c.add(field, fmt.Sprintf("%q is not an environment", src), fmt.Sprintf("use one of %v", Names(envs)))
		case src == t:
			c.add(field, "an environment copying its models from itself", "name the environment it is promoted from, or remove the entry")
		case kinds[t] == Reference && kinds[src] != Parity:
			c.add(field, fmt.Sprintf("%s would serve models from %s, a %s environment", t, src, kinds[src]),
				"promote into production from staging only: it serves what staging served")
		}
		seen := []string{t}
		for s := src; s != ""; s = a.ModelSources[s] {
			if slices.Contains(seen, s) {
				c.add(field, fmt.Sprintf("the promotion chain loops: %v", append(seen, s)), "promote in one direction, e.g. dev → staging → production")
				break
			}
			seen = append(seen, s)
		}
	}
}

// ModelSource is the environment env promotes its model versions from
// (Account.ModelSources), or "" when it makes its own.
func (a Account) ModelSource(env string) string { return a.ModelSources[env] }
