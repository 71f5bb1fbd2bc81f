"""The GPU side: a FLUX pipeline with switchable LoRA adapters.

`Engine` is what the HTTP layer needs; `FluxEngine` implements it with
diffusers. Everything is loaded from the local model directory: the Hugging
Face Hub is switched off (HF_HUB_OFFLINE=1) and every from_pretrained call
passes local_files_only=True, so a missing file is an error, never a
download.
"""

import io
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol

log = logging.getLogger("engine")

# A LoRA adapter's name: a directory under <model_dir>/loras.
LORA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

GIB = 1024**3


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


def choose_memory_mode(total_gib: float) -> str:
    """Pick a memory mode for a GPU of total_gib memory.

    - bf16: the whole pipeline on the GPU (FLUX.1 needs ~34 GB): 40 GB+.
    - offload: bf16 weights, model CPU offload (one component on the GPU at
      a time; the 12B transformer is the peak): 24 GB class.
    - nf4: transformer quantized to 4-bit NF4 (bitsandbytes) plus model
      offload: 16 GB class, slightly lower quality.
    - sequential: layer-by-layer offload: anything smaller, slowest.
    """
    if total_gib >= 38:
        return "bf16"
    if total_gib >= 22:
        return "offload"
    if total_gib >= 14:
        return "nf4"
    return "sequential"


def list_loras(lora_path: str) -> List[str]:
    """Adapters are directories holding at least one .safetensors file."""
    if not os.path.isdir(lora_path):
        return []
    names = []
    for name in sorted(os.listdir(lora_path)):
        d = os.path.join(lora_path, name)
        if LORA_NAME.match(name) and os.path.isdir(d) and any(f.endswith(".safetensors") for f in os.listdir(d)):
            names.append(name)
    return names


class FluxEngine:
    """FLUX with LoRA on one CUDA GPU, through diffusers."""

    def __init__(self, settings):
        self.settings = settings
        self.pipe = None
        self.mode = None
        self.error = None
        self._loaded = OrderedDict()  # adapter name -> True, LRU order
        self._lock = threading.Lock()

    def load(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch  # imported here: the HTTP layer and its tests need no GPU stack
        from diffusers import FluxPipeline

        path = self.settings.base_model_path
        if not os.path.isfile(os.path.join(path, "model_index.json")):
            raise FileNotFoundError(f"no FLUX pipeline in {path} (model_index.json missing): sync the model bucket first")
        if not torch.cuda.is_available():
            raise RuntimeError("no CUDA GPU visible: run the container with --gpus all")
        total = torch.cuda.get_device_properties(0).total_memory / GIB
        mode = self.settings.memory_mode
        if mode == "auto":
            mode = choose_memory_mode(total)
        kwargs = {"torch_dtype": torch.bfloat16, "local_files_only": True}
        if mode == "nf4":
            from diffusers import BitsAndBytesConfig, FluxTransformer2DModel

            kwargs["transformer"] = FluxTransformer2DModel.from_pretrained(
                path,
                subfolder="transformer",
                quantization_config=BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
                ),
                torch_dtype=torch.bfloat16,
                local_files_only=True,
            )
        pipe = FluxPipeline.from_pretrained(path, **kwargs)
        if mode == "bf16":
            pipe.to("cuda")
        elif mode in ("offload", "nf4"):
            pipe.enable_model_cpu_offload()
        else:
            pipe.enable_sequential_cpu_offload()
        pipe.set_progress_bar_config(disable=True)
        self.pipe, self.mode = pipe, mode
        log.info("pipeline loaded", extra={"memory_mode": mode, "gpu_total_gib": round(total, 1), "model": path})

    def loras(self) -> List[str]:
        return list_loras(self.settings.lora_path)

    def _use_lora(self, name: Optional[str], scale: float) -> None:
        pipe = self.pipe
        if name is None:
            if self._loaded:
                pipe.disable_lora()
            return
        if name not in self.loras():
            raise UnknownLora(name)
        if name not in self._loaded:
            while len(self._loaded) >= self.settings.lora_cache:
                old, _ = self._loaded.popitem(last=False)
                pipe.delete_adapters(old)
                log.info("lora unloaded", extra={"lora": old})
            pipe.load_lora_weights(os.path.join(self.settings.lora_path, name), adapter_name=name, local_files_only=True)
            log.info("lora loaded", extra={"lora": name})
        self._loaded[name] = True
        self._loaded.move_to_end(name)
        pipe.enable_lora()
        pipe.set_adapters([name], adapter_weights=[scale])

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
        out = {"ready": self.pipe is not None, "memory_mode": self.mode, "loras_loaded": list(self._loaded)}
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
