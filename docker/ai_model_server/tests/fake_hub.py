"""A fake of huggingface_hub 0.27.1 (not installed here, and the Hub is not
reachable) serving one gated repository, for app.fetch's tests and the
model chain test (ansible/tests/models.sh). It enforces what the real
library does, read from its source:

- HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is read once, at import, as
  constants.py does; offline, HfApi calls raise OfflineModeIsEnabled;
- a gated repository (GatedRepoError, errors.py: a RepositoryNotFoundError)
  answers only a token whose account accepted its licence; a wrong token is
  a 401 RepositoryNotFoundError; an unknown revision RevisionNotFoundError;
- model_info(files_metadata=True) gives every file's size, blob_id (the Git
  object ID) and, for LFS files, their SHA-256 (hf_api.py RepoSibling,
  BlobLfsInfo);
- snapshot_download(local_dir=...) (_snapshot_download.py): when the Hub
  refuses the listing (gated, bad token, offline), it returns an existing
  non-empty local_dir as it is, with a warning, and raises only when that
  folder is empty or missing; it downloads the files allow_patterns match
  (fnmatch, utils/_paths.py filter_repo_objects) and writes its metadata
  under local_dir/.cache/huggingface (_local_folder.py).

The repository: FLUX.1-dev's files (tests/fakes.py FLUX_FILES, tiny) and
the single-file checkpoints and docs beside them, at one commit.
"""

import fnmatch
import hashlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import types

import fakes

REPO = "black-forest-labs/FLUX.1-dev"
COMMIT = "0ef5fff789c832c5c7f4e127f94c8b54bbcced44"
# Files at the repository's root besides the pipeline: never downloaded.
ROOT_FILES = ("flux1-dev.safetensors", "ae.safetensors", "README.md", "LICENSE.md", "dev_grid.jpg", ".gitattributes")


class Hub:
    """The repository's content and who may read it."""

    def __init__(self, root, accepted_tokens=("hf_accepted",), damaged=(), big=0):
        self.files = {}
        tree = os.path.join(root, "hub-source")
        if not os.path.isdir(tree):
            fakes.make_flux_tree(tree, nf4=False, big=big)
        for name in ROOT_FILES:
            with open(os.path.join(tree, name), "wb") as f:
                f.write(name.encode() * 8)
        for d, _, files in os.walk(tree):
            for name in files:
                path = os.path.join(d, name)
                self.files[os.path.relpath(path, tree).replace(os.sep, "/")] = path
        self.accepted = set(accepted_tokens)
        self.damaged = set(damaged)  # served with a byte changed after the metadata was computed
        self.requests = []


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def make_module(hub: Hub) -> types.ModuleType:
    """The huggingface_hub module: "imported" now, so it reads the offline
    variables now."""
    offline = (os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or "").upper() in ("1", "ON", "YES", "TRUE")
    log = logging.getLogger("huggingface_hub")

    class HfHubHTTPError(OSError):
        pass

    class RepositoryNotFoundError(HfHubHTTPError):
        pass

    class GatedRepoError(RepositoryNotFoundError):
        pass

    class RevisionNotFoundError(HfHubHTTPError):
        pass

    class LocalEntryNotFoundError(FileNotFoundError, ValueError):
        pass

    class OfflineModeIsEnabled(ConnectionError):
        pass

    def check(repo_id, revision, token):
        hub.requests.append((repo_id, revision, bool(token)))
        if offline:
            raise OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode is enabled.")
        if repo_id != REPO:
            raise RepositoryNotFoundError(f"401 Client Error. Repository Not Found for url: https://huggingface.co/api/models/{repo_id}")
        if token not in hub.accepted:
            raise GatedRepoError(f"Access to model {repo_id} is restricted. You must have access to it and be authenticated to access it.")
        if revision != COMMIT:
            raise RevisionNotFoundError(f"404 Client Error. Revision Not Found for url: https://huggingface.co/api/models/{repo_id}/revision/{revision}")

    class HfApi:
        def model_info(self, repo_id, *, revision=None, timeout=None, securityStatus=None, files_metadata=False, expand=None, token=None):
            check(repo_id, revision, token)
            siblings = []
            for name in sorted(hub.files):
                with open(hub.files[name], "rb") as f:
                    data = f.read()
                lfs = None
                if name.endswith(".safetensors"):
                    lfs = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointer_size": 134}
                siblings.append(types.SimpleNamespace(rfilename=name, size=len(data) if files_metadata else None,
                                                      blob_id=_blob_id(data) if files_metadata else None, lfs=lfs if files_metadata else None))
            return types.SimpleNamespace(id=repo_id, sha=COMMIT, siblings=siblings, gated="auto")

    def snapshot_download(repo_id, *, revision=None, local_dir=None, allow_patterns=None, token=None, **kwargs):
        try:
            check(repo_id, revision, token)
        except (OfflineModeIsEnabled, RepositoryNotFoundError, OSError) as e:
            if isinstance(e, RevisionNotFoundError):
                raise
            # _snapshot_download.py: "Returning existing local_dir ... as remote repo cannot be accessed"
            if local_dir is not None and os.path.isdir(local_dir) and os.listdir(local_dir):
                log.warning("Returning existing local_dir `%s` as remote repo cannot be accessed in `snapshot_download` (%s).", local_dir, e)
                return os.path.realpath(local_dir)
            if isinstance(e, (RepositoryNotFoundError,)):
                raise
            raise LocalEntryNotFoundError("An error happened while trying to locate the files on the Hub") from e
        patterns = [allow_patterns] if isinstance(allow_patterns, str) else allow_patterns
        for name, src in sorted(hub.files.items()):
            if patterns is not None and not any(fnmatch.fnmatch(name, p) for p in patterns):
                continue
            dst = os.path.join(local_dir, name)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(src, "rb") as f:
                data = f.read()
            if name in hub.damaged:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            with open(dst, "wb") as f:
                f.write(data)
            meta = os.path.join(local_dir, ".cache", "huggingface", "download", name + ".metadata")
            os.makedirs(os.path.dirname(meta), exist_ok=True)
            with open(meta, "w") as f:
                f.write(f"{COMMIT}\n{_blob_id(data)}\n")
        return os.path.realpath(local_dir)

    mod = types.ModuleType("huggingface_hub")
    mod.HfApi, mod.snapshot_download = HfApi, snapshot_download
    errors = types.ModuleType("huggingface_hub.errors")
    for cls in (HfHubHTTPError, RepositoryNotFoundError, GatedRepoError, RevisionNotFoundError, LocalEntryNotFoundError, OfflineModeIsEnabled):
        setattr(errors, cls.__name__, cls)
    mod.errors = errors
    return mod


class _Loader(importlib.abc.Loader):
    """Builds the fake when `import huggingface_hub` runs (not before: the
    offline variables are read then), once."""

    def __init__(self, hub):
        self.hub, self.module = hub, None

    def create_module(self, spec):
        if self.module is None:
            self.module = make_module(self.hub)
        return self.module if spec.name == "huggingface_hub" else self.module.errors

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, hub):
        self.loader = _Loader(hub)

    def find_spec(self, name, path=None, target=None):
        if name in ("huggingface_hub", "huggingface_hub.errors"):
            return importlib.util.spec_from_loader(name, self.loader, is_package=name == "huggingface_hub")
        return None


def install(hub: Hub) -> None:
    """Make the next `import huggingface_hub` give the fake of this hub."""
    for name in ("huggingface_hub", "huggingface_hub.errors"):
        sys.modules.pop(name, None)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]
    sys.meta_path.insert(0, _Finder(hub))


def uninstall() -> None:
    for name in ("huggingface_hub", "huggingface_hub.errors"):
        sys.modules.pop(name, None)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]
