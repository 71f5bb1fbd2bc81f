"""Settings, from the environment (the systemd unit sets them)."""

import os
import re
from dataclasses import dataclass, field

from .memory import PLAN_NAMES

# MEMORY_MODE: auto, or the name of a plan of app/memory.py.
MEMORY_MODES = ("auto",) + PLAN_NAMES


@dataclass(frozen=True)
class Settings:
    """How the server runs. Every field has a default and an env variable."""

    # MODEL_DIR: the model volume, synced from the model bucket. The FLUX
    # pipeline is in <MODEL_DIR>/<BASE_MODEL> (base/<version> on the
    # servers), LoRA adapters in <MODEL_DIR>/loras/<name>/ (diffusers
    # format, *.safetensors, and their manifest.json).
    model_dir: str = "/models"
    base_model: str = "flux"
    lora_dir: str = "loras"
    # MEMORY_MODE: auto loads the first plan of app/memory.py that fits the
    # GPU and the host; a plan's name forces it (refused if it does not fit).
    memory_mode: str = "auto"
    # QUEUE_SIZE: requests that may wait while one runs on the GPU; more get 429.
    queue_size: int = 8
    # Limits of a request.
    min_side: int = 256
    max_side: int = 1536
    max_steps: int = 100
    max_prompt_chars: int = 2000
    # LORA_CACHE: adapters kept loaded; the least recently used is unloaded
    # (also to keep their files within memory.LORA_BUDGET_GIB).
    lora_cache: int = 4
    # MODEL_MANIFEST_SHA256: the promoted version's manifest digest
    # (ansible/group_vars/<env>.yml); the server refuses another manifest.
    # "" checks the files against whatever manifest is there.
    manifest_sha256: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        mode = env.get("MEMORY_MODE", "auto")
        if mode not in MEMORY_MODES:
            raise ValueError(f"MEMORY_MODE={mode!r}: use one of {', '.join(MEMORY_MODES)}")
        queue = int(env.get("QUEUE_SIZE", "8"))
        if queue < 0:
            raise ValueError(f"QUEUE_SIZE={queue}: use 0 or more")
        lora_cache = int(env.get("LORA_CACHE", "4"))
        if lora_cache < 1:
            raise ValueError(f"LORA_CACHE={lora_cache}: use 1 or more")
        digest = env.get("MODEL_MANIFEST_SHA256", "")
        if digest and not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"MODEL_MANIFEST_SHA256={digest!r}: use the 64 hex digits of the version's manifest")
        return cls(
            model_dir=env.get("MODEL_DIR", "/models"),
            base_model=env.get("BASE_MODEL", "flux"),
            lora_dir=env.get("LORA_DIR", "loras"),
            memory_mode=mode,
            queue_size=queue,
            lora_cache=lora_cache,
            manifest_sha256=digest,
        )

    @property
    def base_model_path(self) -> str:
        return os.path.join(self.model_dir, self.base_model)

    @property
    def lora_path(self) -> str:
        return os.path.join(self.model_dir, self.lora_dir)
