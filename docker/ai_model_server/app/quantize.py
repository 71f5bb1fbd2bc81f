"""Quantize the FLUX.1-dev transformer to NF4, once, for the 24 GB GPUs.

    docker run --rm --gpus all -v /srv/model-build:/models -e BASE_MODEL=<version> <image> python3 -m app.quantize

writes <MODEL_DIR>/<BASE_MODEL>/transformer-bnb-nf4 (config.json with its
bitsandbytes quantization_config and one 6.2 GiB safetensors file) next to
the bf16 transformer, before the version's manifest is made and the version
uploaded (scripts/models.py build).

Where to run it: diffusers 0.32.2 quantizes at load time only after merging
every shard of the bf16 checkpoint into one state dict in host RAM
(models/modeling_utils.py, _merge_sharded_checkpoints), and bitsandbytes
quantizes on the GPU. So it needs a CUDA GPU and host RAM for the whole bf16
transformer (22.2 GiB) plus the runtime (memory.quantize_host_gib: 26.2
GiB): not a 16 GiB model server, but the quantization host (its type is
environments' Models.Quantizer; scripts/models.sh supply checks that type's
RAM against this figure before it starts) that exists only while
scripts/models.sh supply needs it. The
servers then load the quantized file straight to their GPU.
"""

import argparse
import os
import shutil
import sys

from . import engine, memory
from .settings import Settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m app.quantize", description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="replace an existing quantized transformer")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    path = settings.base_model_path
    out = os.path.join(path, memory.NF4_TRANSFORMER_SUBFOLDER)
    if os.path.exists(os.path.join(out, "config.json")) and not args.force:
        print(f"quantize: {out} exists (pass --force to replace it)")
        return 0
    if not os.path.isdir(os.path.join(path, "transformer")):
        print(f"quantize: no bf16 transformer in {path}/transformer: sync the model first", file=sys.stderr)
        return 2
    need = memory.quantize_host_gib()
    host = engine.host_memory_gib()
    if host < need:
        print(
            f"quantize: needs {need:.1f} GiB of host RAM (the bf16 shards are merged in RAM before quantizing), "
            f"this host has {host:.1f}: run it on the quantization host (scripts/models.sh supply)",
            file=sys.stderr,
        )
        return 2

    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch

    if not torch.cuda.is_available():
        print("quantize: no CUDA GPU visible (bitsandbytes quantizes on the GPU): run the container with --gpus all", file=sys.stderr)
        return 2
    from diffusers import BitsAndBytesConfig, FluxTransformer2DModel

    config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)
    transformer = FluxTransformer2DModel.from_pretrained(
        path, subfolder="transformer", quantization_config=config, torch_dtype=torch.bfloat16, local_files_only=True
    )
    partial = out + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    transformer.save_pretrained(partial)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(partial, out)
    print(f"quantize: wrote {out}; upload it to the model bucket next to transformer/")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
