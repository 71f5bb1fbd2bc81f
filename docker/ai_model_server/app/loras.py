"""LoRA adapters: what the server accepts, in one place for the server
(app/engine.py lists and loads them), the upload (scripts/models.py lora
upload refuses what the server would not list) and the GPU servers' model
sync (which installs only what passes).

An adapter is a directory loras/<name>/ holding its weights, one
safetensors file, and its manifest.json (app/manifest.py), which the
upload writes last. The server lists an adapter only when:

- its name is letters, digits, ".", "_" and "-" (LORA_NAME);
- its weights are pytorch_lora_weights.safetensors (what diffusers'
  save_lora_weights writes, loaders/lora_base.py LORA_WEIGHT_NAME_SAFE) or
  the directory's only .safetensors file: offline, diffusers will not guess
  the name (loaders/lora_base.py _best_guess_weight_name);
- the weights fit the GPU memory kept for adapters (memory.LORA_BUDGET_GIB);
- the file is a valid safetensors file, by the rules the safetensors
  library (0.5.2, safetensors/src/tensor.rs SafeTensors::read_metadata and
  Metadata::validate) loads it with: an 8-byte little-endian header length
  of at most 100,000,000, a UTF-8 JSON header, tensors whose data_offsets
  run contiguously from 0, each of shape × dtype size bytes, and a data
  buffer that ends exactly at the end of the file;
- some key names a LoRA weight ("lora" in it): FluxLoraLoaderMixin.
  load_lora_weights (diffusers 0.32.2 loaders/lora_pipeline.py) refuses
  any other checkpoint with "Invalid LoRA checkpoint.";
- its manifest lists the weights with their size (the sync checked the
  SHA-256; the engine checks it again when it loads the adapter).
"""

import json
import os
import re
import struct
from typing import Dict, Optional

from . import memory

# A LoRA adapter's name: a directory under <model_dir>/loras.
LORA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What diffusers' save_lora_weights writes (loaders/lora_base.py LORA_WEIGHT_NAME_SAFE).
LORA_WEIGHT_NAME = "pytorch_lora_weights.safetensors"
# The GPU memory kept for adapters (memory.LORA_BUDGET_GIB): a larger
# adapter could never be loaded.
MAX_BYTES = int(memory.LORA_BUDGET_GIB * memory.GIB)

# safetensors/src/tensor.rs: MAX_HEADER_SIZE and Dtype::size.
SAFETENSORS_MAX_HEADER = 100_000_000
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
}


class BadSafetensors(ValueError):
    """A file the safetensors library would refuse to open."""


def safetensors_header(path: str) -> Dict[str, dict]:
    """The tensors of a safetensors file, name -> {dtype, shape,
    data_offsets}, after the checks safetensors 0.5.2 makes when it opens
    the file (read_metadata, validate); BadSafetensors says which failed."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise BadSafetensors("shorter than its 8-byte header length (HeaderTooSmall)")
        (n,) = struct.unpack("<Q", head)
        if n > SAFETENSORS_MAX_HEADER:
            raise BadSafetensors(f"a {n}-byte header, more than {SAFETENSORS_MAX_HEADER} (HeaderTooLarge)")
        if n + 8 > size:
            raise BadSafetensors(f"a {n}-byte header in a {size}-byte file (InvalidHeaderLength)")
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadSafetensors(f"the header is not UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise BadSafetensors("the header is not a JSON object")
    header.pop("__metadata__", None)
    tensors = []
    for name, info in header.items():
        try:
            dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            width = DTYPE_BYTES[dtype]
            elements = 1
            for d in shape:
                if not isinstance(d, int) or d < 0:
                    raise ValueError(d)
                elements *= d
            if not (isinstance(begin, int) and isinstance(end, int)):
                raise ValueError((begin, end))
        except (KeyError, TypeError, ValueError):
            raise BadSafetensors(f"tensor {name!r}: not a dtype, shape and data_offsets safetensors knows") from None
        tensors.append((begin, end, name, elements * width))
    buffer_end = 0
    for begin, end, name, nbytes in sorted(tensors):
        if begin != buffer_end or end < begin:
            raise BadSafetensors(f"tensor {name!r}: data_offsets do not follow the previous tensor's (InvalidOffset)")
        if end - begin != nbytes:
            raise BadSafetensors(f"tensor {name!r}: {end - begin} bytes for its shape and dtype's {nbytes} (TensorInvalidInfo)")
        buffer_end = end
    if buffer_end + 8 + n != size:
        raise BadSafetensors(f"the tensors end at byte {buffer_end + 8 + n} of a {size}-byte file (MetadataIncompleteBuffer)")
    return header


def weights_problem(path: str) -> Optional[str]:
    """Why the server would not load the file at path as an adapter's
    weights (size, format, keys), or None."""
    size = os.path.getsize(path)
    name = os.path.basename(path)
    if size > MAX_BYTES:
        return f"{name} is {size / memory.GIB:.2f} GiB, more than the {memory.LORA_BUDGET_GIB} GiB kept for adapters"
    try:
        keys = safetensors_header(path)
    except BadSafetensors as e:
        return f"{name} is not a valid safetensors file: {e}"
    if not any("lora" in k for k in keys):
        return f"{name} holds no LoRA weight (no key contains \"lora\"): diffusers refuses it (Invalid LoRA checkpoint)"
    return None


def weight_file(directory: str) -> Optional[str]:
    """The adapter's weights file in its directory: pytorch_lora_weights.safetensors
    when present, else the only .safetensors file; None when there is none or
    several."""
    files = [f for f in os.listdir(directory) if f.endswith(".safetensors") and os.path.isfile(os.path.join(directory, f))]
    if LORA_WEIGHT_NAME in files:
        return LORA_WEIGHT_NAME
    return files[0] if len(files) == 1 else None


def problem(lora_path: str, name: str) -> Optional[str]:
    """Why the directory <lora_path>/<name> is not a usable adapter, or None."""
    from . import manifest  # manifest imports this module

    d = os.path.join(lora_path, name)
    if not LORA_NAME.match(name):
        return "the name must be letters, digits, '.', '_' and '-'"
    if not os.path.isdir(d):
        return "not a directory"
    weights = weight_file(d)
    if weights is None:
        return f"needs {LORA_WEIGHT_NAME} or exactly one .safetensors file"
    try:
        m = manifest.load(os.path.join(d, manifest.MANIFEST))
    except FileNotFoundError:
        return f"no {manifest.MANIFEST}: publish it with scripts/models.sh lora upload"
    except manifest.ManifestError as e:
        return str(e)
    entry = m.files.get(weights)
    size = os.path.getsize(os.path.join(d, weights))
    if m.kind != "lora" or entry is None:
        return f"its {manifest.MANIFEST} does not list {weights}"
    if entry.size != size:
        return f"{weights} is {size} bytes, its manifest says {entry.size}"
    return weights_problem(os.path.join(d, weights))
