#!/usr/bin/env python3
"""Model versions and LoRA adapters in an environment's model bucket, through
the AWS CLI: what scripts/models.sh runs for the operator, and what the
Ansible roles run on the quantization host and the GPU servers.

The bucket (environments/models.go, app/manifest.py):
  models/base/<version>/    a FLUX pipeline in the diffusers layout and its
                            manifest.json, written last
  models/loras/<name>/      an adapter's weights and its manifest.json, last
  models/status/<id>.json   what GPU server <id> serves (its model sync)

Operator commands (the environment's facts from `go run . facts ENV`, its
outputs from outputs/ENV.json):
  verify         a version in the bucket: manifest digest, every file at its
                 size, loadable by the environment's GPU memory plan
  promote        copy a version from the source environment's bucket, files
                 then manifest, verify it there, record it
  record         write a version and its digest in ansible/group_vars/ENV.yml
  lora-upload    check an adapter as the server would, upload it, manifest
                 last, wait until every GPU server serves it
  lora-withdraw  delete an adapter, wait until no GPU server serves it
  status         what every GPU server reports it serves
Host commands (a JSON configuration the roles write):
  build          on the quantization host: download the base model (token
                 from Secrets Manager, on stdin of the container), quantize
                 the transformer, write the manifest, upload, manifest last
  sync-base      on a GPU server: the promoted version into the model
                 volume, every file checked against the manifest
  sync-loras     on a GPU server: adapters installed (atomically) only when
                 they match their manifest, withdrawn ones removed; then the
                 server's report under models/status/
  prune-base     on a GPU server: remove the versions it no longer serves

Environment: AWS_CLI (default "aws"), MODELS_ENDPOINT_URL (an S3-compatible
endpoint instead of AWS's, for the tests' stand-in). Exit codes: 0 done;
1 a check or a step failed (every problem named); 2 bad usage or input.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
# app/ beside this file on the hosts (the roles install both), else the
# model server's sources in the repository.
for _p in (HERE, os.path.join(HERE, "..", "docker", "ai_model_server")):
    if os.path.isfile(os.path.join(_p, "app", "manifest.py")):
        sys.path.insert(0, _p)
        break
from app import loras, manifest, memory  # noqa: E402

TOOL = "scripts/models.py"
# The keys an environment's group_vars record a promoted version under.
VERSION_KEY, DIGEST_KEY = "ai_model_version", "ai_model_manifest_sha256"
# A server's report older than this is a stopped server's (off hours).
STALE_REPORT_SECONDS = 600


class Failed(Exception):
    """A step failed; the message says which and why."""


class Usage(Exception):
    """Bad input; the message names it and the fix."""


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg: str) -> None:
    print(f"[{datetime.now(timezone.utc).strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the AWS CLI ---------------------------------------------------------------


class AWS:
    """The AWS CLI, for one region (and an endpoint for the tests)."""

    def __init__(self, region: str, endpoint: str = ""):
        self.region = region
        self.endpoint = endpoint or os.environ.get("MODELS_ENDPOINT_URL", "")
        self.cli = os.environ.get("AWS_CLI", "aws")

    def run(self, *args, stdin: Optional[bytes] = None, region: Optional[str] = None) -> str:
        cmd = [self.cli, *args, "--region", region or self.region]
        if self.endpoint:
            cmd += ["--endpoint-url", self.endpoint]
        env = dict(os.environ, AWS_PAGER="")
        r = subprocess.run(cmd, input=stdin, capture_output=True, env=env)
        if r.returncode != 0:
            err = r.stderr.decode(errors="replace").strip()
            raise Failed(f"aws {' '.join(args[:2])} failed: {err}")
        return r.stdout.decode()

    def caller(self) -> str:
        """Who is making the changes (recorded in manifests)."""
        try:
            return json.loads(self.run("sts", "get-caller-identity", "--output", "json"))["Arn"]
        except (Failed, ValueError, KeyError) as e:
            return f"unknown ({e})"

    def list(self, bucket: str, prefix: str) -> Dict[str, int]:
        """key -> size of every object under prefix (the CLI follows the pages)."""
        out = self.run("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--output", "json")
        doc = json.loads(out) if out.strip() else {}
        return {o["Key"]: int(o["Size"]) for o in doc.get("Contents", []) or []}

    def get(self, bucket: str, key: str) -> bytes:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "object")
            self.run("s3api", "get-object", "--bucket", bucket, "--key", key, path)
            with open(path, "rb") as f:
                return f.read()

    def put(self, bucket: str, key: str, data: bytes, kms_key: str) -> None:
        """One small object, SSE-KMS with the bucket's key, its SHA-256 checked by S3."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "object")
            with open(path, "wb") as f:
                f.write(data)
            self.run("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", path,
                     "--server-side-encryption", "aws:kms", "--ssekms-key-id", kms_key,
                     "--checksum-sha256", base64.b64encode(hashlib.sha256(data).digest()).decode())

    def upload_tree(self, local: str, bucket: str, prefix: str, kms_key: str) -> None:
        """Every file under local but the manifest (multipart above the CLI's threshold)."""
        self.run("s3", "cp", "--recursive", local, f"s3://{bucket}/{prefix}", "--exclude", manifest.MANIFEST,
                 "--exclude", ".cache/*", "--sse", "aws:kms", "--sse-kms-key-id", kms_key, "--no-progress", "--only-show-errors")

    def copy_tree(self, src_bucket: str, src_region: str, bucket: str, prefix: str, kms_key: str) -> None:
        """prefix from one bucket to another, in S3 (CopyObject, UploadPartCopy), but the manifest.
        --source-region only across regions: with it the CLI gives the
        source client no endpoint URL (awscli/customizations/s3/factory.py
        ClientFactory.create_client), so a copy within a region keeps the
        endpoint for both sides. --copy-props metadata-directive: the
        default also copies tags, which for a multipart copy means
        GetObjectTagging on the source ("aws s3 cp help", --copy-props), an
        action the promotion role is not granted; versions carry no tags."""
        region = ["--source-region", src_region] if src_region != self.region else []
        self.run("s3", "cp", "--recursive", f"s3://{src_bucket}/{prefix}", f"s3://{bucket}/{prefix}", "--exclude", manifest.MANIFEST,
                 *region, "--copy-props", "metadata-directive", "--sse", "aws:kms", "--sse-kms-key-id", kms_key,
                 "--no-progress", "--only-show-errors")

    def download_tree(self, bucket: str, prefix: str, local: str) -> None:
        """prefix into local, deleting what the bucket does not have (the manifest aside)."""
        self.run("s3", "sync", f"s3://{bucket}/{prefix}", local, "--delete", "--exclude", manifest.MANIFEST,
                 "--no-progress", "--only-show-errors")

    def delete_prefix(self, bucket: str, prefix: str) -> None:
        self.run("s3", "rm", "--recursive", f"s3://{bucket}/{prefix}", "--only-show-errors")


# --- an environment, as the operator sees it ------------------------------------


class Env:
    """An environment's model bucket and who fills it: facts, outputs and
    group_vars."""

    def __init__(self, name: str, facts_path: str, outputs_path: str = "", group_vars: str = ""):
        self.name = name
        with open(facts_path, encoding="utf-8") as f:
            facts = json.load(f)
        if facts.get("environment") != name:
            raise Usage(f"{facts_path} holds the facts of {facts.get('environment')!r}, not {name!r}")
        self.facts, self.models = facts, facts["models"]
        self.region = facts["region"]
        self.outputs = {}
        if outputs_path and os.path.isfile(outputs_path):
            with open(outputs_path, encoding="utf-8") as f:
                self.outputs = json.load(f).get(f"{name}-stack", {})
        self.bucket = self.outputs.get("model_bucket") or self.models.get("bucket")
        if not self.bucket:
            raise Usage(f"no model bucket for {name}: deploy it first (outputs/{name}.json model_bucket), or set Account.ID")
        self.group_vars = group_vars or os.path.join(HERE, "..", "ansible", "group_vars", f"{name}.yml")
        self.aws = AWS(self.region)

    @property
    def kms_key(self) -> str:
        key = (self.outputs.get("kms_key_arns") or {}).get("data")
        if not key:
            raise Usage(f"no data key ARN for {self.name}: writing needs outputs/{self.name}.json (kms_key_arns.data), "
                        f"which scripts/deploy_environment.sh {self.name} writes")
        return key

    @property
    def gpu_servers(self) -> List[str]:
        return list((self.outputs.get("instance_ids") or {}).get("ai", []))

    def plans_needed(self) -> Dict[str, memory.Plan]:
        """instance type -> the memory plan app/memory.py gives it."""
        out = {}
        for typ in self.models["gpu_instance_types"]:
            gpu = next((g for g in memory.GPU_CLASSES if g.instance_type == typ), None)
            if gpu is None:
                raise Usage(f"{typ} is not in app/memory.py GPU_CLASSES: add its GPU memory, host RAM and capability there")
            plan = memory.plan_for(gpu)
            if plan is None:
                raise Usage(f"{typ} fits no memory plan of app/memory.py")
            out[typ] = plan
        return out

    def recorded(self) -> Dict[str, str]:
        """The version and digest group_vars records ("" when none)."""
        out = {VERSION_KEY: "", DIGEST_KEY: ""}
        try:
            with open(self.group_vars, encoding="utf-8") as f:
                for line in f:
                    m = re.match(rf'^({VERSION_KEY}|{DIGEST_KEY}):\s*"?([^"#\s]*)"?\s*(#.*)?$', line)
                    if m:
                        out[m.group(1)] = m.group(2)
        except FileNotFoundError:
            raise Usage(f"no {self.group_vars}: unknown environment {self.name}") from None
        return out

    def record(self, version: str, digest: str) -> None:
        """Write the version and its digest into group_vars, as
        scripts/push_images.sh records an image digest."""
        if not manifest.VERSION_NAME.match(version) or not manifest.SHA256.match(digest):
            raise Usage(f"not a version and a digest: {version!r} {digest!r}")
        with open(self.group_vars, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for key, value in ((VERSION_KEY, version), (DIGEST_KEY, digest)):
            new = f'{key}: "{value}"'
            for i, line in enumerate(lines):
                if re.match(rf"^{key}:", line):
                    lines[i] = new
                    break
            else:
                lines.append(new)
        tmp = self.group_vars + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, self.group_vars)
        log(f"recorded {version} ({digest}) in {os.path.relpath(self.group_vars)}")


def version_prefix(version: str) -> str:
    return f"{manifest.BASE_PREFIX}{version}/"


def bucket_manifest(aws: AWS, bucket: str, version: str, listing: Optional[Dict[str, int]] = None) -> manifest.Manifest:
    """The version's manifest in the bucket; Failed when it has none (never
    HEAD: a prefix-limited role gets 403 for a missing object)."""
    prefix = version_prefix(version)
    listing = aws.list(bucket, prefix) if listing is None else listing
    if prefix + manifest.MANIFEST not in listing:
        what = f"{len(listing)} objects but no manifest: an incomplete upload" if listing else "nothing"
        raise Failed(f"s3://{bucket}/{prefix} holds {what}")
    return manifest.parse(aws.get(bucket, prefix + manifest.MANIFEST), f"s3://{bucket}/{prefix}{manifest.MANIFEST}")


def check_in_bucket(aws: AWS, bucket: str, version: str) -> manifest.Manifest:
    """The version's manifest, after checking that the bucket holds every
    file it lists at its size, and nothing else."""
    prefix = version_prefix(version)
    listing = aws.list(bucket, prefix)
    m = bucket_manifest(aws, bucket, version, listing)
    problems = manifest.listing_problems(m, listing, prefix)
    extra = sorted(k[len(prefix):] for k in listing if k[len(prefix):] not in m.files and k != prefix + manifest.MANIFEST)
    problems += [f"not in the manifest: {p}" for p in extra]
    if problems:
        raise Failed(f"s3://{bucket}/{prefix} does not match its manifest: " + "; ".join(problems))
    return m


def plans_problem(m: manifest.Manifest, plans: Dict[str, memory.Plan]) -> Optional[str]:
    why = [f"{typ} ({plan.name}): {manifest.plan_problem(m, plan)}" for typ, plan in plans.items() if manifest.plan_problem(m, plan)]
    return "; ".join(why) or None


# --- operator commands -----------------------------------------------------------


def cmd_verify(a) -> int:
    env = Env(a.env, a.facts, a.outputs, a.group_vars)
    rec = env.recorded()
    version = a.version or rec[VERSION_KEY]
    if not version:
        raise Failed(f"{env.name} has no promoted model version ({VERSION_KEY} in {os.path.relpath(env.group_vars)}): "
                     f"scripts/models.sh supply {env.name} or scripts/models.sh promote <source> {env.name}")
    m = check_in_bucket(env.aws, env.bucket, version)
    want = a.sha256 or (rec[DIGEST_KEY] if version == rec[VERSION_KEY] else "")
    if want and m.digest() != want:
        raise Failed(f"s3://{env.bucket}/{version_prefix(version)}{manifest.MANIFEST} has SHA-256 {m.digest()}, "
                     f"{os.path.relpath(env.group_vars)} records {want}: promote the version again")
    why = plans_problem(m, env.plans_needed())
    if why:
        raise Failed(f"{env.name}'s GPU servers cannot load {version}: {why}")
    plans = ", ".join(f"{t}: {p.name}" for t, p in env.plans_needed().items())
    print(f"ok: {version} in s3://{env.bucket}: {len(m.files)} files, {m.total() / memory.GIB:.1f} GiB, manifest {m.digest()}; "
          f"loads with {plans}")
    return 0


def cmd_record(a) -> int:
    env = Env(a.env, a.facts, a.outputs, a.group_vars)
    m = check_in_bucket(env.aws, env.bucket, a.version)
    if a.sha256 and m.digest() != a.sha256:
        raise Failed(f"the manifest of {a.version} has SHA-256 {m.digest()}, not {a.sha256}")
    why = plans_problem(m, env.plans_needed())
    if why:
        raise Failed(f"not recording {a.version}: {env.name}'s GPU servers cannot load it: {why}")
    env.record(a.version, m.digest())
    return 0


def cmd_promote(a) -> int:
    src = Env(a.source, a.source_facts, a.source_outputs, a.source_group_vars)
    dst = Env(a.env, a.facts, a.outputs, a.group_vars)
    if dst.models.get("source") != src.name:
        raise Usage(f"{dst.name} promotes from {dst.models.get('source') or 'no environment'} (Account.ModelSources), not {src.name}")
    rec = src.recorded()
    version = a.version or rec[VERSION_KEY]
    if not version:
        raise Failed(f"{src.name} has no model version to promote ({VERSION_KEY} in {os.path.relpath(src.group_vars)})")
    log(f"promoting {version}: s3://{src.bucket} ({src.name}) -> s3://{dst.bucket} ({dst.name}) as {dst.aws.caller()}")
    m = check_in_bucket(src.aws, src.bucket, version)
    if version == rec[VERSION_KEY] and rec[DIGEST_KEY] and m.digest() != rec[DIGEST_KEY]:
        raise Failed(f"{src.name}'s {version} has manifest {m.digest()}, {os.path.relpath(src.group_vars)} records {rec[DIGEST_KEY]}: "
                     "promote what the source serves")
    why = plans_problem(m, dst.plans_needed())
    if why:
        raise Failed(f"{dst.name}'s GPU servers cannot load {version}: {why}")
    prefix = version_prefix(version)
    there = dst.aws.list(dst.bucket, prefix)
    if prefix + manifest.MANIFEST in there:
        have = bucket_manifest(dst.aws, dst.bucket, version, there)
        if have.digest() != m.digest():
            raise Failed(f"s3://{dst.bucket}/{prefix} is another {version} (manifest {have.digest()}): versions are immutable; "
                         "give the new one another name")
        log(f"{version} is already in s3://{dst.bucket}: checking it")
    else:
        log(f"copying {len(m.files)} files, {m.total() / memory.GIB:.1f} GiB")
        dst.aws.copy_tree(src.bucket, src.region, dst.bucket, prefix, dst.kms_key)
        listing = dst.aws.list(dst.bucket, prefix)
        bad = [p for p, e in m.files.items() if listing.get(prefix + p) != e.size]
        if bad:
            raise Failed(f"the copy to s3://{dst.bucket}/{prefix} is incomplete: {', '.join(bad)}; run the promotion again")
        # Last, the source's manifest unchanged: the same digest everywhere.
        dst.aws.put(dst.bucket, prefix + manifest.MANIFEST, m.dumps(), dst.kms_key)
    got = check_in_bucket(dst.aws, dst.bucket, version)
    if got.digest() != m.digest():
        raise Failed(f"the manifest in s3://{dst.bucket}/{prefix} is not the source's")
    dst.record(version, got.digest())
    print(f"promoted {version} ({got.digest()}): {src.name} -> {dst.name}; commit {os.path.relpath(dst.group_vars)}, "
          f"then configure {dst.name} (scripts/deploy_environment.sh {dst.name})")
    return 0


def reports(env: Env) -> Dict[str, dict]:
    """instance id -> its latest report, for every GPU server of the outputs."""
    out = {}
    listing = env.aws.list(env.bucket, manifest.STATUS_PREFIX)
    for iid in env.gpu_servers:
        key = f"{manifest.STATUS_PREFIX}{iid}.json"
        if key in listing:
            try:
                out[iid] = json.loads(env.aws.get(env.bucket, key))
            except (Failed, ValueError) as e:
                out[iid] = {"error": str(e)}
        else:
            out[iid] = {}
    return out


def age(report: dict) -> float:
    try:
        return time.time() - datetime.strptime(report["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (KeyError, ValueError):
        return float("inf")


def wait_for(env: Env, what: str, served, timeout: float, interval: float) -> int:
    """Wait until every reporting GPU server's report satisfies served();
    servers that have not reported for STALE_REPORT_SECONDS (stopped) are
    named and not waited for."""
    if not env.gpu_servers:
        raise Usage(f"no GPU servers in outputs/{env.name}.json (instance_ids.ai): deploy first, or pass --wait 0")
    deadline = time.monotonic() + timeout
    while True:
        rs = reports(env)
        stale = [i for i, r in rs.items() if age(r) > STALE_REPORT_SECONDS]
        pending = [i for i, r in rs.items() if i not in stale and not served(r)]
        if not pending:
            for i in stale:
                log(f"WARNING: {i} has not reported for {STALE_REPORT_SECONDS // 60} minutes (stopped?): it syncs when it runs again")
            done = [i for i in rs if i not in stale]
            if not done:
                raise Failed(f"no GPU server of {env.name} reports: is the model sync running (systemctl status ai-model-sync.timer)?")
            log(f"{what} on {', '.join(done)}")
            return 0
        if time.monotonic() >= deadline:
            detail = "; ".join(f"{i}: {rs[i].get('errors') or 'not yet'}" for i in pending)
            raise Failed(f"not yet {what} on {len(pending)} server(s) after {timeout:.0f} s: {detail}")
        time.sleep(interval)


def lora_check(directory: str, name: str) -> str:
    """The weights file of an adapter directory, after the checks the server applies."""
    if not loras.LORA_NAME.match(name):
        raise Usage(f"adapter name {name!r}: letters, digits, '.', '_' and '-', 64 at most, starting with a letter or digit")
    if not os.path.isdir(directory):
        raise Usage(f"{directory}: not a directory")
    weights = loras.weight_file(directory)
    if weights is None:
        raise Usage(f"{directory}: needs {loras.LORA_WEIGHT_NAME} or exactly one .safetensors file")
    why = loras.weights_problem(os.path.join(directory, weights))
    if why:
        raise Usage(f"{directory}: {why}")
    others = sorted(f for f in os.listdir(directory) if f != weights)
    if others:
        log(f"only {weights} is uploaded; not {', '.join(others)}")
    return weights


def cmd_lora_upload(a) -> int:
    env = Env(a.env, a.facts, a.outputs, a.group_vars)
    name = a.name or os.path.basename(os.path.normpath(a.directory))
    weights = lora_check(a.directory, name)
    prefix = f"{manifest.LORAS_PREFIX}{name}/"
    before = env.aws.list(env.bucket, prefix)
    if before and not a.replace:
        raise Usage(f"s3://{env.bucket}/{prefix} exists: pass --replace to publish new weights under the same name "
                    "(every request naming it then gets them), or choose another name")
    caller = env.aws.caller()
    m = manifest.make(a.directory, "lora", name, {"file": weights}, {"by": caller, "host": socket.gethostname(), "at": now(), "tool": TOOL},
                      files=[weights])
    log(f"uploading {name} ({m.files[weights].size} bytes, SHA-256 {m.files[weights].sha256[:12]}…) as {caller}")
    with tempfile.TemporaryDirectory() as d:
        shutil.copyfile(os.path.join(a.directory, weights), os.path.join(d, weights))
        env.aws.upload_tree(d, env.bucket, prefix, env.kms_key)
    listing = env.aws.list(env.bucket, prefix)
    if listing.get(prefix + weights) != m.files[weights].size:
        raise Failed(f"s3://{env.bucket}/{prefix}{weights} is not there at its size after the upload")
    env.aws.put(env.bucket, prefix + manifest.MANIFEST, m.dumps(), env.kms_key)
    for stale in sorted(k for k in listing if k not in (prefix + weights, prefix + manifest.MANIFEST)):
        env.aws.run("s3api", "delete-object", "--bucket", env.bucket, "--key", stale)
    sha = m.files[weights].sha256
    print(f"published {name}: s3://{env.bucket}/{prefix} (weights {sha})")
    if a.wait <= 0:
        return 0
    return wait_for(env, f"{name} served", lambda r: (r.get("loras") or {}).get(name) == sha and name in (r.get("server_loras") or []),
                    a.wait, a.interval)


def cmd_lora_withdraw(a) -> int:
    env = Env(a.env, a.facts, a.outputs, a.group_vars)
    if not loras.LORA_NAME.match(a.name):
        raise Usage(f"adapter name {a.name!r} is not one")
    prefix = f"{manifest.LORAS_PREFIX}{a.name}/"
    if not env.aws.list(env.bucket, prefix):
        raise Failed(f"no adapter {a.name} in s3://{env.bucket}/{manifest.LORAS_PREFIX}")
    log(f"withdrawing {a.name} as {env.aws.caller()} (the bucket keeps the deleted versions 30 days)")
    env.aws.delete_prefix(env.bucket, prefix)
    print(f"withdrew {a.name}: s3://{env.bucket}/{prefix}")
    if a.wait <= 0:
        return 0
    return wait_for(env, f"{a.name} no longer served", lambda r: "at" in r and a.name not in (r.get("loras") or {}) and a.name not in (r.get("server_loras") or []),
                    a.wait, a.interval)


def cmd_status(a) -> int:
    env = Env(a.env, a.facts, a.outputs, a.group_vars)
    rec = env.recorded()
    print(f"{env.name}: promoted {rec[VERSION_KEY] or '(none)'} {rec[DIGEST_KEY]}")
    code = 0
    for iid, r in reports(env).items():
        if not r:
            print(f"  {iid}: no report yet")
            code = 1
            continue
        base = r.get("base") or {}
        ok = base.get("version") == rec[VERSION_KEY] and base.get("sha256") == rec[DIGEST_KEY] and not r.get("errors")
        code = code or (0 if ok else 1)
        print(f"  {iid}: {'ok' if ok else 'DIFFERS'} at {r.get('at')} ({age(r):.0f} s ago): base {base.get('version')}, "
              f"server {r.get('server_status')}, adapters {', '.join(sorted(r.get('loras') or {})) or 'none'}"
              + (f"; errors: {'; '.join(r['errors'])}" if r.get("errors") else ""))
    return code


def cmd_quantizer_check(a) -> int:
    """Whether an instance type can be the quantization host (app/memory.py)."""
    gpu = next((g for g in memory.GPU_CLASSES if g.instance_type == a.instance_type), None)
    if gpu is None:
        raise Usage(f"{a.instance_type} is not in app/memory.py GPU_CLASSES: add its GPU memory, host RAM and capability "
                    "there before it quantizes (Models.Quantizer)")
    why = memory.quantizer_problem(gpu)
    if why:
        raise Failed(f"{a.instance_type} cannot quantize the transformer: {why}; use g6.2xlarge or g5.2xlarge (Models.Quantizer)")
    print(f"ok: {a.instance_type} ({gpu.gpu}, {gpu.host_gib:g} GiB): quantizing needs {memory.quantize_host_gib():.1f} GiB of RAM "
          f"and {memory.quantize_vram_gib():.1f} GiB of GPU memory")
    return 0


# --- host commands ------------------------------------------------------------


def host_config(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    missing = [k for k in ("bucket", "region", "model_dir") if not c.get(k)]
    if missing:
        raise Usage(f"{path}: missing {', '.join(missing)}")
    return c


def slug(repo: str) -> str:
    """"black-forest-labs/FLUX.1-dev" -> "flux-1-dev"."""
    return re.sub(r"[^a-z0-9]+", "-", repo.split("/")[-1].lower()).strip("-")


def cmd_build(a) -> int:
    """The quantization host's job (roles/ai_model_build): download, quantize,
    manifest, upload, manifest last."""
    c = host_config(a.config)
    for k in ("kms_key_arn", "token_secret", "image", "work_dir", "repo"):
        if not c.get(k):
            raise Usage(f"{a.config}: missing {k}")
    if not re.fullmatch(r"[0-9a-f]{40}", a.revision or ""):
        raise Usage(f"--revision {a.revision!r}: the 40-hex commit of {c['repo']} on Hugging Face (its \"Files and versions\" history): "
                    "a branch name would move")
    version = a.version or f"{slug(c['repo'])}-{a.revision[:12]}"
    if not manifest.VERSION_NAME.match(version):
        raise Usage(f"--version {version!r}: lower-case letters, digits, '.', '_' and '-'")
    aws = AWS(c["region"], c.get("endpoint_url", ""))
    prefix = version_prefix(version)
    listing = aws.list(c["bucket"], prefix)
    if prefix + manifest.MANIFEST in listing:
        raise Failed(f"s3://{c['bucket']}/{prefix} exists with its manifest: versions are immutable; pass --version to make another")
    docker = os.environ.get("DOCKER", "docker")
    work = os.path.abspath(c["work_dir"])
    dest = os.path.join(work, version)
    if os.path.exists(dest):
        shutil.rmtree(dest)  # a failed run's; the fetch wants an empty folder
    os.makedirs(work, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(work, 10001, 10001)  # the image's user (10001) writes there

    log(f"reading the Hugging Face token from Secrets Manager ({c['token_secret']})")
    token = aws.run("secretsmanager", "get-secret-value", "--secret-id", c["token_secret"], "--query", "SecretString", "--output", "text").strip()
    if not token or token == "None":
        raise Failed(f"the secret {c['token_secret']} has no value: put the token first (docs/runbooks/models.md)")
    log(f"downloading {c['repo']} at {a.revision} into {dest}")
    # The token goes to the container on stdin: never an argument, never
    # an environment variable of a process.
    r = subprocess.run([docker, "run", "--rm", "-i", "-v", f"{work}:/models", "--entrypoint", "python3", c["image"],
                        "-m", "app.fetch", "--repo", c["repo"], "--revision", a.revision, "--dest", f"/models/{version}"],
                       input=(token + "\n").encode(), capture_output=True)
    del token
    if r.returncode != 0:
        raise Failed(f"the download failed: {r.stderr.decode(errors='replace').strip()[-2000:]}")
    source = json.loads(r.stdout.decode().strip().splitlines()[-1])
    if a.quantize:
        log("quantizing the transformer to NF4 (app.quantize)")
        r = subprocess.run([docker, "run", "--rm", "--gpus", "all", "-v", f"{work}:/models", "-e", "MODEL_DIR=/models",
                            "-e", f"BASE_MODEL={version}", "--entrypoint", "python3", c["image"], "-m", "app.quantize"], capture_output=True)
        if r.returncode != 0:
            raise Failed(f"quantizing failed: {r.stderr.decode(errors='replace').strip()[-2000:]}")
        source["quantized_with"] = c["image"]
    log("hashing every file for the manifest")
    m = manifest.make(dest, "base", version, source, {"by": aws.caller(), "host": socket.gethostname(), "at": now(), "tool": TOOL})
    log(f"the version loads with: {', '.join(manifest.plans(m)) or 'no memory plan'}")
    publish(aws, dest, c["bucket"], prefix, c["kms_key_arn"], m)
    result = {"version": version, "manifest_sha256": m.digest(), "files": len(m.files), "bytes": m.total(), "plans": manifest.plans(m)}
    if a.result:
        with open(a.result, "w", encoding="utf-8") as f:
            json.dump(result, f)
    print(json.dumps(result))
    return 0


def publish(aws: AWS, local: str, bucket: str, prefix: str, kms_key: str, m: manifest.Manifest) -> None:
    """Upload a version: its files, a check of what the bucket holds, then
    the manifest, last."""
    log(f"uploading {len(m.files)} files, {m.total() / memory.GIB:.1f} GiB to s3://{bucket}/{prefix}")
    aws.upload_tree(local, bucket, prefix, kms_key)
    listing = aws.list(bucket, prefix)
    bad = [p for p, e in m.files.items() if listing.get(prefix + p) != e.size]
    if bad:
        raise Failed(f"after the upload, s3://{bucket}/{prefix} lacks or differs in: {', '.join(bad)}")
    aws.put(bucket, prefix + manifest.MANIFEST, m.dumps(), kms_key)
    log(f"wrote s3://{bucket}/{prefix}{manifest.MANIFEST} ({m.digest()})")


def stat_of(path: str) -> List[int]:
    s = os.stat(path)
    return [s.st_size, s.st_mtime_ns, s.st_ino]


def cmd_sync_base(a) -> int:
    """The promoted version into <model_dir>/base/<version>: downloaded,
    every file checked (hashed when it changed since the last check), bad
    files fetched again once, the manifest written last."""
    c = host_config(a.config)
    version, want = c.get("base_version", ""), c.get("base_sha256", "")
    if not manifest.VERSION_NAME.match(version) or not manifest.SHA256.match(want):
        raise Usage(f"{a.config}: base_version and base_sha256 must name the promoted version (ansible group_vars {VERSION_KEY}, {DIGEST_KEY})")
    aws = AWS(c["region"], c.get("endpoint_url", ""))
    prefix = version_prefix(version)
    m = bucket_manifest(aws, c["bucket"], version)
    if m.digest() != want:
        raise Failed(f"s3://{c['bucket']}/{prefix}{manifest.MANIFEST} has SHA-256 {m.digest()}, the promoted one is {want}: "
                     "promote the version again (scripts/models.sh promote)")
    local = os.path.join(c["model_dir"], "base", version)
    stamps = os.path.join(c["model_dir"], ".sync")
    os.makedirs(local, exist_ok=True)
    os.makedirs(stamps, exist_ok=True)
    stamp_path = os.path.join(stamps, f"base-{version}.json")
    installed = os.path.join(local, manifest.MANIFEST)
    changed = not (os.path.isfile(installed) and manifest.load(installed).digest() == want)

    def stats() -> dict:
        return {p: stat_of(os.path.join(local, p)) if os.path.isfile(os.path.join(local, p)) else None for p in m.files}

    for attempt in (1, 2):
        before = stats()
        aws.download_tree(c["bucket"], prefix, local)
        # The sync itself may replace a file: one missing, of another size,
        # or newer on the volume than in the bucket (the AWS CLI downloads
        # when the local copy is newer: awscli customizations/s3/
        # syncstrategy/base.py, compare_time). That is a change too.
        changed = changed or stats() != before
        try:
            with open(stamp_path, encoding="utf-8") as f:
                stamp = json.load(f)
        except (FileNotFoundError, ValueError):
            stamp = {}
        known = stamp.get("files", {}) if stamp.get("sha256") == want else {}
        fresh = [p for p in m.files if not (os.path.isfile(os.path.join(local, p)) and known.get(p) == stat_of(os.path.join(local, p)))]
        problems = manifest.verify(local, m, hash_paths=fresh)
        if not problems:
            break
        changed = True
        log(f"attempt {attempt}: {'; '.join(problems)}")
        if attempt == 2:
            raise Failed(f"{local} does not match the manifest of {version} after two downloads: " + "; ".join(problems)
                         + " (the bucket's copy differs from its manifest: promote the version again)")
        # Fetch the bad files again: remove them, the next download brings them back.
        for line in problems:
            bad = os.path.join(local, line.split(": ", 1)[1].split(" ", 1)[0])
            if os.path.isfile(bad):
                os.remove(bad)
    if changed:
        with open(installed + ".tmp", "wb") as f:
            f.write(m.dumps())
        os.replace(installed + ".tmp", installed)
    with open(stamp_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"sha256": want, "verified_at": now(), "files": {p: stat_of(os.path.join(local, p)) for p in m.files}}, f)
    os.replace(stamp_path + ".tmp", stamp_path)
    print(json.dumps({"version": version, "changed": changed, "hashed": len(fresh), "files": len(m.files)}))
    return 0


def cmd_prune_base(a) -> int:
    """Remove the versions under <model_dir>/base but the one configured."""
    c = host_config(a.config)
    keep = c.get("base_version", "")
    base = os.path.join(c["model_dir"], "base")
    removed = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        if name != keep and manifest.VERSION_NAME.match(name):
            shutil.rmtree(os.path.join(base, name))
            removed.append(name)
            stamp = os.path.join(c["model_dir"], ".sync", f"base-{name}.json")
            if os.path.exists(stamp):
                os.remove(stamp)
    print(json.dumps({"kept": keep, "removed": removed, "changed": bool(removed)}))
    return 0


def server_view(url: str) -> dict:
    """What the local model server says: /healthz and /v1/loras."""
    out = {}
    try:
        with urllib.request.urlopen(url + "/v1/loras", timeout=5) as r:
            out["server_loras"] = json.load(r).get("loras", [])
    except (OSError, ValueError) as e:
        out["server_loras"], out["server_error"] = [], f"/v1/loras: {e}"
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
            h = json.load(r)
    except urllib.error.HTTPError as e:
        try:
            h = json.load(e)
        except ValueError:
            h = {"status": f"HTTP {e.code}"}
    except (OSError, ValueError) as e:
        h = {"status": f"unreachable: {e}"}
    out["server_status"] = h.get("status")
    out["server_model"] = h.get("model")
    return out


def cmd_sync_loras(a) -> int:
    """Adapters: each complete one (its manifest in the bucket) installed in
    <model_dir>/.lora-store/<name>@<sha12>/ once its files match the
    manifest, then made current by renaming a symbolic link over
    loras/<name> (one atomic step: a request sees the old adapter or the
    new one, never a mix); adapters gone from the bucket removed the same
    way; an upload in progress (files, no manifest yet) changes nothing.
    Then this server's report, models/status/<instance>.json."""
    c = host_config(a.config)
    for k in ("instance_id", "kms_key_arn"):
        if not c.get(k):
            raise Usage(f"{a.config}: missing {k}")
    aws = AWS(c["region"], c.get("endpoint_url", ""))
    root = c["model_dir"]
    store, current, work = os.path.join(root, ".lora-store"), os.path.join(root, "loras"), os.path.join(root, ".sync", "loras")
    for d in (store, current, work):
        os.makedirs(d, exist_ok=True)
    listing = aws.list(c["bucket"], manifest.LORAS_PREFIX)
    names: Dict[str, Dict[str, int]] = {}
    for key, size in listing.items():
        name, _, rest = key[len(manifest.LORAS_PREFIX):].partition("/")
        if rest:
            names.setdefault(name, {})[rest] = size
    errors, changes = [], []
    for name, files in sorted(names.items()):
        link = os.path.join(current, name)
        if not loras.LORA_NAME.match(name):
            errors.append(f"{name}: not an adapter name")
            continue
        if manifest.MANIFEST not in files:
            continue  # being uploaded: keep what is installed
        try:
            m = manifest.parse(aws.get(c["bucket"], f"{manifest.LORAS_PREFIX}{name}/{manifest.MANIFEST}"), f"{name}/{manifest.MANIFEST}")
            if m.kind != "lora" or m.name != name or len(m.files) != 1:
                raise Failed(f"{name}: its manifest is not one adapter's single weights file")
            weights, entry = next(iter(m.files.items()))
            target = os.path.join(store, f"{name}@{entry.sha256[:12]}")
            rel = os.path.relpath(target, current)
            if os.path.islink(link) and os.readlink(link) == rel and os.path.isdir(target):
                continue  # current already
            if not os.path.isdir(target):
                if files.get(weights) != entry.size:
                    raise Failed(f"{name}: {weights} is not in the bucket at the manifest's size (an upload in progress?)")
                partial = os.path.join(work, f"{name}@{entry.sha256[:12]}")
                shutil.rmtree(partial, ignore_errors=True)
                os.makedirs(partial)
                aws.run("s3api", "get-object", "--bucket", c["bucket"], "--key", f"{manifest.LORAS_PREFIX}{name}/{weights}", os.path.join(partial, weights))
                with open(os.path.join(partial, manifest.MANIFEST), "wb") as f:
                    f.write(m.dumps())
                why = manifest.verify(partial, m) or [w for w in [loras.weights_problem(os.path.join(partial, weights))] if w]
                if why:
                    shutil.rmtree(partial, ignore_errors=True)
                    raise Failed(f"{name}: not installed: {'; '.join(why)}")
                os.replace(partial, target)
            tmp = os.path.join(current, f".{name}.new")
            if os.path.lexists(tmp):
                os.remove(tmp)
            os.symlink(rel, tmp)
            os.replace(tmp, link)
            changes.append(f"installed {name} {entry.sha256[:12]}")
        except (Failed, manifest.ManifestError) as e:
            errors.append(str(e))
    for name in sorted(os.listdir(current)):
        path = os.path.join(current, name)
        if name.startswith(".") or name in names:
            continue
        if os.path.islink(path):
            os.remove(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
        changes.append(f"withdrew {name}")
    used = {os.path.basename(os.readlink(os.path.join(current, n))) for n in os.listdir(current) if os.path.islink(os.path.join(current, n))}
    for d in os.listdir(store):
        if d not in used:
            shutil.rmtree(os.path.join(store, d), ignore_errors=True)
    for line in changes:
        log(line)
    served = {}
    for n in sorted(os.listdir(current)):
        try:
            served[n] = next(iter(manifest.load(os.path.join(current, n, manifest.MANIFEST)).files.values())).sha256
        except (OSError, manifest.ManifestError, StopIteration):
            pass
    report = {
        "instance": c["instance_id"], "at": now(),
        "base": {"version": c.get("base_version"), "sha256": c.get("base_sha256")},
        "loras": served,
        "errors": errors,
    }
    if c.get("server_url"):
        report.update(server_view(c["server_url"]))
    aws.put(c["bucket"], f"{manifest.STATUS_PREFIX}{c['instance_id']}.json", json.dumps(report, sort_keys=True).encode(), c["kms_key_arn"])
    print(json.dumps({"changed": bool(changes), "changes": changes, "errors": errors}))
    return 1 if errors else 0


# --- command line -------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/models.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    sub = p.add_subparsers(dest="command", required=True)

    def env_args(sp):
        sp.add_argument("--env", required=True)
        sp.add_argument("--facts", required=True, help="`go run . facts ENV` as a file")
        sp.add_argument("--outputs", default="", help="outputs/ENV.json")
        sp.add_argument("--group-vars", default="", help="default ansible/group_vars/ENV.yml")

    s = sub.add_parser("verify", help="check a version in the bucket")
    env_args(s)
    s.add_argument("--version", default="")
    s.add_argument("--sha256", default="")
    s.set_defaults(func=cmd_verify)
    s = sub.add_parser("record", help="record a version of the bucket in group_vars")
    env_args(s)
    s.add_argument("--version", required=True)
    s.add_argument("--sha256", default="")
    s.set_defaults(func=cmd_record)
    s = sub.add_parser("promote", help="copy a version from the source environment")
    env_args(s)
    s.add_argument("--source", required=True)
    s.add_argument("--source-facts", required=True)
    s.add_argument("--source-outputs", default="")
    s.add_argument("--source-group-vars", default="")
    s.add_argument("--version", default="")
    s.set_defaults(func=cmd_promote)
    s = sub.add_parser("lora-upload", help="publish an adapter")
    env_args(s)
    s.add_argument("directory")
    s.add_argument("--name", default="")
    s.add_argument("--replace", action="store_true")
    s.add_argument("--wait", type=float, default=300)
    s.add_argument("--interval", type=float, default=10)
    s.set_defaults(func=cmd_lora_upload)
    s = sub.add_parser("lora-withdraw", help="withdraw an adapter")
    env_args(s)
    s.add_argument("name")
    s.add_argument("--wait", type=float, default=300)
    s.add_argument("--interval", type=float, default=10)
    s.set_defaults(func=cmd_lora_withdraw)
    s = sub.add_parser("quantizer-check", help="whether an instance type can quantize (app/memory.py)")
    s.add_argument("--instance-type", required=True)
    s.set_defaults(func=cmd_quantizer_check)
    s = sub.add_parser("status", help="what every GPU server serves")
    env_args(s)
    s.set_defaults(func=cmd_status)
    for name, func, helptext in (("build", cmd_build, "the quantization host's job"), ("sync-base", cmd_sync_base, "a GPU server's base model"),
                                 ("sync-loras", cmd_sync_loras, "a GPU server's adapters and report"), ("prune-base", cmd_prune_base, "remove versions not served")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("--config", required=True, help="the host's JSON configuration (the Ansible roles write it)")
        if name == "build":
            s.add_argument("--revision", required=True)
            s.add_argument("--version", default="")
            s.add_argument("--no-quantize", dest="quantize", action="store_false", help="a bf16-only version (48 GB GPUs)")
            s.add_argument("--result", default="", help="write the result JSON here too")
        s.set_defaults(func=func)
    return p


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    try:
        return a.func(a)
    except Usage as e:
        print(f"models.py {a.command}: {e}", file=sys.stderr)
        return 2
    except (Failed, manifest.ManifestError) as e:
        print(f"models.py {a.command}: FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
