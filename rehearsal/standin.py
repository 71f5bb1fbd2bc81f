#!/usr/bin/env python3
"""The offline stand-ins of the actions the workflows use (make rehearse).

Each rehearsal/actions/<owner>/<repo>/action.yml declares the upstream
action's inputs and outputs at the pinned major and runs this script with
STANDIN_ACTION (owner/repo@major) and STANDIN_INPUTS (the inputs as JSON).
It does what the rehearsal needs of the action, keeps the part of its
contract a job depends on, and fails where the real action would, or where
the rehearsal cannot honour a request:

* aws-actions/configure-aws-credentials@v4 (src/index.ts, v4.3.1): the
  role must be one the shared stack creates (REHEARSAL_ROLES, from its mock
  deployment) and its trust policy must admit this job's OIDC token
  (REHEARSAL_OIDC_SUB, computed by the rehearsal from the event, ref and
  the job's GitHub environment; aud is the `audience` input); the session
  lasts role-duration-seconds (default 3600, DEFAULT_ROLE_DURATION), which
  STS refuses above the role's MaxSessionDuration. Credentials go to
  GITHUB_ENV as the action exports them, plus REHEARSAL_ROLE_ARN and
  REHEARSAL_CREDENTIALS_EXPIRE for the fake AWS CLI and the ledger.
* hashicorp/setup-terraform@v3: terraform_version must be the pinned
  version (REHEARSAL_TERRAFORM_VERSION); the wrapper (terraform_wrapper
  true) is not emulated and refused. Puts REHEARSAL_TERRAFORM (the
  rehearsal's terraform) on the PATH.
* actions/upload-artifact@v4 (action.yml, v4.6.2): hidden files are left
  out unless include-hidden-files; an existing artifact of the same name
  is refused unless overwrite; if-no-files-found error|warn|ignore.
* actions/download-artifact@v4: the named artifact must exist.
* actions/setup-node@v4: node-version-file must exist; cache: npm needs a
  lock file ("Dependencies lock file is not found").
* actions/setup-go@v5, actions/setup-python@v5: the version asked for must
  be the one on the PATH (the rehearsal does not download toolchains).
* actions/github-script@v7: the script is syntax-checked by Node as the
  action wraps it (an async function body); its GitHub API calls are not
  made.
* actions/checkout@v4, actions/cache@v4: the workspace is already the
  repository; nothing is cached.

Every call is appended to REHEARSAL_LEDGER (JSON lines).
"""

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path


def fail(msg):
    # Plain text on stdout too: act shows a host job's stdout, and
    # ::error:: lines only as annotations.
    print(f"{os.environ.get('STANDIN_ACTION')}: {msg}", flush=True)
    print(f"::error::{os.environ.get('STANDIN_ACTION')}: {msg}")
    sys.exit(1)


def ledger(**entry):
    path = os.environ.get("REHEARSAL_LEDGER")
    if path:
        entry.update(job=os.environ.get("REHEARSAL_JOB", os.environ.get("GITHUB_JOB", "")), action=os.environ["STANDIN_ACTION"], time=time.time())
        with open(path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def append(var, line):
    with open(os.environ[var], "a") as f:
        f.write(line + "\n")


def output(name, value):
    append("GITHUB_OUTPUT", f"{name}={value}")


def version_of(cmd, pattern):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"{cmd[0]} is not on the runner: {e}")
    m = re.search(pattern, out)
    return m.group(1) if m else ""


def workspace():
    return Path(os.environ.get("GITHUB_WORKSPACE", "."))


def configure_aws_credentials(inp):
    role = inp.get("role-to-assume", "")
    region = inp.get("aws-region", "")
    if not region:
        fail("aws-region is empty (a required input; the variable it reads is unset)")
    if not role:
        fail("role-to-assume is empty: the expression it reads yields nothing (an unset variable?)")
    roles = json.loads(Path(os.environ["REHEARSAL_ROLES"]).read_text())
    if role not in roles:
        fail(f"role {role} is not a role the shared stack creates ({', '.join(sorted(roles))})")
    sub = os.environ.get("REHEARSAL_OIDC_SUB", "")
    aud = inp.get("audience") or "sts.amazonaws.com"
    claims = {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}
    if not trusts(roles[role]["trust"], claims):
        fail(f"AssumeRoleWithWebIdentity refused: the trust policy of {role} does not admit sub={sub!r} aud={aud!r}")
    duration = int(inp.get("role-duration-seconds") or 3600)
    cap = int(roles[role]["max_session_duration"])
    if duration > cap:
        fail(f"The requested DurationSeconds ({duration}) exceeds the MaxSessionDuration ({cap}) set for {role}")
    account = role.split(":")[4]
    expires = time.time() + duration
    for k, v in {
        "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "ASIAREHEARSALNOTREAL0", "AWS_SECRET_ACCESS_KEY": "rehearsal-not-a-secret",
        "AWS_SESSION_TOKEN": "rehearsal-session-token", "REHEARSAL_ROLE_ARN": role,
        "REHEARSAL_CREDENTIALS_EXPIRE": str(int(expires)), "REHEARSAL_CREDENTIALS_SECONDS": str(duration),
    }.items():
        append("GITHUB_ENV", f"{k}={v}")
    output("aws-account-id", account)
    ledger(role=role, sub=sub, duration=duration, session=inp.get("role-session-name") or "GitHubActions")
    print(f"assumed {role} as {sub} for {duration} s (role-session-name {inp.get('role-session-name') or 'GitHubActions'})")


def trusts(policy, claims):
    """The trust policy's conditions on the token claims: StringEquals and
    StringLike (the only operators the shared stack writes)."""
    for st in policy.get("Statement", []):
        if st.get("Effect") != "Allow" or "sts:AssumeRoleWithWebIdentity" not in as_list(st.get("Action")):
            continue
        ok = True
        for op, keys in st.get("Condition", {}).items():
            for key, want in keys.items():
                have = claims.get(key)
                if have is None:
                    ok = False
                elif op == "StringEquals":
                    ok = ok and have in as_list(want)
                elif op == "StringLike":
                    ok = ok and any(fnmatch.fnmatchcase(have, w) for w in as_list(want))
                else:
                    fail(f"trust condition operator {op} is not evaluated by the rehearsal")
        if ok:
            return True
    return False


def as_list(v):
    return v if isinstance(v, list) else [v] if v is not None else []


def setup_terraform(inp):
    want = os.environ["REHEARSAL_TERRAFORM_VERSION"]
    if inp.get("terraform_version") != want:
        fail(f"terraform_version is {inp.get('terraform_version')!r}: the version the tests use is {want} (environments.TerraformVersion)")
    if inp.get("terraform_wrapper", "true") != "false":
        fail("terraform_wrapper: the wrapper (stdout/stderr/exitcode outputs) is not emulated; the workflows set it to false")
    have = version_of([os.environ["REHEARSAL_REAL_TERRAFORM"], "version"], r"Terraform v(\S+)")
    if have != want:
        fail(f"the rehearsal's Terraform is {have}, not {want}")
    append("GITHUB_PATH", os.environ["REHEARSAL_TERRAFORM_DIR"])
    ledger(version=want)


def setup_node(inp):
    f = inp.get("node-version-file")
    want = inp.get("node-version") or (workspace() / f).read_text().strip() if f and (workspace() / f).exists() else inp.get("node-version")
    if f and not (workspace() / f).exists():
        fail(f"node-version-file {f} does not exist")
    if inp.get("cache") == "npm" and not any((workspace() / n).exists() for n in ("package-lock.json", "npm-shrinkwrap.json")):
        fail("Dependencies lock file is not found (cache: npm needs package-lock.json)")
    have = version_of(["node", "--version"], r"v(\d+)")
    if want and have != want.lstrip("v").split(".")[0]:
        fail(f"node {want} asked, the rehearsal has {have}")
    output("node-version", have)
    ledger(version=have)


def setup_go(inp):
    f = inp.get("go-version-file")
    if f:
        p = workspace() / f
        if not p.exists():
            fail(f"go-version-file {f} does not exist")
        m = re.search(r"^go (\S+)", p.read_text(), re.M)
        want = m.group(1) if m else ""
    else:
        want = inp.get("go-version", "")
    have = version_of(["go", "version"], r"go(\d+\.\d+(?:\.\d+)?)")
    if not have.startswith(want.rsplit(".", 1)[0] if want.count(".") > 1 else want):
        fail(f"go {want} asked, the rehearsal has {have}")
    output("go-version", have)
    ledger(version=have)


def setup_python(inp):
    want = inp.get("python-version", "")
    have = version_of(["python3", "--version"], r"Python (\d+\.\d+)")
    if want and not (have == want or have.startswith(want + ".")):
        fail(f"python {want} asked, the rehearsal has {have}")
    output("python-version", have)
    # The rehearsal's Python directory: python -m pip installs of the pinned
    # versions put Ansible there.
    append("GITHUB_PATH", os.environ["REHEARSAL_PYTHON_DIR"])
    ledger(version=have)


def artifacts():
    d = Path(os.environ["REHEARSAL_ARTIFACTS"])
    d.mkdir(parents=True, exist_ok=True)
    return d


def upload_artifact(inp):
    name = inp.get("name") or "artifact"
    dest = artifacts() / name
    if dest.exists():
        if inp.get("overwrite", "false") != "true":
            fail(f"Failed to CreateArtifact: an artifact with the name {name} already exists in this run")
        shutil.rmtree(dest)
    hidden = inp.get("include-hidden-files", "false") == "true"
    files = []
    for raw in inp.get("path", "").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        p = Path(raw) if os.path.isabs(raw) else workspace() / raw
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and (hidden or not any(part.startswith(".") for part in rel.parts)):
                    files.append((f, rel))
        elif p.is_file() and (hidden or not p.name.startswith(".")):
            files.append((p, Path(p.name)))
    if not files:
        mode = inp.get("if-no-files-found", "warn")
        msg = f"No files were found with the provided path: {inp.get('path')}. No artifacts will be uploaded."
        if mode == "error":
            fail(msg)
        if mode == "warn":
            print(f"::warning::{msg}")
        ledger(name=name, files=0)
        return
    for src, rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    output("artifact-id", str(abs(hash(name)) % 10**9))
    ledger(name=name, files=len(files))
    print(f"uploaded {len(files)} file(s) as {name}")


def download_artifact(inp):
    name = inp.get("name")
    if not name:
        fail("downloading every artifact (no name) is not emulated")
    src = artifacts() / name
    if not src.exists():
        fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
    dest = Path(inp.get("path") or workspace())
    if not dest.is_absolute():
        dest = workspace() / dest
    shutil.copytree(src, dest, dirs_exist_ok=True)
    output("download-path", str(dest))
    ledger(name=name)


def github_script(inp):
    script = inp.get("script", "")
    wrapped = Path(os.environ.get("RUNNER_TEMP", "/tmp")) / "standin-github-script.js"
    # The action runs the script as the body of an async function.
    wrapped.write_text("(async function (github, context, core, glob, io, exec, require) {\n" + script + "\n})\n")
    r = subprocess.run(["node", "--check", str(wrapped)], capture_output=True, text=True)
    if r.returncode:
        fail("the script does not parse:\n" + r.stderr)
    ledger(note="script parsed; GitHub API calls not made")
    print("github-script: the script parses; its GitHub API calls are not made in the rehearsal")


def checkout(inp):
    ledger(note="the workspace is the repository")


def cache(inp):
    output("cache-hit", "false")
    ledger(note="nothing cached")


ACTIONS = {
    "aws-actions/configure-aws-credentials@v4": configure_aws_credentials,
    "hashicorp/setup-terraform@v3": setup_terraform,
    "actions/setup-node@v4": setup_node,
    "actions/setup-go@v5": setup_go,
    "actions/setup-python@v5": setup_python,
    "actions/upload-artifact@v4": upload_artifact,
    "actions/download-artifact@v4": download_artifact,
    "actions/github-script@v7": github_script,
    "actions/checkout@v4": checkout,
    "actions/cache@v4": cache,
}


def main():
    action = os.environ["STANDIN_ACTION"]
    if action not in ACTIONS:
        fail("no stand-in")
    inputs = {k: v for k, v in json.loads(os.environ.get("STANDIN_INPUTS") or "{}").items() if v is not None}
    inputs = {k: v if isinstance(v, str) else json.dumps(v) if not isinstance(v, bool) else str(v).lower() for k, v in inputs.items()}
    ACTIONS[action](inputs)


if __name__ == "__main__":
    main()
