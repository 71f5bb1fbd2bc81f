"""The GPU side: a FLUX pipeline with switchable LoRA adapters.

`Engine` is what the HTTP layer needs; `FluxEngine` implements it with
diffusers 0.32.2. Everything is loaded from the local model directory: the
Hugging Face Hub is switched off (HF_HUB_OFFLINE=1) and every from_pretrained
and load_lora_weights call passes local_files_only=True, so a missing file
is an error, never a download.

How much of the pipeline runs at which precision is a memory plan
(app/memory.py), chosen from the GPU's memory, its bf16 support and the
host's RAM; a machine no plan fits is refused before anything loads.

Nothing loads that its manifest (app/manifest.py) does not vouch for: the
model version's manifest must be the promoted one (MODEL_MANIFEST_SHA256),
every file of the version must be there at its size, and every file the
plan loads must have its SHA-256; an adapter's weights are hashed against
its manifest before they load. A missing or damaged file fails the load
naming the file.
"""

import io
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol

from . import loras as lora_rules
from . import manifest, memory
from .loras import LORA_NAME, LORA_WEIGHT_NAME  # noqa: F401 - the HTTP layer's and the tests' names

log = logging.getLogger("engine")

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


class DamagedLora(UnknownLora):
    """The adapter's weights do not match its manifest: not loaded."""


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


LORA_BUDGET_BYTES = lora_rules.MAX_BYTES
lora_weight_file = lora_rules.weight_file
lora_problem = lora_rules.problem


def list_loras(lora_path: str) -> List[str]:
    """Adapters the server can load: directories holding one weights file
    that fits the LoRA budget, is a LoRA checkpoint and is in its manifest
    (app/loras.py)."""
    if not os.path.isdir(lora_path):
        return []
    return [name for name in sorted(os.listdir(lora_path)) if lora_problem(lora_path, name) is None]


@dataclass
class LoadedLora:
    adapter: str  # the peft adapter name
    nbytes: int
    sha256: str  # the weights' digest: another means the adapter was replaced


class FluxEngine:
    """FLUX with LoRA on one CUDA GPU, through diffusers."""

    def __init__(self, settings):
        self.settings = settings
        self.pipe = None
        self.plan: Optional[memory.Plan] = None
        self.manifest: Optional[manifest.Manifest] = None
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
        self.manifest = self._verify(path, plan)
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

    def _verify(self, path: str, plan: memory.Plan) -> manifest.Manifest:
        """The version's manifest, after checking it is the promoted one,
        that the plan can load the version, that every file is there at
        its size and that every file the plan loads has its SHA-256."""
        started = time.monotonic()
        try:
            m = manifest.load(os.path.join(path, manifest.MANIFEST))
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no {manifest.MANIFEST} in {path}: the model sync writes it last, after checking every file; "
                "sync the version again (ansible site.yml)"
            ) from None
        want = self.settings.manifest_sha256
        if want and m.digest() != want:
            raise manifest.ManifestError(
                f"{path}/{manifest.MANIFEST} has SHA-256 {m.digest()}, not the promoted {want} (MODEL_MANIFEST_SHA256): sync the promoted version"
            )
        why = manifest.plan_problem(m, plan)
        if why:
            raise manifest.ManifestError(why + f"; it can load: {', '.join(manifest.plans(m)) or 'nothing'}")
        hashed = manifest.plan_files(m, plan)
        manifest.check(path, m, hash_paths=hashed)
        log.info("model verified", extra={"model": m.name, "manifest_sha256": m.digest(), "files": len(m.files),
                                          "hashed_gib": round(sum(m.files[p].size for p in hashed) / GIB, 2),
                                          "seconds": round(time.monotonic() - started, 1)})
        return m

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

    def _unload(self, name: str, why: str) -> None:
        lora = self._loaded.pop(name)
        self.pipe.delete_adapters(lora.adapter)
        log.info("lora unloaded", extra={"lora": name, "reason": why})

    def _use_lora(self, name: Optional[str], scale: float) -> None:
        pipe = self.pipe
        available = self.loras()
        # Withdrawn adapters leave the GPU at the next request.
        for gone in [n for n in self._loaded if n not in available]:
            self._unload(gone, "withdrawn")
        if name is None:
            if self._loaded:
                pipe.disable_lora()
            return
        if name not in available:
            raise UnknownLora(name)
        directory = os.path.join(self.settings.lora_path, name)
        weights = lora_weight_file(directory)
        entry = manifest.load(os.path.join(directory, manifest.MANIFEST)).files[weights]
        if name in self._loaded and self._loaded[name].sha256 != entry.sha256:
            # Published again under the same name: the new weights, no restart.
            self._unload(name, "replaced")
        if name not in self._loaded:
            nbytes = os.path.getsize(os.path.join(directory, weights))
            if manifest.sha256_file(os.path.join(directory, weights)) != entry.sha256:
                log.error("lora damaged", extra={"lora": name, "file": weights})
                raise DamagedLora(f"{name}: {weights} does not match its manifest (SHA-256)")
            while self._loaded and (len(self._loaded) >= self.settings.lora_cache
                                    or sum(lora.nbytes for lora in self._loaded.values()) + nbytes > LORA_BUDGET_BYTES):
                old = next(iter(self._loaded))
                self._unload(old, "least recently used")
            # peft keeps adapters in nn.ModuleDict: a key may not contain "."
            # (torch Module.add_module), and a reloaded adapter needs a name
            # not in use; a counter gives both.
            self._adapters += 1
            adapter = f"lora{self._adapters}_" + re.sub(r"[^A-Za-z0-9_-]", "_", name)
            pipe.load_lora_weights(directory, weight_name=weights, adapter_name=adapter, local_files_only=True)
            self._loaded[name] = LoadedLora(adapter, nbytes, entry.sha256)
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
        if self.manifest:
            out["model"] = {"version": self.manifest.name, "manifest_sha256": self.manifest.digest()}
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
