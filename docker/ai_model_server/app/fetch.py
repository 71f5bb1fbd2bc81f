"""Download a base model from the Hugging Face Hub into a new folder: the
first step of a model version, on the quantization host (scripts/models.py
build runs it in the model server image, the image the servers run):

    printf '%s\\n' "$TOKEN" | docker run --rm -i -v /srv/model-build:/models \\
        --entrypoint python3 <image> -m app.fetch \\
        --repo black-forest-labs/FLUX.1-dev --revision <commit> --dest /models/<version>

The access token is read from stdin: never an argument, never an
environment variable of a process. It prints one JSON line, the version's
source: the repository, the commit, the files and their size.

What it guards against, from huggingface_hub 0.27.1's source:
- the image sets HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1 for the
  server, which huggingface_hub reads once, at import (constants.py): the
  module sets both to 0 before it imports the hub;
- snapshot_download with a local_dir returns that folder as it is, with a
  warning, when the Hub refuses the listing — a gated repository whose
  licence the token's account has not accepted, a bad token, the Hub down
  (_snapshot_download.py): the destination must be new or empty, and the
  repository's metadata is asked first, so a refusal fails here;
- a branch moves: the revision must be a commit (REGEX_COMMIT_HASH), and
  the Hub must answer for exactly that commit;
- every file is checked against the Hub's own metadata (model_info with
  files_metadata): its size, and the SHA-256 of the files stored in Git LFS
  (the weights), the Git blob SHA-1 of the others;
- huggingface_hub keeps its metadata in <dest>/.cache/huggingface
  (_local_folder.py): removed.

Only the pipeline in the diffusers layout is downloaded (model_index.json
and its folders): not the single-file checkpoints beside it.
"""

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import sys

from . import manifest

# What a FLUX pipeline needs: model_index.json and its folders.
ALLOW_PATTERNS = ["model_index.json"] + [f"{folder}/*" for folder in manifest.PIPELINE_FOLDERS + ("transformer",)]
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class FetchError(Exception):
    """The download cannot be trusted; the message says why and the fix."""


def git_blob_sha1(path: str) -> str:
    """The Git object ID of a file (what the Hub's blob_id is for files not
    in LFS): SHA-1 of "blob <size>\\0" and the content."""
    h = hashlib.sha1(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(repo: str, revision: str, dest: str, token: str) -> dict:
    if not COMMIT.match(revision):
        raise FetchError(f"revision {revision!r}: use the 40-hex commit (a branch or tag moves under a version)")
    if os.path.isdir(dest) and os.listdir(dest):
        raise FetchError(f"{dest} is not empty: huggingface_hub would return it as it is if the Hub refused the download")
    if not token:
        raise FetchError("no token on stdin: FLUX.1-dev is gated, the download needs a token whose account accepted its licence")
    os.environ["HF_HUB_OFFLINE"] = "0"
    os.environ["TRANSFORMERS_OFFLINE"] = "0"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    import huggingface_hub
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = huggingface_hub.HfApi().model_info(repo, revision=revision, files_metadata=True, token=token)
    except GatedRepoError:
        raise FetchError(f"{repo} is gated and refused this token: accept the licence at https://huggingface.co/{repo} "
                         "with the account the token belongs to (docs/runbooks/models.md), then run again") from None
    except RevisionNotFoundError:
        raise FetchError(f"{repo} has no revision {revision}") from None
    except RepositoryNotFoundError:
        raise FetchError(f"{repo} does not exist, or the token is not valid (401)") from None
    if info.sha != revision:
        raise FetchError(f"the Hub answered for {info.sha}, not {revision}")
    expected = {s.rfilename: s for s in info.siblings if any(fnmatch.fnmatch(s.rfilename, p) for p in ALLOW_PATTERNS)}
    if "model_index.json" not in expected:
        raise FetchError(f"{repo}@{revision} has no model_index.json: not a pipeline in the diffusers layout")
    os.makedirs(dest, exist_ok=True)
    got = huggingface_hub.snapshot_download(repo, revision=revision, local_dir=dest, allow_patterns=ALLOW_PATTERNS, token=token)
    if os.path.realpath(got) != os.path.realpath(dest):
        raise FetchError(f"snapshot_download wrote to {got}, not {dest}")
    shutil.rmtree(os.path.join(dest, ".cache"), ignore_errors=True)
    problems = []
    present = set(manifest.tree_files(dest))
    for name, s in sorted(expected.items()):
        path = os.path.join(dest, name)
        if name not in present:
            problems.append(f"missing: {name}")
        elif s.size is not None and os.path.getsize(path) != s.size:
            problems.append(f"wrong size: {name} is {os.path.getsize(path)} bytes, the Hub says {s.size}")
        elif s.lfs is not None and manifest.sha256_file(path) != s.lfs["sha256"]:
            problems.append(f"damaged: {name} (SHA-256 differs from the Hub's)")
        elif s.lfs is None and s.blob_id and git_blob_sha1(path) != s.blob_id:
            problems.append(f"damaged: {name} (Git blob ID differs from the Hub's)")
    problems += [f"not asked for: {name}" for name in sorted(present - set(expected))]
    if problems:
        raise FetchError(f"{repo}@{revision} in {dest} does not match the Hub's metadata: " + "; ".join(problems))
    return {"huggingface": {"repo": repo, "revision": revision, "files": len(expected), "bytes": sum(os.path.getsize(os.path.join(dest, n)) for n in expected)}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m app.fetch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="the Hugging Face repository, owner/name")
    parser.add_argument("--revision", required=True, help="the commit to download (40 hex digits)")
    parser.add_argument("--dest", required=True, help="a new or empty folder")
    args = parser.parse_args(argv)
    token = sys.stdin.readline().strip()
    try:
        source = fetch(args.repo, args.revision, args.dest, token)
    except FetchError as e:
        print(f"fetch: {e}", file=sys.stderr)
        return 1
    print(json.dumps(source))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
