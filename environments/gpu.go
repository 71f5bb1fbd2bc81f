package environments

import (
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

// MinVRAMGB is the least GPU memory that serves FLUX.1-dev with LoRA: its
// smallest memory plan (the transformer in 4-bit NF4, the text encoders in
// bf16) needs 19.7 GiB of GPU memory (docker/ai_model_server/app/memory.py,
// the table the model server and its tests share). 16 GB GPUs cannot serve
// it; the platform's 16 GB floor is not enough for this model.
const MinVRAMGB = 24

// GPUs is the built-in VRAM table, by instance family (per GPU).
var GPUs = map[string]GPU{
	"p2":   {Model: "NVIDIA K80", VRAMGB: 12},
	"g3":   {Model: "NVIDIA M60", VRAMGB: 8},
	"g3s":  {Model: "NVIDIA M60", VRAMGB: 8},
	"g4ad": {Model: "AMD Radeon Pro V520", VRAMGB: 8, Unsupported: "AMD GPU: the model server needs CUDA"},
	"g4dn": {Model: "NVIDIA T4", VRAMGB: 16, Unsupported: "Turing: no bf16, and 16 GB hold no FLUX.1-dev plan"},
	"g5g":  {Model: "NVIDIA T4G", VRAMGB: 16, Unsupported: "arm64 (Graviton) host: the AMI and images are amd64"},
	"p3":   {Model: "NVIDIA V100", VRAMGB: 16, Unsupported: "Volta: no bf16"},
	"p3dn": {Model: "NVIDIA V100", VRAMGB: 32, Unsupported: "Volta: no bf16"},
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
