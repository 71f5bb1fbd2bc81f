"""How FLUX.1-dev fits a GPU: the size of every component, the memory plans
built from them, and the GPU classes the project runs on.

This is the one table the engine (which plan to load), its tests (a fake
diffusers that accounts host and GPU memory with these sizes) and the role
README share. Sizes are computed, not guessed:

- parameter counts are those of the published checkpoints
  (black-forest-labs/FLUX.1-dev; tests/test_memory.py derives each one again
  from the architecture in the checkpoints' config.json);
- bytes per precision follow what the pinned libraries store:
  bf16 is 2 bytes a parameter; bitsandbytes NF4 (bitsandbytes 0.45.0
  quantize_4bit, blocksize 64, no double quantization: the BitsAndBytesConfig
  default) packs two weights a byte plus one fp32 absmax per 64 weights, and
  quantizes only the weights of nn.Linear layers: biases and norms keep the
  load dtype;
- transformers 4.48.1 keeps T5's feed-forward output projections ("wo",
  T5PreTrainedModel._keep_in_fp32_modules) in fp32 whenever a bitsandbytes
  quantizer loads the model, so a 4-bit T5-XXL is not a quarter of its bf16
  size but 5.9 GiB.

How the engine loads (diffusers 0.32.2, models/modeling_utils.py
ModelMixin.from_pretrained), which decides host RAM:

- a model loaded without quantization lands in host RAM in full before it is
  moved to the GPU (no device_map: a device_map would add accelerate hooks that
  make DiffusionPipeline.to("cuda") refuse the pipeline), so the host needs the
  largest component's size;
- quantizing at load time merges every shard of a sharded checkpoint into one
  state dict in host RAM first (_merge_sharded_checkpoints, "TODO: issue
  10013"): 22.2 GiB for the FLUX.1-dev transformer, more than a 16 GiB host.
  So the NF4 transformer is loaded pre-quantized (a single 6.2 GiB file, see
  app/quantize.py) and reaches the GPU straight from that file.
"""

import math
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

GIB = 1024**3

# bf16 (and fp16) need compute capability 8.0 (Ampere) for tensor-core bf16;
# the T4 (7.5) and V100 (7.0) would emulate it.
BF16_MIN_CAPABILITY = (8, 0)

# Memory on the GPU besides the weights (estimates, GiB):
# - the CUDA context, cuBLAS and cuDNN workspaces;
CUDA_CONTEXT_GIB = 0.75
# - activations: the transformer at the largest image the server accepts
#   (MAX_SIDE: 9,216 image + 512 text tokens, attention through SDPA, no
#   classifier-free guidance with FLUX.1-dev) or the VAE decode, tiled above
#   1024 px (the engine turns VAE tiling on), whichever is larger;
ACTIVATIONS_GIB = 2.0
MAX_SIDE = 1536
# - LoRA adapters kept loaded (bf16 weights, the size of their files); the
#   engine unloads the least recently used to stay within it.
LORA_BUDGET_GIB = 1.5

# Host RAM besides the weights while loading: Python, torch and the CUDA
# libraries mapped into the server process (estimate).
RUNTIME_HOST_GIB = 2.5
# Host RAM that is not the server's: kernel, dockerd, SSM and CloudWatch agents.
HOST_RESERVED_GIB = 1.5

# bitsandbytes 4-bit blocksize and the bytes of one fp32 absmax per block.
NF4_BLOCKSIZE = 64
NF4_ABSMAX_BYTES = 4


@dataclass(frozen=True)
class Component:
    """One model of the FLUX.1-dev pipeline."""

    # name is the pipeline attribute and the checkpoint subfolder.
    name: str
    # what it is, for humans.
    description: str
    # params is every parameter of the published checkpoint.
    params: int
    # linear_weights are the weights of the nn.Linear layers bitsandbytes
    # replaces (biases excluded); 0 when the component is never quantized.
    linear_weights: int = 0
    # fp32_under_bnb are the weights, among linear_weights, that transformers
    # keeps unquantized in fp32 under bitsandbytes (T5's "wo").
    fp32_under_bnb: int = 0

    def nbytes(self, precision: str) -> int:
        """Bytes of the weights at a precision ("bf16" or "nf4")."""
        if precision == "bf16":
            return 2 * self.params
        if precision == "nf4":
            if not self.linear_weights:
                raise ValueError(f"{self.name} is never quantized: use bf16")
            packed = self.linear_weights - self.fp32_under_bnb
            nf4 = packed // 2 + math.ceil(packed / NF4_BLOCKSIZE) * NF4_ABSMAX_BYTES
            return nf4 + 4 * self.fp32_under_bnb + 2 * (self.params - self.linear_weights)
        raise ValueError(f"unknown precision {precision!r}: use bf16 or nf4")

    def gib(self, precision: str) -> float:
        return self.nbytes(precision) / GIB


# FLUX.1-dev, as the diffusers layout of the checkpoint names them.
COMPONENTS: Dict[str, Component] = {
    c.name: c
    for c in (
        Component(
            "transformer",
            "FluxTransformer2DModel: 19 double + 38 single blocks, width 3072",
            params=11_901_408_320,
            # every parameter but 3,065,920 biases and 19,456 RMSNorm scales
            linear_weights=11_898_322_944,
        ),
        Component(
            "text_encoder_2",
            "T5-XXL encoder (T5EncoderModel), 24 layers, width 4096",
            params=4_762_310_656,
            linear_weights=4_630_511_616,
            fp32_under_bnb=1_006_632_960,  # 24 x wo (10240 -> 4096)
        ),
        Component("text_encoder", "CLIP ViT-L/14 text encoder", params=123_060_480),
        Component("vae", "AutoencoderKL, 16 latent channels", params=83_819_683),
    )
}

# The subfolder of the base model directory holding the pre-quantized NF4
# transformer (config.json with its quantization_config, one safetensors file).
NF4_TRANSFORMER_SUBFOLDER = "transformer-bnb-nf4"


@dataclass(frozen=True)
class Plan:
    """One way of loading the pipeline: a precision per component, every
    component resident on the GPU (no CPU offload: see the README)."""

    name: str
    description: str
    precision: Tuple[Tuple[str, str], ...]

    def precision_of(self, component: str) -> str:
        return dict(self.precision)[component]

    def weights_gib(self) -> float:
        return sum(COMPONENTS[c].gib(p) for c, p in self.precision)

    def vram_gib(self) -> float:
        """GPU memory the plan needs: weights, context, activations, LoRA."""
        return self.weights_gib() + CUDA_CONTEXT_GIB + ACTIVATIONS_GIB + LORA_BUDGET_GIB

    def host_load_gib(self) -> float:
        """Host RAM the server needs while loading: the transformer alone
        first (its full size in host RAM, at its precision), then the other
        components together before the pipeline moves them to the GPU."""
        transformer = COMPONENTS["transformer"].gib(self.precision_of("transformer"))
        rest = sum(COMPONENTS[c].gib(p) for c, p in self.precision if c != "transformer")
        return max(transformer, rest) + RUNTIME_HOST_GIB

    def host_gib(self) -> float:
        """Host RAM the machine needs: the load peak plus what the OS keeps."""
        return self.host_load_gib() + HOST_RESERVED_GIB


_BF16_REST = (("text_encoder_2", "bf16"), ("text_encoder", "bf16"), ("vae", "bf16"))

# In order of preference: the first plan that fits is the one loaded.
PLANS: Tuple[Plan, ...] = (
    Plan("bf16", "every component in bf16, as published", (("transformer", "bf16"),) + _BF16_REST),
    Plan("nf4", "transformer NF4 (bitsandbytes, pre-quantized), text encoders and VAE bf16", (("transformer", "nf4"),) + _BF16_REST),
)
PLAN_NAMES = tuple(p.name for p in PLANS)


def plan_named(name: str) -> Plan:
    for p in PLANS:
        if p.name == name:
            return p
    raise ValueError(f"unknown memory plan {name!r}: use one of {', '.join(PLAN_NAMES)}")


class NoPlanFits(RuntimeError):
    """No plan fits this GPU and host; the message says what would."""


def fits(plan: Plan, vram_gib: float, host_gib: float, capability: Tuple[int, int]) -> Optional[str]:
    """None when the plan fits, else every reason it does not."""
    why = []
    if tuple(capability) < BF16_MIN_CAPABILITY:
        why.append(f"compute capability {capability[0]}.{capability[1]} has no bf16 (needs {BF16_MIN_CAPABILITY[0]}.{BF16_MIN_CAPABILITY[1]}+)")
    if plan.vram_gib() > vram_gib:
        why.append(f"needs {plan.vram_gib():.1f} GiB of GPU memory, the GPU has {vram_gib:.1f}")
    if plan.host_gib() > host_gib:
        why.append(f"needs {plan.host_gib():.1f} GiB of host RAM to load, the host has {host_gib:.1f}")
    return ", ".join(why) or None


def choose_plan(vram_gib: float, host_gib: float, capability: Tuple[int, int]) -> Plan:
    """The first plan of PLANS that fits; NoPlanFits names what each needs."""
    reasons = []
    for plan in PLANS:
        why = fits(plan, vram_gib, host_gib, capability)
        if why is None:
            return plan
        reasons.append(f"{plan.name}: {why}")
    smallest = min(PLANS, key=lambda p: p.vram_gib())
    raise NoPlanFits(
        "FLUX.1-dev does not fit this machine (" + "; ".join(reasons) + "). "
        f"The smallest plan needs a bf16 GPU with {smallest.vram_gib():.1f} GiB and {smallest.host_gib():.1f} GiB of host RAM: "
        "use g6.xlarge (L4) or g5.xlarge (A10G), or g6e.xlarge (L40S) for bf16"
    )


@dataclass(frozen=True)
class GPUClass:
    """A GPU instance type the project uses or proposes."""

    gpu: str
    instance_type: str
    # vram_gib is the memory CUDA reports (torch total_memory), a little
    # under the marketing figure.
    vram_gib: float
    # host_gib is the instance's RAM.
    host_gib: float
    capability: Tuple[int, int]


GPU_CLASSES: Tuple[GPUClass, ...] = (
    GPUClass("T4 16 GB", "g4dn.xlarge", 14.7, 16, (7, 5)),
    GPUClass("A10G 24 GB", "g5.xlarge", 22.0, 16, (8, 6)),
    GPUClass("L4 24 GB", "g6.xlarge", 21.9, 16, (8, 9)),
    GPUClass("L40S 48 GB", "g6e.xlarge", 44.3, 32, (8, 9)),
    # The quantization host's class (environments Models.Quantizer): the
    # L4 of g6.xlarge with twice the vCPUs and RAM.
    GPUClass("L4 24 GB", "g6.2xlarge", 21.9, 32, (8, 9)),
    GPUClass("A10G 24 GB", "g5.2xlarge", 22.0, 32, (8, 6)),
)


def quantize_host_gib() -> float:
    """Host RAM that quantizing the transformer needs (app/quantize.py):
    diffusers merges every bf16 shard into one state dict before
    bitsandbytes quantizes it (see the module docstring), plus the runtime
    and what the OS keeps: 22.2 + 2.5 + 1.5 = 26.2 GiB."""
    return COMPONENTS["transformer"].gib("bf16") + RUNTIME_HOST_GIB + HOST_RESERVED_GIB


def quantize_vram_gib() -> float:
    """GPU memory quantizing needs: the NF4 transformer it builds there, the
    CUDA context, and one bf16 weight on its way in (the largest Linear of
    a double block's feed-forward, 3072 × 12288 × 2 bytes, 72 MiB)."""
    return COMPONENTS["transformer"].gib("nf4") + CUDA_CONTEXT_GIB + 3072 * 12288 * 2 / GIB


def quantizer_problem(gpu: GPUClass) -> Optional[str]:
    """Why a GPU class cannot quantize the transformer, or None."""
    why = []
    if tuple(gpu.capability) < BF16_MIN_CAPABILITY:
        why.append(f"compute capability {gpu.capability[0]}.{gpu.capability[1]} has no bf16")
    if gpu.vram_gib < quantize_vram_gib():
        why.append(f"needs {quantize_vram_gib():.1f} GiB of GPU memory, the GPU has {gpu.vram_gib:.1f}")
    if gpu.host_gib < quantize_host_gib():
        why.append(f"needs {quantize_host_gib():.1f} GiB of host RAM (the bf16 shards merged before quantizing), {gpu.instance_type} has {gpu.host_gib:g}")
    return ", ".join(why) or None


def plan_for(gpu: GPUClass) -> Optional[Plan]:
    """The plan a GPU class runs, or None when FLUX.1-dev does not fit it."""
    try:
        return choose_plan(gpu.vram_gib, gpu.host_gib, gpu.capability)
    except NoPlanFits:
        return None
