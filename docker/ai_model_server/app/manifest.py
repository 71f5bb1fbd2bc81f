"""Manifests of model versions and LoRA adapters.

A manifest says what a model version (models/base/<version>/ in the model
bucket) or a LoRA adapter (models/loras/<name>/) holds: every file with its
size and SHA-256, where it came from (the Hugging Face repository and
revision, the image that quantized it, an adapter's upload) and who made it
(the AWS principal, the host, the time). It is written last: a folder
without one is incomplete, and nothing uses it. Its own SHA-256 is the
version's digest: an environment records it beside the version's name
(ansible/group_vars/<env>.yml), a promotion copies the version with its
manifest unchanged, and the servers check the manifest against that digest
and their files against the manifest before they load anything.

The same rules hold everywhere: scripts/models.py makes and checks
manifests and installs on the GPU servers only what they describe, and the
model server (app/engine.py) checks the files it loads. Standard library
only: scripts/models.py runs it outside the image.
"""

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

from . import memory
from .loras import LORA_NAME

FORMAT = 1
MANIFEST = "manifest.json"

# The model bucket's layout (environments/models.go holds the same).
MODELS_PREFIX = "models/"
BASE_PREFIX = "models/base/"
LORAS_PREFIX = "models/loras/"
STATUS_PREFIX = "models/status/"

KINDS = ("base", "lora")
# A model version's name: a folder of models/base/, e.g.
# "flux-1-dev-0ef5fff789c8".
VERSION_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")

# What a FLUX pipeline in the diffusers layout holds besides its
# transformer (pipelines/flux/pipeline_flux.py components,
# DiffusionPipeline.from_pretrained reads model_index.json and one folder
# each); the folders of models need a config.json and safetensors weights.
PIPELINE_FOLDERS = ("scheduler", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "vae")
MODEL_FOLDERS = ("text_encoder", "text_encoder_2", "vae")
# The transformer's folder at each precision a memory plan loads it in.
TRANSFORMER_FOLDERS = {"bf16": "transformer", "nf4": memory.NF4_TRANSFORMER_SUBFOLDER}
# huggingface_hub's metadata in a local_dir download (_local_folder.py):
# never part of a version.
IGNORED_DIRS = (".cache",)


class ManifestError(ValueError):
    """A manifest that is not one, or files that do not match it; the
    message names every file concerned."""


@dataclass(frozen=True)
class Entry:
    """One file of a manifest."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """A model version's or an adapter's manifest."""

    kind: str
    name: str
    files: Dict[str, Entry]
    source: dict = field(default_factory=dict)
    made: dict = field(default_factory=dict)

    def dumps(self) -> bytes:
        """The manifest as written: canonical JSON (sorted keys), so the
        digest of a manifest read and written again does not change."""
        doc = {
            "format": FORMAT,
            "kind": self.kind,
            "name": self.name,
            "source": self.source,
            "made": self.made,
            "files": {p: {"size": e.size, "sha256": e.sha256} for p, e in self.files.items()},
        }
        return (json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True) + "\n").encode("ascii")

    def digest(self) -> str:
        """The SHA-256 of the manifest as written: the version's digest."""
        return hashlib.sha256(self.dumps()).hexdigest()

    def total(self) -> int:
        """Bytes of every file."""
        return sum(e.size for e in self.files.values())


def safe_path(path: str) -> Optional[str]:
    """Why path cannot be a file of a manifest, or None: it must be
    relative, "/"-separated, without "." or ".." components, outside
    huggingface_hub's .cache/ and not the manifest itself (a manifest that
    named "../x" would write outside the version on a server)."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return "not a relative path"
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "has an empty, '.' or '..' component"
    if parts[0] in IGNORED_DIRS:
        return f"is under {parts[0]}/"
    if path == MANIFEST:
        return "is the manifest itself"
    return None


def parse(data: bytes, what: str = MANIFEST) -> Manifest:
    """Read a manifest; ManifestError names what is wrong with it."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ManifestError(f"{what} is not JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ManifestError(f"{what} is not a format {FORMAT} manifest")
    kind, name, files = doc.get("kind"), doc.get("name"), doc.get("files")
    problems = []
    if kind not in KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(name, str) or not (VERSION_NAME if kind == "base" else LORA_NAME).match(name):
        problems.append(f"name {name!r} is not a {kind or 'model'} name")
    if not isinstance(files, dict) or not files:
        problems.append("no files")
        files = {}
    entries = {}
    for path, e in files.items():
        why = safe_path(path) if isinstance(path, str) else "not a path"
        if why:
            problems.append(f"{path!r} {why}")
            continue
        if not isinstance(e, dict) or not isinstance(e.get("size"), int) or e["size"] < 0 or not SHA256.match(str(e.get("sha256", ""))):
            problems.append(f"{path}: not a size and a SHA-256")
            continue
        entries[path] = Entry(e["size"], e["sha256"])
    for key in ("source", "made"):
        if not isinstance(doc.get(key, {}), dict):
            problems.append(f"{key} is not an object")
    if problems:
        raise ManifestError(f"{what}: " + "; ".join(problems))
    return Manifest(kind, name, dict(sorted(entries.items())), doc.get("source", {}), doc.get("made", {}))


def load(path: str) -> Manifest:
    """Read the manifest file at path (FileNotFoundError when there is none)."""
    with open(path, "rb") as f:
        return parse(f.read(), path)


def sha256_file(path: str, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def tree_files(root: str) -> List[str]:
    """The files under root, as manifest paths, sorted; the manifest and
    .cache/ left out. A symbolic link or any other non-regular file is an
    error: a version is regular files only."""
    out, odd = [], []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel == ".":
            dirs[:] = [x for x in dirs if x not in IGNORED_DIRS]
        for name in dirs + files:
            p = os.path.join(d, name)
            if os.path.islink(p):
                odd.append(os.path.relpath(p, root))
        for name in files:
            p = os.path.join(d, name)
            path = os.path.relpath(p, root).replace(os.sep, "/")
            if path == MANIFEST or os.path.islink(p):
                continue
            if not os.path.isfile(p):
                odd.append(path)
                continue
            out.append(path)
    if odd:
        raise ManifestError(f"{root}: not regular files: {', '.join(sorted(odd))}")
    return sorted(out)


def make(root: str, kind: str, name: str, source: dict, made: dict, files: Optional[Iterable[str]] = None) -> Manifest:
    """The manifest of the files under root (or the listed ones), hashed."""
    paths = sorted(files) if files is not None else tree_files(root)
    bad = [f"{p!r} {safe_path(p)}" for p in paths if safe_path(p)]
    if bad:
        raise ManifestError("; ".join(bad))
    entries = {p: Entry(os.path.getsize(os.path.join(root, p)), sha256_file(os.path.join(root, p))) for p in paths}
    m = Manifest(kind, name, entries, source, made)
    return parse(m.dumps(), f"the manifest of {root}")


def verify(root: str, m: Manifest, hash_paths: Optional[Iterable[str]] = None, extra: bool = False) -> List[str]:
    """Every way the files under root differ from the manifest, one line a
    file: missing, of another size, damaged (SHA-256), and, unless extra,
    files the manifest does not list. Sizes are checked for every file,
    hashes for hash_paths (default: every file)."""
    problems = []
    hashed = set(m.files) if hash_paths is None else set(hash_paths)
    for path, e in m.files.items():
        p = os.path.join(root, path)
        if not os.path.isfile(p):
            problems.append(f"missing: {path}")
            continue
        size = os.path.getsize(p)
        if size != e.size:
            problems.append(f"wrong size: {path} is {size} bytes, the manifest says {e.size}")
        elif path in hashed and sha256_file(p) != e.sha256:
            problems.append(f"damaged: {path} (SHA-256 differs from the manifest's)")
    if not extra:
        try:
            present = tree_files(root)
        except ManifestError as e:
            return problems + [str(e)]
        problems += [f"not in the manifest: {p}" for p in present if p not in m.files]
    return problems


def listing_problems(m: Manifest, listing: Dict[str, int], prefix: str) -> List[str]:
    """How a bucket's listing (key → size) of a version under prefix
    differs from its manifest, one line a file: missing, or of another
    size. Files the manifest does not list are the caller's to judge."""
    problems = []
    for path, e in m.files.items():
        size = listing.get(prefix + path)
        if size is None:
            problems.append(f"missing: {path}")
        elif size != e.size:
            problems.append(f"wrong size: {path} is {size} bytes in the bucket, the manifest says {e.size}")
    return problems


def check(root: str, m: Manifest, hash_paths: Optional[Iterable[str]] = None, extra: bool = False) -> None:
    """verify, raising ManifestError that lists every problem."""
    problems = verify(root, m, hash_paths, extra)
    if problems:
        raise ManifestError(f"{root} does not match its manifest ({m.kind} {m.name}): " + "; ".join(problems))


def plan_files(m: Manifest, plan: memory.Plan) -> List[str]:
    """The files of a version that a memory plan loads: model_index.json,
    the pipeline's folders and the transformer's folder at the plan's
    precision."""
    folders = PIPELINE_FOLDERS + (TRANSFORMER_FOLDERS[plan.precision_of("transformer")],)
    return [p for p in m.files if p == "model_index.json" or p.split("/", 1)[0] in folders]


def plan_problem(m: Manifest, plan: memory.Plan) -> Optional[str]:
    """Why a version cannot be loaded by a memory plan, or None."""
    if m.kind != "base":
        return f"{m.name} is a {m.kind}, not a model version"
    why = []
    if "model_index.json" not in m.files:
        why.append("no model_index.json")
    transformer = TRANSFORMER_FOLDERS[plan.precision_of("transformer")]
    for folder in PIPELINE_FOLDERS + (transformer,):
        inside = [p for p in m.files if p.startswith(folder + "/")]
        if not inside:
            why.append(f"no {folder}/")
        elif (folder in MODEL_FOLDERS or folder == transformer) and not (
            f"{folder}/config.json" in m.files and any(p.endswith(".safetensors") for p in inside)
        ):
            why.append(f"{folder}/ has no config.json and safetensors weights")
    if why:
        return f"{m.name} cannot be loaded by the {plan.name} plan ({plan.description}): " + ", ".join(why)
    return None


def plans(m: Manifest) -> List[str]:
    """The memory plans that can load a version, in memory.PLANS order."""
    return [p.name for p in memory.PLANS if plan_problem(m, p) is None]
