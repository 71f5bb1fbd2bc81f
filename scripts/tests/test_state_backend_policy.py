"""The CI roles' state-bucket policies against real Terraform (D5, D7).

Terraform's S3 backend (the real one, in the Terraform binary on PATH) is
pointed at a local S3 stand-in that enforces the IAM policy of one CI role,
read from the synthesized shared stack (e2etest/testdata/shared-stack.json, kept equal
to the synthesized stack by the Go snapshot test). The stand-in answers the
S3 calls the backend makes and decides each one as IAM would for that policy:

* ListObjectsV2 is s3:ListBucket on the bucket with the s3:prefix key;
* HeadObject and GetObject are s3:GetObject on the object; for a missing
  object S3 answers 404 only to a caller that may s3:ListBucket, else 403
  (S3 API reference, GetObject/HeadObject "Permissions"); which s3:prefix S3
  evaluates in that hidden check is not documented: the stand-in uses the
  object key, the most generous reading, so a 403 here would be one on AWS;
* PutObject and DeleteObject are s3:PutObject / s3:DeleteObject; a PutObject
  with If-None-Match: * on an existing key is 412 (the lock file);
* SSE-KMS: a PutObject naming a KMS key needs kms:GenerateDataKey and a read
  of an SSE-KMS object needs kms:Decrypt, on the state key, whose alias is the
  kms:ResourceAliases context (S3 calls KMS with the caller's credentials).

Every decision is logged, so a test can assert that Terraform made no request
the policy refuses, whether or not Terraform tolerated the refusal.

What Terraform 1.11 does (internal/backend/remote-state/s3 at v1.11.4):
backend_state.go Workspaces() lists the bucket with prefix "env:/" (the
default workspace_key_prefix "env:" plus "/") on init and on every command
that opens the state; since commit 57ec131e (Terraform 1.8) an AccessDenied
on that listing is logged ("Unable to list non-default workspaces") and
ignored when the prefix is the default one. client.go get() is HeadObject
then GetObject; lockWithFile() is PutObject <key>.tflock with If-None-Match;
unlockWithFile() is GetObject then DeleteObject of the lock file.
"""

import http.server
import json
import os
import shutil
import subprocess
import threading
import urllib.parse
from fnmatch import fnmatchcase

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.join(REPO, "e2etest", "testdata", "shared-stack.json")
DEV = os.path.join(REPO, "e2etest", "testdata", "dev-stack.json")
ACCOUNT = "123456789012"
KEY_ID = "0000aaaa-bb11-cc22-dd33-eeeeeeeeeeee"

TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(
    TERRAFORM is None and not os.environ.get("INFLUENCEGEN_REQUIRE_TERRAFORM"),
    reason="terraform is not on PATH: install Terraform >= 1.10 to run the state-bucket policy test",
)


# --- IAM evaluation of one identity policy ------------------------------------

def _as_list(v):
    return v if isinstance(v, list) else [v]


def _condition_holds(op, key, values, context):
    """One condition operator on one key, as IAM evaluates it."""
    values = [str(v) for v in _as_list(values)]
    have = context.get(key)
    for_any = op.startswith("ForAnyValue:")
    base = op.split(":", 1)[1] if ":" in op else op
    negated = "Not" in base
    if have is None:
        # An absent key satisfies only the negated operators.
        return negated
    haves = _as_list(have)
    if base in ("StringEquals", "ArnEquals"):
        match = [h for h in haves if h in values]
    elif base in ("StringLike", "ArnLike"):
        match = [h for h in haves if any(fnmatchcase(h, v) for v in values)]
    elif base in ("StringNotEquals", "ArnNotEquals"):
        return all(h not in values for h in haves)
    elif base in ("StringNotLike", "ArnNotLike"):
        return all(not any(fnmatchcase(h, v) for v in values) for h in haves)
    else:
        raise AssertionError(f"the stand-in does not evaluate condition operator {op}")
    return bool(match) if (for_any or len(haves) == 1) else len(match) == len(haves)


def _statement_applies(st, action, resource, context):
    if "Action" in st and not any(fnmatchcase(action.lower(), a.lower()) for a in _as_list(st["Action"])):
        return False
    if "NotAction" in st and any(fnmatchcase(action.lower(), a.lower()) for a in _as_list(st["NotAction"])):
        return False
    if "Resource" in st and not any(fnmatchcase(resource, r) for r in _as_list(st["Resource"])):
        return False
    if "NotResource" in st and any(fnmatchcase(resource, r) for r in _as_list(st["NotResource"])):
        return False
    for op, keys in st.get("Condition", {}).items():
        for key, values in keys.items():
            if not _condition_holds(op, key, values, context):
                return False
    return True


def allowed(policy, action, resource, context=None):
    """Explicit deny wins; then any allow; else the implicit deny."""
    context = context or {}
    sts = policy["Statement"]
    if any(s["Effect"] == "Deny" and _statement_applies(s, action, resource, context) for s in sts):
        return False
    return any(s["Effect"] == "Allow" and _statement_applies(s, action, resource, context) for s in sts)


def role_policy(logical_prefix):
    """The inline policy of a CI role, from the synthesized shared stack, with
    the partition and account data sources resolved."""
    with open(SHARED, encoding="utf-8") as f:
        stack = json.load(f)
    found = [r for name, r in stack["resource"]["aws_iam_role_policy"].items() if name.startswith(logical_prefix + "_")]
    assert len(found) == 1, f"{logical_prefix}: {len(found)} policies in {SHARED}"
    text = found[0]["policy"]
    text = text.replace("${data.aws_partition.partition.partition}", "aws")
    text = text.replace("${data.aws_caller_identity.caller.account_id}", ACCOUNT)
    assert "${" not in text, f"unresolved reference in {logical_prefix}: {text}"
    return json.loads(text)


def backend_of(stack_file):
    with open(stack_file, encoding="utf-8") as f:
        return json.load(f)["terraform"]["backend"]["s3"]


# --- the S3 stand-in ------------------------------------------------------------

class StandIn:
    """A path-style S3 endpoint on loopback that enforces one policy."""

    def __init__(self, bucket, region, kms_alias):
        self.bucket, self.region, self.kms_alias = bucket, region, kms_alias
        self.policy = None
        self.objects = {}  # key -> (body, sse-kms?)
        self.log = []  # (method, path, action, resource, decision)
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status, code):
                body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{code}</Message></Error>'
                self._reply(status, body.encode(), {"Content-Type": "application/xml"})

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n) if n else b""
                if "aws-chunked" in (self.headers.get("Content-Encoding") or ""):
                    raise AssertionError("aws-chunked bodies are not decoded: keep skip_s3_checksum")
                return data

            def _handle(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                parts = urllib.parse.unquote(url.path).lstrip("/").split("/", 1)
                bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
                if bucket != outer.bucket:
                    return self._error(404, "NoSuchBucket")
                body = self._body() if self.command == "PUT" else b""
                outer.serve(self, key, query, body)

            do_GET = do_HEAD = do_PUT = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _decide(self, method, key, action, resource, context=None):
        ok = allowed(self.policy, action, resource, context)
        with self.lock:
            self.log.append((method, key, action, resource, json.dumps(context or {}, sort_keys=True), ok))
        return ok

    def denied(self):
        return [e for e in self.log if not e[-1]]

    def serve(self, h, key, query, body):
        bucket_arn = f"arn:aws:s3:::{self.bucket}"
        key_arn = f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{KEY_ID}"
        kms_ctx = {"kms:ResourceAliases": ["alias/" + self.kms_alias]}
        m = h.command
        if key == "":
            if m == "GET" and query.get("list-type") == "2":
                ctx = {"s3:prefix": query["prefix"]} if "prefix" in query else {}
                if not self._decide(m, "", "s3:ListBucket", bucket_arn, ctx):
                    return h._error(403, "AccessDenied")
                prefix = query.get("prefix", "")
                items = "".join(
                    f"<Contents><Key>{k}</Key><Size>{len(v[0])}</Size></Contents>"
                    for k, v in sorted(self.objects.items()) if k.startswith(prefix)
                )
                xml = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>'
                       f"<Name>{self.bucket}</Name><Prefix>{prefix}</Prefix><KeyCount>0</KeyCount>"
                       f"<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{items}</ListBucketResult>")
                return h._reply(200, xml.encode(), {"Content-Type": "application/xml"})
            raise AssertionError(f"the stand-in does not serve {m} {h.path}")
        obj_arn = f"{bucket_arn}/{key}"
        if m in ("GET", "HEAD"):
            if not self._decide(m, key, "s3:GetObject", obj_arn):
                return h._error(403, "AccessDenied")
            if key not in self.objects:
                # 404 only to a caller that may list the bucket (see module doc).
                if self._decide(m, key, "s3:ListBucket", bucket_arn, {"s3:prefix": key}):
                    return h._error(404, "NoSuchKey")
                return h._error(403, "AccessDenied")
            data, kms = self.objects[key]
            if kms and not self._decide(m, key, "kms:Decrypt", key_arn, kms_ctx):
                return h._error(403, "AccessDenied")
            return h._reply(200, data, {"Content-Type": "application/json", "ETag": '"0"'})
        if m == "PUT":
            if not self._decide(m, key, "s3:PutObject", obj_arn):
                return h._error(403, "AccessDenied")
            kms = h.headers.get("x-amz-server-side-encryption") == "aws:kms"
            if kms and not self._decide(m, key, "kms:GenerateDataKey", key_arn, kms_ctx):
                return h._error(403, "AccessDenied")
            if h.headers.get("If-None-Match") == "*" and key in self.objects:
                return h._error(412, "PreconditionFailed")
            self.objects[key] = (body, kms)
            return h._reply(200, b"", {"ETag": '"0"'})
        if m == "DELETE":
            if not self._decide(m, key, "s3:DeleteObject", obj_arn):
                return h._error(403, "AccessDenied")
            self.objects.pop(key, None)
            return h._reply(204)
        raise AssertionError(f"the stand-in does not serve {m} {h.path}")


# --- running Terraform against it ----------------------------------------------

MAIN_TF = """
terraform {
  backend "s3" {}
}

resource "terraform_data" "marker" {
  input = "state-bucket policy test"
}
"""


class Workdir:
    def __init__(self, path, s3, state_key):
        self.path, self.s3 = path, s3
        path.mkdir(parents=True, exist_ok=True)
        (path / "main.tf").write_text(MAIN_TF)
        real = backend_of(DEV)
        cfg = {
            "bucket": real["bucket"], "key": state_key, "region": real["region"],
            "encrypt": real["encrypt"], "kms_key_id": real["kms_key_id"], "use_lockfile": real["use_lockfile"],
            "use_path_style": True, "skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "skip_region_validation": True, "skip_s3_checksum": True,
        }
        lines = [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
        lines.append(f'endpoints = {{ s3 = "{s3.endpoint}" }}')
        (path / "backend.hcl").write_text("\n".join(lines) + "\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env.update({
            "AWS_ACCESS_KEY_ID": "fake-access-key-for-a-local-stand-in",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-key-for-a-local-stand-in",
            "AWS_EC2_METADATA_DISABLED": "true",
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_LOG": "WARN",
            "TF_DATA_DIR": str(path / ".terraform"),
        })

    def run(self, *args):
        r = subprocess.run([TERRAFORM, *args, "-input=false", "-no-color"], cwd=self.path, env=self.env,
                           capture_output=True, text=True, timeout=120)
        return r

    def init(self):
        return self.run("init", "-backend-config=backend.hcl", "-reconfigure")


def ok(r):
    assert r.returncode == 0, f"terraform failed:\n{r.stdout}\n{r.stderr}"
    return r


def first_failure(*steps):
    """Run Terraform steps in order; return the first failed run, or None."""
    for step in steps:
        r = step()
        if r.returncode != 0:
            return r
    return None


@pytest.fixture()
def s3():
    real = backend_of(DEV)
    with StandIn(real["bucket"], real["region"], real["kms_key_id"].removeprefix("alias/")) as s:
        yield s


def deploy(env):
    return role_policy(f"github_deploy-{env}-policy")


def plan_role(env):
    return role_policy(f"github_plan-{env}-policy")


def without_workspace_prefix(policy):
    """The policy as it was before D5: ListBucket only for the state key."""
    out = json.loads(json.dumps(policy))
    for st in out["Statement"]:
        for keys in st.get("Condition", {}).values():
            if "s3:prefix" in keys:
                keys["s3:prefix"] = [p for p in _as_list(keys["s3:prefix"]) if not p.startswith("env:")]
    return out


def test_the_evaluator_follows_iam_rules():
    pol = {"Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::b"],
         "Condition": {"StringLike": {"s3:prefix": ["dev/*"]}}},
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b/*"]},
        {"Effect": "Deny", "Action": ["s3:GetObject"], "NotResource": ["arn:aws:s3:::b/dev/*"]},
    ]}
    assert allowed(pol, "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "dev/x"})
    assert not allowed(pol, "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "env:/"})
    assert not allowed(pol, "s3:ListBucket", "arn:aws:s3:::b")  # absent key: StringLike is false
    assert allowed(pol, "s3:GetObject", "arn:aws:s3:::b/dev/state")
    assert not allowed(pol, "s3:GetObject", "arn:aws:s3:::b/production/state")  # explicit deny wins
    assert allowed(pol, "s3:PutObject", "arn:aws:s3:::b/production/state")


def test_deploy_role_runs_init_plan_apply_with_no_request_refused(s3, tmp_path):
    s3.policy = deploy("dev")
    w = Workdir(tmp_path / "dev", s3, "dev/terraform.tfstate")
    ok(w.init())
    ok(w.run("plan"))
    ok(w.run("apply", "-auto-approve"))
    assert "dev/terraform.tfstate" in s3.objects, "apply wrote no state"
    assert s3.objects["dev/terraform.tfstate"][1], "state not written with SSE-KMS"
    ok(w.run("plan", "-detailed-exitcode"))
    listed = [e for e in s3.log if e[2] == "s3:ListBucket" and '"env:/"' in e[4]]
    assert listed, "Terraform no longer lists the workspace prefix env:/ (re-read backend_state.go)"
    assert s3.denied() == [], "requests the deploy role may not make:\n" + "\n".join(map(str, s3.denied()))
    assert "dev/terraform.tfstate.tflock" not in s3.objects, "lock file left behind"


def test_without_the_workspace_prefix_terraform_only_hides_the_refusal(s3, tmp_path):
    """The pre-D5 policy: Terraform 1.11 lists env:/, is refused, logs a
    warning and carries on. The run passes; the refusal is real."""
    s3.policy = without_workspace_prefix(deploy("dev"))
    w = Workdir(tmp_path / "dev", s3, "dev/terraform.tfstate")
    r = ok(w.init())
    ok(w.run("plan"))
    refused = [e for e in s3.denied() if e[2] == "s3:ListBucket"]
    assert refused and all('"env:/"' in e[4] for e in refused), s3.log
    assert "Unable to list non-default workspaces" in r.stderr, r.stderr[-2000:]


def test_deploy_role_cannot_open_another_environments_state(s3, tmp_path):
    s3.objects["production/terraform.tfstate"] = (b'{"version":4}', True)
    s3.policy = deploy("dev")
    w = Workdir(tmp_path / "prod", s3, "production/terraform.tfstate")
    r = first_failure(w.init, lambda: w.run("plan"))
    assert r is not None and "403" in r.stderr, "the deploy role of dev opened production's state"
    assert any(e[1] == "production/terraform.tfstate" for e in s3.denied())


def test_plan_role_plans_its_environment_read_only(s3, tmp_path):
    s3.policy = deploy("dev")
    w = Workdir(tmp_path / "dev", s3, "dev/terraform.tfstate")
    ok(w.init())
    ok(w.run("apply", "-auto-approve"))
    s3.log.clear()
    s3.policy = plan_role("dev")
    ok(w.init())
    ok(w.run("plan", "-lock=false", "-detailed-exitcode"))
    assert s3.denied() == [], "requests the plan role may not make:\n" + "\n".join(map(str, s3.denied()))
    # The plan role writes nothing: the state lock is refused.
    r = w.run("plan")
    assert r.returncode != 0 and "Error acquiring the state lock" in r.stderr, r.stderr[-2000:]
    assert any(e[2] == "s3:PutObject" and e[1].endswith(".tflock") for e in s3.denied())


@pytest.mark.parametrize("other", ["staging", "production"])
def test_plan_role_cannot_read_another_environments_state(s3, tmp_path, other):
    key = f"{other}/terraform.tfstate"
    s3.objects[key] = (b'{"version":4}', True)
    s3.policy = plan_role("dev")
    w = Workdir(tmp_path / other, s3, key)
    r = first_failure(w.init, lambda: w.run("plan", "-lock=false"))
    assert r is not None and "403" in r.stderr, f"the plan role of dev opened {other}'s state"
    assert any(e[1] == key and e[2] == "s3:GetObject" for e in s3.denied())

