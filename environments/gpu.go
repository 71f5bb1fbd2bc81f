package environments

import (
	"fmt"
	"strings"
)

// GPU describes the accelerator of an EC2 instance family.
type GPU struct {
	// Model is the accelerator's name.
	Model string
	// VRAMGB is the memory of one GPU.
	VRAMGB int
	// Unsupported, when set, says why the family cannot serve Flux here.
	Unsupported string
}

// MinVRAMGB is the least GPU memory that runs Flux with LoRA (with CPU
// offload); PreferredVRAMGB runs it in bf16 without offload.
const (
	MinVRAMGB       = 16
	PreferredVRAMGB = 24
)

// GPUs is the built-in VRAM table, by instance family (per GPU).
var GPUs = map[string]GPU{
	"p2":   {Model: "NVIDIA K80", VRAMGB: 12},
	"g3":   {Model: "NVIDIA M60", VRAMGB: 8},
	"g3s":  {Model: "NVIDIA M60", VRAMGB: 8},
	"g4ad": {Model: "AMD Radeon Pro V520", VRAMGB: 8, Unsupported: "AMD GPU: the model server needs CUDA"},
	"g4dn": {Model: "NVIDIA T4", VRAMGB: 16},
	"g5g":  {Model: "NVIDIA T4G", VRAMGB: 16, Unsupported: "arm64 (Graviton) host: the AMI and images are amd64"},
	"p3":   {Model: "NVIDIA V100", VRAMGB: 16},
	"p3dn": {Model: "NVIDIA V100", VRAMGB: 32},
	"g5":   {Model: "NVIDIA A10G", VRAMGB: 24},
	"g6":   {Model: "NVIDIA L4", VRAMGB: 24},
	"gr6":  {Model: "NVIDIA L4", VRAMGB: 24},
	"g6e":  {Model: "NVIDIA L40S", VRAMGB: 48},
	"p4d":  {Model: "NVIDIA A100", VRAMGB: 40},
	"p4de": {Model: "NVIDIA A100", VRAMGB: 80},
	"p5":   {Model: "NVIDIA H100", VRAMGB: 80},
	"p5e":  {Model: "NVIDIA H200", VRAMGB: 141},
	"p5en": {Model: "NVIDIA H200", VRAMGB: 141},
}

// GPUFor returns the GPU of an instance type such as "g5.xlarge".
func GPUFor(instanceType string) (GPU, bool) {
	family, _, _ := strings.Cut(instanceType, ".")
	g, ok := GPUs[family]
	return g, ok
}

// Warnings returns advice that does not stop synthesis: today, a parity
// environment's GPU tier below the preferred 24 GB.
func Warnings(envs []ParityConfig) []string {
	var out []string
	for _, e := range envs {
		if e.Kind == Sandbox {
			continue
		}
		for _, t := range e.Tiers {
			it := e.Servers[t.Name].InstanceType
			if g, ok := GPUFor(it); t.GPU && ok && g.Unsupported == "" && g.VRAMGB >= MinVRAMGB && g.VRAMGB < PreferredVRAMGB {
				out = append(out, fmt.Sprintf("%s: Servers[%s].InstanceType: %s has a %d GB %s; Flux LoRA needs CPU offload below %d GB and serves slowly (consider g5, g6 or g6e)",
					e.Identity.Name, t.Name, it, g.VRAMGB, g.Model, PreferredVRAMGB))
			}
		}
	}
	return out
}
