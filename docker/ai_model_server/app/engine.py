"""The GPU side: a FLUX pipeline with switchable LoRA adapters.

`Engine` is what the HTTP layer needs; `FluxEngine` implements it with
diffusers 0.32.2. Everything is loaded from the local model directory: the
Hugging Face Hub is switched off (HF_HUB_OFFLINE=1) and every from_pretrained
and load_lora_weights call passes local_files_only=True, so a missing file
is an error, never a download.

How much of the pipeline runs at which precision is a memory plan
(app/memory.py), chosen from the GPU's memory, its bf16 support and the
host's RAM; a machine no plan fits is refused before anything loads.
"""

import io
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol

from . import memory

log = logging.getLogger("engine")

# A LoRA adapter's name: a directory under <model_dir>/loras.
LORA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

GIB = memory.GIB


@dataclass
class GenerateParams:
    """One image request, already validated by the HTTP layer."""

    prompt: str
    lora: Optional[str]
    lora_scale: float
    steps: int
    guidance: float
    seed: int
    width: int
    height: int


class UnknownLora(LookupError):
    """The requested LoRA adapter is not in the model directory."""


class Engine(Protocol):
    """What the HTTP layer needs from the GPU side."""

    def load(self) -> None:
        """Load the base pipeline; raises if the model directory is incomplete."""

    def loras(self) -> List[str]:
        """Names of the LoRA adapters available in the model directory."""

    def generate(self, params: GenerateParams) -> bytes:
        """Run one generation and return the PNG bytes."""

    def status(self) -> Dict:
        """Readiness and GPU memory figures, for /healthz."""


def host_memory_gib() -> float:
    """Host RAM the server may use: MemTotal, or the container's cgroup
    memory limit when it is lower."""
    total = None
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit, encoding="ascii") as f:
                value = f.read().strip()
        except OSError:
            continue
        if value.isdigit():
            total = min(total, int(value)) if total else int(value)
    if not total:
        raise RuntimeError("cannot read the host memory from /proc/meminfo")
    return total / GIB


LORA_BUDGET_BYTES = int(memory.LORA_BUDGET_GIB * GIB)
# What diffusers' save_lora_weights writes (loaders/lora_base.py LORA_WEIGHT_NAME_SAFE).
LORA_WEIGHT_NAME = "pytorch_lora_weights.safetensors"


def lora_weight_file(directory: str) -> Optional[str]:
    """The adapter's weights file in its directory: pytorch_lora_weights.safetensors
    when present, else the only .safetensors file; None when there is none or
    several. diffusers needs the name: offline, load_lora_weights refuses to
    guess it (loaders/lora_base.py _best_guess_weight_name)."""
    files = [f for f in os.listdir(directory) if f.endswith(".safetensors") and os.path.isfile(os.path.join(directory, f))]
    if LORA_WEIGHT_NAME in files:
        return LORA_WEIGHT_NAME
    return files[0] if len(files) == 1 else None


def lora_problem(lora_path: str, name: str) -> Optional[str]:
    """Why the directory <lora_path>/<name> is not a usable adapter, or None."""
    d = os.path.join(lora_path, name)
    if not LORA_NAME.match(name):
        return "the name must be letters, digits, '.', '_' and '-'"
    if not os.path.isdir(d):
        return "not a directory"
    weights = lora_weight_file(d)
    if weights is None:
        return f"needs {LORA_WEIGHT_NAME} or exactly one .safetensors file"
    size = os.path.getsize(os.path.join(d, weights))
    if size > LORA_BUDGET_BYTES:
        return f"{weights} is {size / GIB:.2f} GiB, more than the {memory.LORA_BUDGET_GIB} GiB kept for adapters"
    return None


def list_loras(lora_path: str) -> List[str]:
    """Adapters the server can load: directories holding one weights file
    that fits the LoRA budget."""
    if not os.path.isdir(lora_path):
        return []
    return [name for name in sorted(os.listdir(lora_path)) if lora_problem(lora_path, name) is None]


@dataclass
class LoadedLora:
    adapter: str  # the peft adapter name
    nbytes: int


class FluxEngine:
    """FLUX with LoRA on one CUDA GPU, through diffusers."""

    def __init__(self, settings):
        self.settings = settings
        self.pipe = None
        self.plan: Optional[memory.Plan] = None
        self.error = None
        self._loaded: "OrderedDict[str, LoadedLora]" = OrderedDict()  # LRU order
        self._adapters = 0
        self._lock = threading.Lock()

    def _choose_plan(self, vram: float, host: float, capability) -> memory.Plan:
        mode = self.settings.memory_mode
        if mode == "auto":
            return memory.choose_plan(vram, host, capability)
        plan = memory.plan_named(mode)
        why = memory.fits(plan, vram, host, capability)
        if why:
            raise memory.NoPlanFits(f"MEMORY_MODE={mode}: {why}; use MEMORY_MODE=auto")
        return plan

    def load(self) -> None:
        # Before diffusers is imported: huggingface_hub reads HF_HUB_OFFLINE once, at import.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch  # imported here: the HTTP layer and its tests need no GPU stack

        path = self.settings.base_model_path
        if not os.path.isfile(os.path.join(path, "model_index.json")):
            raise FileNotFoundError(f"no FLUX pipeline in {path} (model_index.json missing): sync the model bucket first")
        if not torch.cuda.is_available():
            raise RuntimeError("no CUDA GPU visible: run the container with --gpus all")
        props = torch.cuda.get_device_properties(0)
        vram, host = props.total_memory / GIB, host_memory_gib()
        plan = self._choose_plan(vram, host, (props.major, props.minor))
        log.info("memory plan", extra={"memory_plan": plan.name, "gpu": props.name, "gpu_total_gib": round(vram, 1), "host_gib": round(host, 1),
                                       "plan_vram_gib": round(plan.vram_gib(), 1), "plan_host_gib": round(plan.host_gib(), 1)})
        for name in sorted(os.listdir(self.settings.lora_path)) if os.path.isdir(self.settings.lora_path) else []:
            problem = lora_problem(self.settings.lora_path, name)
            if problem:
                log.warning("lora skipped", extra={"lora": name, "reason": problem})

        transformer = self._load_transformer(plan, path, torch)
        from diffusers import FluxPipeline

        # The other components land in host RAM (bf16), then all go to the GPU.
        pipe = FluxPipeline.from_pretrained(path, transformer=transformer, torch_dtype=torch.bfloat16, local_files_only=True)
        pipe.to("cuda")
        # Decoding above 1024 px in tiles keeps the VAE within ACTIVATIONS_GIB.
        pipe.enable_vae_tiling()
        pipe.set_progress_bar_config(disable=True)
        self.pipe, self.plan = pipe, plan
        log.info("pipeline loaded", extra={"memory_plan": plan.name, "model": path})

    @staticmethod
    def _load_transformer(plan: memory.Plan, path: str, torch):
        """The transformer, on the GPU, at the plan's precision. It is loaded
        alone first so that host RAM holds one large component at a time."""
        from diffusers import FluxTransformer2DModel

        if plan.precision_of("transformer") == "bf16":
            # Lands in host RAM in full (22.2 GiB), then moves to the GPU.
            transformer = FluxTransformer2DModel.from_pretrained(path, subfolder="transformer", torch_dtype=torch.bfloat16, local_files_only=True)
            return transformer.to("cuda")
        # NF4, pre-quantized: quantizing here would first merge the bf16
        # shards in host RAM (diffusers 0.32.2 ModelMixin.from_pretrained,
        # _merge_sharded_checkpoints), which a 16 GiB host cannot hold.
        sub = memory.NF4_TRANSFORMER_SUBFOLDER
        config = os.path.join(path, sub, "config.json")
        if not os.path.isfile(config):
            raise FileNotFoundError(
                f"the {plan.name} plan needs the pre-quantized transformer in {os.path.join(path, sub)}: "
                "create it once with `python -m app.quantize` on a host with enough RAM (see the role README) and sync it with the model"
            )
        with open(config, encoding="utf-8") as f:
            qc = json.load(f).get("quantization_config") or {}
        if not (qc.get("quant_method") == "bitsandbytes" and qc.get("load_in_4bit") and qc.get("bnb_4bit_quant_type") == "nf4"
                and qc.get("bnb_4bit_compute_dtype") == "bfloat16"):
            raise ValueError(f"{config}: expected a bitsandbytes 4-bit nf4 quantization_config computing in bfloat16, found {qc or 'none'}")
        # Loaded from its single file into host RAM (6.2 GiB), quantized weights straight to the GPU.
        return FluxTransformer2DModel.from_pretrained(path, subfolder=sub, torch_dtype=torch.bfloat16, local_files_only=True)

    def loras(self) -> List[str]:
        return list_loras(self.settings.lora_path)

    def adapter_ids(self) -> Dict[str, str]:
        """LoRA name -> the peft adapter name it is loaded under."""
        return {name: lora.adapter for name, lora in self._loaded.items()}

    def _use_lora(self, name: Optional[str], scale: float) -> None:
        pipe = self.pipe
        if name is None:
            if self._loaded:
                pipe.disable_lora()
            return
        if name not in self.loras():
            raise UnknownLora(name)
        if name not in self._loaded:
            directory = os.path.join(self.settings.lora_path, name)
            weights = lora_weight_file(directory)
            nbytes = os.path.getsize(os.path.join(directory, weights))
            while self._loaded and (len(self._loaded) >= self.settings.lora_cache
                                    or sum(lora.nbytes for lora in self._loaded.values()) + nbytes > LORA_BUDGET_BYTES):
                old, lora = self._loaded.popitem(last=False)
                pipe.delete_adapters(lora.adapter)
                log.info("lora unloaded", extra={"lora": old})
            # peft keeps adapters in nn.ModuleDict: a key may not contain "."
            # (torch Module.add_module), and a reloaded adapter needs a name
            # not in use; a counter gives both.
            self._adapters += 1
            adapter = f"lora{self._adapters}_" + re.sub(r"[^A-Za-z0-9_-]", "_", name)
            pipe.load_lora_weights(directory, weight_name=weights, adapter_name=adapter, local_files_only=True)
            self._loaded[name] = LoadedLora(adapter, nbytes)
            log.info("lora loaded", extra={"lora": name, "adapter": adapter, "mb": nbytes // 2**20})
        self._loaded.move_to_end(name)
        # disable_lora (base model requests) sticks until enable_lora: set_adapters alone does not re-enable.
        pipe.enable_lora()
        pipe.set_adapters([self._loaded[name].adapter], adapter_weights=[scale])

    def generate(self, params: GenerateParams) -> bytes:
        import torch

        with self._lock:
            self._use_lora(params.lora, params.lora_scale)
            generator = torch.Generator(device="cpu").manual_seed(params.seed)
            image = self.pipe(
                prompt=params.prompt,
                num_inference_steps=params.steps,
                guidance_scale=params.guidance,
                width=params.width,
                height=params.height,
                generator=generator,
            ).images[0]
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()

    def status(self) -> Dict:
        out = {"ready": self.pipe is not None, "memory_plan": self.plan.name if self.plan else None, "loras_loaded": list(self._loaded)}
        if self.plan:
            out["plan"] = {
                "precision": dict(self.plan.precision),
                "vram_gib": round(self.plan.vram_gib(), 1),
                "host_gib": round(self.plan.host_gib(), 1),
            }
        if self.error:
            out["error"] = self.error
        try:
            import torch

            if torch.cuda.is_available():
                props = torch.cuda.get_device_properties(0)
                free, total = torch.cuda.mem_get_info(0)
                out["gpu"] = {
                    "name": props.name,
                    "total_mb": total // 2**20,
                    "free_mb": free // 2**20,
                    "allocated_mb": torch.cuda.memory_allocated(0) // 2**20,
                    "reserved_mb": torch.cuda.memory_reserved(0) // 2**20,
                }
        except Exception as e:  # noqa: BLE001 - health must answer even if CUDA does not
            out["gpu_error"] = str(e)
        return out
