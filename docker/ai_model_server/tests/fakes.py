"""Fakes of torch and diffusers 0.32.2 for the engine tests (there is no GPU
here, and neither torch nor diffusers is installed).

They are not mocks that accept anything: each enforces a rule of the real
libraries at the versions requirements.txt pins, read from their source and
cited below, so that a call the real library would refuse fails a test:

- memory: a Machine accounts host RAM and GPU memory with the sizes of
  app/memory.py; loading more than the host holds raises HostOOM (the kernel
  would kill the server), more than the GPU holds raises CudaOOM;
- where a model lands while loading (diffusers models/modeling_utils.py
  ModelMixin.from_pretrained): without quantization, in host RAM in full;
  quantized at load time from a sharded checkpoint, every shard merged in
  host RAM first (_merge_sharded_checkpoints); pre-quantized (a
  quantization_config in config.json), from the file to the GPU;
  device_map with quantization raises NotImplementedError;
- without torch_dtype a model loads in fp32 (twice the bf16 size);
- offline loading (pipelines/pipeline_utils.py DiffusionPipeline.from_pretrained,
  huggingface_hub): a local directory needs model_index.json and each
  component's folder; a name that is not a local directory needs the Hub,
  which offline mode refuses;
- LoRA (loaders/lora_pipeline.py FluxLoraLoaderMixin.load_lora_weights and
  loaders/lora_base.py): without weight_name, local_files_only=True or
  HF_HUB_OFFLINE=1 (read once, when diffusers is first imported, as
  huggingface_hub.constants does) raise "When using the offline mode, you
  must specify a `weight_name`."; a weight_name that is not in the directory
  raises EnvironmentError; a checkpoint without "lora" keys is invalid; an
  adapter name already loaded raises ValueError (loaders/peft.py
  load_lora_adapter); peft keeps adapters in nn.ModuleDict, whose keys may
  not contain "." nor be empty nor shadow a ModuleDict attribute (torch
  Module.add_module); set_adapters refuses names that are not loaded; a
  disabled LoRA stays disabled until enable_lora (peft set_adapter does not
  re-enable); deleting the active adapter activates another one that is
  still loaded (peft BaseTunerLayer.delete_adapter).
"""

import json
import os
import struct
import types
from typing import Dict, Optional

from app import manifest, memory

GIB = memory.GIB


class HostOOM(MemoryError):
    """Host RAM exhausted: on the server the kernel's OOM killer ends the process."""


class CudaOOM(RuntimeError):
    """torch.OutOfMemoryError: CUDA out of memory."""


class Machine:
    """A GPU host: its GPU memory and the host RAM the server may use."""

    def __init__(self, gpu: memory.GPUClass):
        self.gpu = gpu
        self.vram_total = int(gpu.vram_gib * GIB)
        # The server gets the instance's RAM minus what the OS keeps and
        # what the Python/torch/CUDA runtime itself takes.
        self.host_total = int((gpu.host_gib - memory.HOST_RESERVED_GIB - memory.RUNTIME_HOST_GIB) * GIB)
        self.vram = int(memory.CUDA_CONTEXT_GIB * GIB)  # the context, from the first CUDA call
        self.host = 0
        self.peak_vram = self.vram
        self.peak_host = 0

    def alloc(self, where: str, nbytes: int, what: str) -> None:
        if where == "cuda":
            if self.vram + nbytes > self.vram_total:
                raise CudaOOM(
                    f"CUDA out of memory: {what} needs {nbytes / GIB:.2f} GiB, "
                    f"{self.vram / GIB:.2f} of {self.vram_total / GIB:.2f} GiB in use ({self.gpu.gpu})"
                )
            self.vram += nbytes
            self.peak_vram = max(self.peak_vram, self.vram)
        else:
            if self.host + nbytes > self.host_total:
                raise HostOOM(
                    f"host out of memory: {what} needs {nbytes / GIB:.2f} GiB in RAM, "
                    f"{self.host / GIB:.2f} of {self.host_total / GIB:.2f} GiB in use ({self.gpu.instance_type})"
                )
            self.host += nbytes
            self.peak_host = max(self.peak_host, self.host)

    def free(self, where: str, nbytes: int) -> None:
        if where == "cuda":
            self.vram -= nbytes
        else:
            self.host -= nbytes


# --- torch -----------------------------------------------------------------


class _Generator:
    def __init__(self, device="cpu"):
        self.device, self.seed = device, None

    def manual_seed(self, seed):
        self.seed = seed
        return self


def make_torch(machine: Machine) -> types.ModuleType:
    torch = types.ModuleType("torch")
    torch.bfloat16 = "torch.bfloat16"
    torch.float16 = "torch.float16"
    torch.float32 = "torch.float32"
    torch.OutOfMemoryError = CudaOOM
    torch.Generator = _Generator
    props = types.SimpleNamespace(
        name=machine.gpu.gpu,
        total_memory=machine.vram_total,
        major=machine.gpu.capability[0],
        minor=machine.gpu.capability[1],
    )
    torch.cuda = types.SimpleNamespace(
        is_available=lambda: True,
        get_device_properties=lambda i: props,
        mem_get_info=lambda i=0: (machine.vram_total - machine.vram, machine.vram_total),
        memory_allocated=lambda i=0: machine.vram,
        memory_reserved=lambda i=0: machine.vram,
        current_device=lambda: 0,
    )
    return torch


# --- safetensors -------------------------------------------------------------


def write_safetensors(path, tensors: Dict[str, list], pad_to: int = 0) -> None:
    """A valid safetensors file (safetensors 0.5.2 would open it: 8-byte
    header length, JSON header, contiguous tensors ending at the end of the
    file): tensors maps names to shapes, all BF16 zeros; pad_to grows the
    data to that many bytes with a U8 tensor "padding" (sparse on disk)."""
    header, offset = {}, 0
    for name, shape in tensors.items():
        n = 2
        for d in shape:
            n *= d
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    if pad_to > offset:
        header["padding"] = {"dtype": "U8", "shape": [pad_to - offset], "data_offsets": [offset, pad_to]}
        offset = pad_to
    blob = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob)
        f.truncate(8 + len(blob) + offset)


def read_safetensors_keys(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return list(header)


# --- diffusers ---------------------------------------------------------------


# torch.nn.ModuleDict's own attributes: an adapter named like one of them
# cannot be a key (Module.add_module: "attribute '...' already exists").
_MODULEDICT_ATTRS = {"clear", "items", "keys", "pop", "update", "values", "forward", "training", "eval", "train", "to", "cuda", "cpu", "type", "half", "float", "apply", "state_dict"}


def _check_adapter_name(name: str) -> None:
    # torch/nn/modules/module.py Module.add_module, reached through peft's
    # nn.ModuleDict({adapter_name: ...}) (peft tuners/lora/layer.py update_layer).
    if not isinstance(name, str):
        raise TypeError(f"module name should be a string. Got {type(name).__name__}")
    if name in _MODULEDICT_ATTRS:
        raise KeyError(f"attribute '{name}' already exists")
    if "." in name:
        raise KeyError(f"module name can't contain \".\", got: {name}")
    if name == "":
        raise KeyError("module name can't be empty string \"\"")


class FakeModel:
    """A loaded component: its precision, size and device."""

    def __init__(self, machine: Machine, name: str, precision: str, device: str):
        self.machine, self.name, self.precision, self.device = machine, name, precision, device
        comp = memory.COMPONENTS[name]
        self.nbytes = 2 * comp.nbytes("bf16") if precision == "fp32" else comp.nbytes(precision)
        self.is_loaded_in_4bit = precision == "nf4"
        self.tiling = False

    def to(self, device, dtype=None):
        device = str(device)
        if device.startswith("cuda"):
            device = "cuda"
        if device != self.device:
            self.machine.alloc(device, self.nbytes, f"{self.name} ({self.precision})")
            self.machine.free(self.device, self.nbytes)
            self.device = device
        return self

    def enable_tiling(self):
        self.tiling = True


def _sharded(folder: str) -> bool:
    return any(f.endswith(".safetensors.index.json") for f in os.listdir(folder))


def _import_diffusers(machine: Machine) -> Dict[str, object]:
    """What `import diffusers` gives; HF_HUB_OFFLINE is read now, once, as
    huggingface_hub/constants.py does at import time."""
    hub_offline = os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")
    calls = []

    def hub_refuses(what):
        return OSError(
            f"We couldn't connect to 'https://huggingface.co' to load {what}: offline mode is enabled (HF_HUB_OFFLINE=1) "
            "or local_files_only=True, and it is not a local directory"
        )

    class BitsAndBytesConfig:
        def __init__(self, load_in_8bit=False, load_in_4bit=False, bnb_4bit_quant_type="fp4", bnb_4bit_compute_dtype=None, **kwargs):
            if load_in_4bit and load_in_8bit:
                raise ValueError("load_in_4bit and load_in_8bit are both True, but only one can be used at the same time")
            self.load_in_4bit, self.load_in_8bit = load_in_4bit, load_in_8bit
            self.bnb_4bit_quant_type, self.bnb_4bit_compute_dtype = bnb_4bit_quant_type, bnb_4bit_compute_dtype

    class FluxTransformer2DModel(FakeModel):
        @classmethod
        def from_pretrained(cls, path, subfolder=None, torch_dtype=None, quantization_config=None, device_map=None, local_files_only=None, **kwargs):
            calls.append(("FluxTransformer2DModel.from_pretrained", path, subfolder, dict(torch_dtype=torch_dtype, quantization_config=quantization_config, device_map=device_map, local_files_only=local_files_only, **kwargs)))
            if not os.path.isdir(path):
                if local_files_only or hub_offline:
                    raise hub_refuses(path)
                raise AssertionError("the test would download from the Hub")
            folder = os.path.join(path, subfolder or "")
            config_file = os.path.join(folder, "config.json")
            if not os.path.isfile(config_file):
                raise EnvironmentError(f"Error no file named config.json found in directory {folder}.")
            with open(config_file, encoding="utf-8") as f:
                config = json.load(f)
            pre_quantized = config.get("quantization_config") is not None
            if (pre_quantized or quantization_config is not None) and device_map is not None:
                raise NotImplementedError("Currently, providing `device_map` is not supported for quantized models.")
            comp = memory.COMPONENTS["transformer"]
            if pre_quantized:
                qc = config["quantization_config"]
                if not (qc.get("quant_method") == "bitsandbytes" and qc.get("load_in_4bit") and qc.get("bnb_4bit_quant_type") == "nf4"):
                    raise AssertionError(f"the fake knows bitsandbytes NF4 only, not {qc}")
                size = comp.nbytes("nf4")
                # load_state_dict(model_file) in host RAM, then every parameter to the GPU
                machine.alloc("cpu", size, "transformer NF4 state dict")
                machine.alloc("cuda", size, "transformer (nf4)")
                machine.free("cpu", size)
                return cls(machine, "transformer", "nf4", "cuda")
            if quantization_config is not None:
                if _sharded(folder):
                    # _merge_sharded_checkpoints: the whole bf16 checkpoint in one dict
                    machine.alloc("cpu", comp.nbytes("bf16"), "transformer shards merged for quantization")
                    machine.free("cpu", comp.nbytes("bf16"))
                machine.alloc("cuda", comp.nbytes("nf4"), "transformer (nf4)")
                return cls(machine, "transformer", "nf4", "cuda")
            precision = "bf16" if torch_dtype == "torch.bfloat16" else "fp32"
            model = cls.__new__(cls)
            FakeModel.__init__(model, machine, "transformer", precision, "cpu")
            machine.alloc("cpu", model.nbytes, f"transformer ({precision})")
            return model

        def save_pretrained(self, directory, **kwargs):
            calls.append(("FluxTransformer2DModel.save_pretrained", directory, kwargs))
            os.makedirs(directory, exist_ok=True)
            qc = {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": "bfloat16"}
            with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
                json.dump({"_class_name": "FluxTransformer2DModel", "quantization_config": qc}, f)
            write_safetensors(os.path.join(directory, "diffusion_pytorch_model.safetensors"), {"x": [1]})

    class FluxPipeline:
        # model_cpu_offload_seq of pipelines/flux/pipeline_flux.py
        MODULES = ("text_encoder", "text_encoder_2", "transformer", "vae")
        OTHERS = ("tokenizer", "tokenizer_2", "scheduler")

        @classmethod
        def from_pretrained(cls, path, torch_dtype=None, local_files_only=None, device_map=None, **kwargs):
            calls.append(("FluxPipeline.from_pretrained", path, dict(torch_dtype=torch_dtype, local_files_only=local_files_only, device_map=device_map, **kwargs)))
            if device_map is not None and device_map != "balanced":
                raise NotImplementedError(f"{device_map} not supported. Supported strategies are: balanced")
            if not os.path.isdir(path):
                if local_files_only or hub_offline:
                    raise hub_refuses(path)
                raise AssertionError("the test would download from the Hub")
            if not os.path.isfile(os.path.join(path, "model_index.json")):
                raise EnvironmentError(f"Error no file named model_index.json found in directory {path}.")
            pipe = cls()
            for name in cls.MODULES + cls.OTHERS:
                if name in kwargs:
                    setattr(pipe, name, kwargs[name])
                    continue
                if not os.path.isdir(os.path.join(path, name)):
                    raise EnvironmentError(f"Error no file named config.json found in directory {os.path.join(path, name)}.")
                if name in cls.MODULES:
                    precision = "bf16" if torch_dtype == "torch.bfloat16" else "fp32"
                    model = FakeModel(machine, name, precision, "cpu")
                    machine.alloc("cpu", model.nbytes, f"{name} ({precision})")
                    setattr(pipe, name, model)
                else:
                    setattr(pipe, name, object())
            return pipe

        def __init__(self):
            self.offload = None
            self.peft_config = {}  # adapter name -> bytes on the GPU
            self.active = []
            self.weights = {}
            self.lora_enabled = True
            self.images = []

        # -- placement
        def to(self, device):
            if self.offload == "sequential" and str(device).startswith("cuda"):
                raise ValueError("It seems like you have activated sequential model offloading by calling `enable_sequential_cpu_offload`, but are now attempting to move the pipeline to GPU.")
            for name in self.MODULES:
                getattr(self, name).to(device)
            return self

        def enable_model_cpu_offload(self):
            self.offload = "model"
            for name in self.MODULES:
                getattr(self, name).to("cpu")

        def enable_sequential_cpu_offload(self):
            self.offload = "sequential"
            for name in self.MODULES:
                getattr(self, name).to("cpu")

        def enable_vae_tiling(self):
            self.vae.enable_tiling()

        def set_progress_bar_config(self, **kwargs):
            pass

        # -- LoRA
        def load_lora_weights(self, pretrained_model_name_or_path_or_dict, adapter_name=None, **kwargs):
            calls.append(("load_lora_weights", pretrained_model_name_or_path_or_dict, adapter_name, dict(kwargs)))
            local_files_only = kwargs.pop("local_files_only", None)
            weight_name = kwargs.pop("weight_name", None)
            subfolder = kwargs.pop("subfolder", None)
            # lora_state_dict pops the keywords it knows and ignores the rest
            src = pretrained_model_name_or_path_or_dict
            if isinstance(src, dict):
                keys, nbytes = list(src), 0
            else:
                if weight_name is None:
                    # lora_base.py _best_guess_weight_name
                    if local_files_only or hub_offline:
                        raise ValueError("When using the offline mode, you must specify a `weight_name`.")
                    if not os.path.isdir(src):
                        raise AssertionError("the test would ask the Hub for the file list")
                    candidates = [f for f in os.listdir(src) if f.endswith(".safetensors")]
                    candidates = [f for f in candidates if not any(s in f for s in ("scheduler", "optimizer", "checkpoint"))]
                    if any(f.endswith("pytorch_lora_weights.safetensors") for f in candidates):
                        candidates = [f for f in candidates if f.endswith("pytorch_lora_weights.safetensors")]
                    if len(candidates) > 1:
                        raise ValueError(f"Provided path contains more than one weights file in the .safetensors format. Either specify `weight_name` in `load_lora_weights` or make sure there's only one  `.safetensors` or `.bin` file in  {src}.")
                    weight_name = candidates[0] if candidates else None
                if not os.path.isdir(src):
                    if local_files_only or hub_offline:
                        raise hub_refuses(src)
                    raise AssertionError("the test would download from the Hub")
                file = os.path.join(src, subfolder or "", weight_name or "pytorch_lora_weights.safetensors")
                if not os.path.isfile(file):
                    raise EnvironmentError(f"Error no file named {os.path.basename(file)} found in directory {src}.")
                keys, nbytes = read_safetensors_keys(file), os.path.getsize(file)
            if not any("lora" in k for k in keys):
                raise ValueError("Invalid LoRA checkpoint.")
            if not any(k.startswith("transformer.") and "lora" in k for k in keys):
                return  # nothing for the transformer (text encoder LoRA is out of scope here)
            if adapter_name is None:
                adapter_name = f"default_{len(self.peft_config)}"
            if adapter_name in self.peft_config:
                raise ValueError(f"Adapter name {adapter_name} already in use in the model - please select a new adapter name.")
            _check_adapter_name(adapter_name)
            machine.alloc(self.transformer.device, nbytes, f"LoRA {adapter_name}")
            self.peft_config[adapter_name] = nbytes

        def get_list_adapters(self):
            return {"transformer": list(self.peft_config)} if self.peft_config else {}

        def set_adapters(self, adapter_names, adapter_weights=None):
            names = [adapter_names] if isinstance(adapter_names, str) else list(adapter_names)
            weights = adapter_weights if isinstance(adapter_weights, list) else [adapter_weights] * len(names)
            if len(names) != len(weights):
                raise ValueError(f"Length of adapter names {len(names)} is not equal to the length of the weights {len(weights)}")
            missing = set(names) - set(self.peft_config)
            if missing:
                raise ValueError(f"Adapter name(s) {missing} not in the list of present adapters: {set(self.peft_config)}.")
            self.active = names
            self.weights = {n: (1.0 if w is None else w) for n, w in zip(names, weights)}

        def enable_lora(self):
            self.lora_enabled = True

        def disable_lora(self):
            self.lora_enabled = False

        def delete_adapters(self, adapter_names):
            for name in [adapter_names] if isinstance(adapter_names, str) else adapter_names:
                if name in self.peft_config:
                    machine.free(self.transformer.device, self.peft_config.pop(name))
                if name in self.active:
                    self.active = [a for a in self.active if a != name]
                    if not self.active and self.peft_config:
                        self.active = [next(iter(self.peft_config))]

        def get_active_adapters(self):
            return list(self.active)

        # -- generation
        def __call__(self, prompt, num_inference_steps=28, guidance_scale=3.5, width=1024, height=1024, generator=None, **kwargs):
            if self.offload is None:
                stray = [n for n in self.MODULES if getattr(self, n).device != "cuda"]
                if stray:
                    raise RuntimeError(f"Expected all tensors to be on the same device, but {', '.join(stray)} is on the CPU")
            largest = max(getattr(self, n).nbytes for n in self.MODULES) if self.offload else 0
            activations = int(memory.ACTIVATIONS_GIB * GIB) + largest
            machine.alloc("cuda", activations, f"activations at {width}x{height}")
            machine.free("cuda", activations)
            lora = {n: self.weights.get(n, 1.0) for n in self.active} if self.lora_enabled else {}
            self.images.append({"prompt": prompt, "lora": lora, "steps": num_inference_steps, "size": (width, height), "seed": generator.seed if generator else None})
            from PIL import Image  # only the model server's root has Pillow; the model tree tools need none

            return types.SimpleNamespace(images=[Image.new("RGB", (width, height))])

    return {
        "BitsAndBytesConfig": BitsAndBytesConfig,
        "FluxTransformer2DModel": FluxTransformer2DModel,
        "FluxPipeline": FluxPipeline,
        "calls": calls,
        "hub_offline": hub_offline,
    }


class FakeDiffusers(types.ModuleType):
    """sys.modules["diffusers"]: "imported" on first attribute access."""

    def __init__(self, machine: Machine):
        super().__init__("diffusers")
        self._machine = machine
        self._contents: Optional[Dict[str, object]] = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._contents is None:
            self._contents = _import_diffusers(self._machine)
        try:
            return self._contents[name]
        except KeyError:
            raise AttributeError(f"module 'diffusers' has no attribute {name!r}") from None


# FLUX.1-dev in the diffusers layout, file by file, as the Hub holds it
# (black-forest-labs/FLUX.1-dev: the pipeline's folders; the single-file
# checkpoints at its root are not part of it), with tiny contents.
FLUX_FILES = (
    "model_index.json",
    "scheduler/scheduler_config.json",
    "text_encoder/config.json",
    "text_encoder/model.safetensors",
    "text_encoder_2/config.json",
    "text_encoder_2/model-00001-of-00002.safetensors",
    "text_encoder_2/model-00002-of-00002.safetensors",
    "text_encoder_2/model.safetensors.index.json",
    "tokenizer/merges.txt",
    "tokenizer/special_tokens_map.json",
    "tokenizer/tokenizer_config.json",
    "tokenizer/vocab.json",
    "tokenizer_2/special_tokens_map.json",
    "tokenizer_2/spiece.model",
    "tokenizer_2/tokenizer.json",
    "tokenizer_2/tokenizer_config.json",
    "transformer/config.json",
    "transformer/diffusion_pytorch_model-00001-of-00003.safetensors",
    "transformer/diffusion_pytorch_model-00002-of-00003.safetensors",
    "transformer/diffusion_pytorch_model-00003-of-00003.safetensors",
    "transformer/diffusion_pytorch_model.safetensors.index.json",
    "vae/config.json",
    "vae/diffusion_pytorch_model.safetensors",
)
NF4_FILES = (
    memory.NF4_TRANSFORMER_SUBFOLDER + "/config.json",
    memory.NF4_TRANSFORMER_SUBFOLDER + "/diffusion_pytorch_model.safetensors",
)
NF4_CONFIG = {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": "bfloat16"}


def write_flux_file(flux, path, big=0):
    """One file of FLUX_FILES or NF4_FILES under flux, with a content of its
    kind; big pads the last transformer shard to that many bytes (so that
    an upload crosses the AWS CLI's multipart threshold)."""
    p = os.path.join(flux, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    folder, name = os.path.split(path)
    if path.endswith(".safetensors"):
        pad = big if path.endswith("00003-of-00003.safetensors") else 0
        write_safetensors(p, {f"{folder}.{name}.weight": [4, 4]}, pad_to=pad)
        return
    if name == "model_index.json":
        doc = {"_class_name": "FluxPipeline", "_diffusers_version": "0.32.2"}
    elif folder == memory.NF4_TRANSFORMER_SUBFOLDER and name == "config.json":
        doc = {"_class_name": "FluxTransformer2DModel", "quantization_config": NF4_CONFIG}
    elif name.endswith(".index.json"):
        doc = {"weight_map": {}}
    elif name.endswith(".json"):
        doc = {"_name_or_path": folder}
    else:  # merges.txt, spiece.model
        with open(p, "wb") as f:
            f.write(path.encode() + b"\n")
        return
    with open(p, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def make_flux_tree(flux, nf4=True, sharded=True, big=0):
    """FLUX.1-dev in the diffusers layout under flux (no manifest)."""
    for path in FLUX_FILES:
        if not sharded and path.endswith(".index.json"):
            continue
        write_flux_file(flux, path, big=big)
    for path in NF4_FILES if nf4 else ():
        write_flux_file(flux, path)
    return flux


def write_manifest(directory, kind, name, source=None):
    """directory's manifest.json, as scripts/models.py writes it."""
    m = manifest.make(directory, kind, name, source or {"test": "tests/fakes.py"}, {"by": "tests", "at": "2025-01-01T00:00:00Z"})
    with open(os.path.join(directory, manifest.MANIFEST), "wb") as f:
        f.write(m.dumps())
    return m


def make_lora(directory, files, with_manifest=True):
    """One adapter directory: files maps a name to bytes or to
    {"tensors": …, "pad_to": …} (a safetensors file)."""
    os.makedirs(directory, exist_ok=True)
    for fname, content in files.items():
        if isinstance(content, bytes):
            with open(os.path.join(directory, fname), "wb") as f:
                f.write(content)
        else:
            write_safetensors(os.path.join(directory, fname), content.get("tensors", {}), pad_to=content.get("pad_to", 0))
    if with_manifest and files:
        write_manifest(directory, "lora", os.path.basename(directory))


def make_model_dir(root, loras=None, nf4=True, sharded=True, with_manifest=True):
    """A FLUX.1-dev directory in the diffusers layout, with tiny files and
    its manifest (as the model sync leaves it), and LoRA adapters under
    loras/<name>/ (loras maps a name to its files), each with its manifest."""
    flux = make_flux_tree(os.path.join(root, "flux"), nf4=nf4, sharded=sharded)
    if with_manifest:
        write_manifest(flux, "base", "flux-1-dev-test")
    for name, files in (loras or {}).items():
        make_lora(os.path.join(root, "loras", name), files)
    return flux


LORA_TENSORS = {
    "transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight": [16, 3072],
    "transformer.single_transformer_blocks.0.attn.to_q.lora_B.weight": [3072, 16],
}
