#!/usr/bin/python3
"""The IAM policies the stacks synthesize, resolved to concrete ARNs, and
the decision AWS makes on a request, for the stand-ins (tests/s3_standin.py)
and the grant tables (scripts/tests/test_model_grants.py).

Stacks are read as cdktf writes them (e2etest/testdata/<stack>.json, kept
equal to the synthesized JSON by the snapshot test): a role's identity
policy is every aws_iam_role_policy whose role names it, plus the AWS
managed policies it attaches that MANAGED models; its permissions boundary
is the aws_iam_policy of shared-stack its permissions_boundary names.
References are resolved the way Terraform would give them: the account and
partition, a bucket's ARN from its name, a key's and a secret's ARN made up
once per resource (they are random in AWS: tests read them from
Stacks.describe()).

The decision (AWS IAM User Guide, "Policy evaluation logic", for a
principal and a resource of one account): an explicit Deny in the identity
policy, the boundary or the key policy wins; otherwise the identity policy
must Allow and, when there is a boundary, the boundary must Allow too.
Bucket policies are not read: they only deny requests without TLS (the
stand-ins are plain HTTP). Key policies are (AWS KMS Developer Guide, "Key
policies"): an identity policy counts for a key only when the key policy
delegates to the account (a statement for the account root,
AccountAdministersKey here), and a key policy statement for "*" or the
role grants on its own — the data keys let the account's principals use
them through S3 (constructs/encryption UseThroughServices, conditioned on
kms:CallerAccount and kms:ViaService, which the stand-in sends as S3
does). A grant of the key policy is still held to the boundary, as a
resource policy naming a role is.

Conditions: the operators the stacks use (StringEquals, StringLike,
ArnEquals, ArnLike, Bool, each also ForAnyValue:), evaluated as IAM does
(a key missing from the request context matches nothing); any other
operator raises, so a new policy shape fails the tests instead of being
guessed. Request context keys are the caller's (the stand-in builds them
as S3 and KMS document: s3:prefix on ListBucket, kms:ViaService,
kms:CallerAccount, kms:EncryptionContext:aws:s3:arn, kms:ResourceAliases).

Another evaluator (the IAM simulator of internal/iam) can take its place:
the stand-ins call Principal.allowed(action, resource, context) only.

usage: iam_eval.py describe STACK.json... [--account ID]   the buckets, keys,
       secrets and roles the stacks define, as JSON
"""

import argparse
import fnmatch
import hashlib
import json
import re
import sys
import uuid
from typing import Dict, List, Optional, Tuple

ACCOUNT = "123456789012"
PARTITION = "aws"

# AWS managed policies the stacks attach, reduced to what they allow of the
# actions the stand-ins serve (S3 objects, KMS, Secrets Manager): the AWS
# Managed Policy Reference Guide lists each one's actions.
MANAGED = {
    # "Provides read-only access to AWS services and resources": s3:Get*,
    # s3:List*, kms:Describe*/Get*/List*, secretsmanager:Describe*/List*
    # (not GetSecretValue) among its actions.
    "ReadOnlyAccess": [{"Effect": "Allow", "Action": [
        "s3:Get*", "s3:List*", "kms:Describe*", "kms:Get*", "kms:List*",
        "secretsmanager:DescribeSecret", "secretsmanager:List*"], "Resource": "*"}],
    # Session Manager and Run Command: ssm, ssmmessages, ec2messages,
    # no S3 object, KMS or Secrets Manager action.
    "AmazonSSMManagedInstanceCore": [],
    # Service roles (flow logs, RDS monitoring, AWS Backup): nothing the
    # stand-ins serve.
    "service-role/AmazonRDSEnhancedMonitoringRole": [],
    "service-role/AWSBackupServiceRolePolicyForBackup": [],
    "service-role/AWSBackupServiceRolePolicyForRestores": [],
}

TOKEN = re.compile(r"\$\{([^}]+)\}")


class EvaluationError(Exception):
    """A policy the evaluator does not understand: fail, never guess."""


def _as_list(v) -> List:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _like(pattern: str, value: str) -> bool:
    """IAM's wildcard match: * any run of characters ("/" included), ? one."""
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


class Stack:
    """One synthesized stack (an overlay naming the same stackName adds to
    it), its references resolved within it."""

    def __init__(self, name: str, region: str, account: str):
        self.name, self.region, self.account = name, region, account
        self.resources: Dict[str, Dict[str, dict]] = {}  # type -> logical name -> body

    def _made_up(self, typ: str, name: str) -> str:
        return hashlib.sha256(f"{self.name}/{typ}/{name}".encode()).hexdigest()

    def attribute(self, typ: str, name: str, attr: str) -> str:
        body = self.resources.get(typ, {}).get(name)
        if body is None:
            raise EvaluationError(f"{typ}.{name} is not in {self.name}")
        if typ == "aws_s3_bucket":
            bucket = self.resolve(body["bucket"])
            return f"arn:{PARTITION}:s3:::{bucket}" if attr == "arn" else bucket
        if typ == "aws_kms_key":
            key = str(uuid.UUID(self._made_up(typ, name)[:32]))
            return f"arn:{PARTITION}:kms:{self.region}:{self.account}:key/{key}" if attr == "arn" else key
        if typ == "aws_secretsmanager_secret":
            suffix = self._made_up(typ, name)[:6]
            arn = f"arn:{PARTITION}:secretsmanager:{self.region}:{self.account}:secret:{self.resolve(body['name'])}-{suffix}"
            return arn if attr in ("arn", "id") else self.resolve(body["name"])
        if typ in ("aws_iam_role", "aws_iam_policy"):
            kind = "role" if typ == "aws_iam_role" else "policy"
            n = self.resolve(body["name"])
            return f"arn:{PARTITION}:iam::{self.account}:{kind}/{n}" if attr == "arn" else n
        # Anything else: a stable made-up value that matches no real ARN.
        return f"arn:{PARTITION}:unresolved:{self.region}:{self.account}:{typ}/{name}/{attr}"

    def resolve(self, value):
        """value with every ${...} reference replaced; lists and maps too."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if not isinstance(value, str):
            return value

        def one(m):
            ref = m.group(1)
            if ref == "data.aws_caller_identity.caller.account_id":
                return self.account
            if ref == "data.aws_partition.partition.partition":
                return PARTITION
            parts = ref.split(".")
            if len(parts) == 3 and parts[0].startswith("aws_"):
                return self.attribute(*parts)
            raise EvaluationError(f"{self.name}: cannot resolve ${{{ref}}}")

        return TOKEN.sub(one, value)


class Stacks:
    """Synthesized stacks, read together: a role of one stack, its
    boundary from another (shared-stack)."""

    def __init__(self, paths: List[str], account: str = ACCOUNT):
        self.account = account
        self.stacks: Dict[str, Stack] = {}
        for path in paths:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            name = (doc.get("//") or {}).get("metadata", {}).get("stackName") or path
            region = ""
            for p in _as_list((doc.get("provider") or {}).get("aws")):
                if not p.get("alias"):
                    region = p.get("region", "")
            st = self.stacks.get(name)
            if st is None:
                st = self.stacks[name] = Stack(name, region, account)
            st.region = st.region or region
            for typ, named in (doc.get("resource") or {}).items():
                st.resources.setdefault(typ, {}).update(named)

    def resolve(self, value):
        """Resolve within the only stack read (a convenience for one stack)."""
        if len(self.stacks) != 1:
            raise EvaluationError("resolve in a Stack: several stacks were read")
        return next(iter(self.stacks.values())).resolve(value)

    def by_name(self, typ: str, name: str) -> Tuple[Stack, str, dict]:
        for st in self.stacks.values():
            for logical, body in st.resources.get(typ, {}).items():
                if st.resolve(body.get("name", body.get("bucket"))) == name:
                    return st, logical, body
        raise EvaluationError(f"no {typ} named {name} in the stacks read")

    def principal(self, role_name: str) -> "Principal":
        st, logical, role = self.by_name("aws_iam_role", role_name)
        refs = {f"${{aws_iam_role.{logical}.id}}", f"${{aws_iam_role.{logical}.name}}", role_name}
        statements, managed = [], []
        for body in st.resources.get("aws_iam_role_policy", {}).values():
            if body.get("role") in refs:
                statements += _as_list(json.loads(st.resolve(body["policy"]))["Statement"])
        for body in st.resources.get("aws_iam_role_policy_attachment", {}).values():
            if body.get("role") in refs:
                arn = st.resolve(body["policy_arn"])
                name = arn.split(":policy/", 1)[-1]
                if name not in MANAGED:
                    raise EvaluationError(f"{role_name} attaches {arn}, which iam_eval.MANAGED does not model")
                managed.append(name)
                statements += MANAGED[name]
        boundary = None
        if role.get("permissions_boundary"):
            name = st.resolve(role["permissions_boundary"]).split(":policy/", 1)[-1]
            bst, _, policy = self.by_name("aws_iam_policy", name)
            boundary = _as_list(json.loads(bst.resolve(policy["policy"]))["Statement"])
        return Principal(st.attribute("aws_iam_role", logical, "arn"), role_name, statements, boundary, managed, self.key_policies())

    def key_policies(self) -> Dict[str, List[dict]]:
        """Key ARN -> its key policy's statements."""
        out = {}
        for st in self.stacks.values():
            for name, body in st.resources.get("aws_kms_key", {}).items():
                if body.get("policy"):
                    out[st.attribute("aws_kms_key", name, "arn")] = _as_list(json.loads(st.resolve(body["policy"]))["Statement"])
        return out

    def describe(self) -> dict:
        """Buckets (name -> region, default key ARN, tags), keys (alias ->
        ARN), secrets (name -> ARN, secrets key ARN) and roles (name -> ARN)."""
        out = {"account": self.account, "buckets": {}, "keys": {}, "secrets": {}, "roles": {}}
        for st in self.stacks.values():
            sse = {}
            for body in st.resources.get("aws_s3_bucket_server_side_encryption_configuration", {}).values():
                rule = _as_list(body.get("rule"))[0]
                default = _as_list(rule.get("apply_server_side_encryption_by_default"))[0]
                sse[st.resolve(body["bucket"])] = st.resolve(default.get("kms_master_key_id", "")) or None
            for name, body in st.resources.get("aws_s3_bucket", {}).items():
                bucket = st.resolve(body["bucket"])
                out["buckets"][bucket] = {"region": st.region, "kms_key_arn": sse.get(bucket), "stack": st.name}
            for body in st.resources.get("aws_kms_alias", {}).values():
                out["keys"][body["name"]] = st.resolve(body["target_key_id"].replace(".key_id}", ".arn}"))
            for name, body in st.resources.get("aws_secretsmanager_secret", {}).items():
                out["secrets"][st.attribute("aws_secretsmanager_secret", name, "name")] = {
                    "arn": st.attribute("aws_secretsmanager_secret", name, "arn"),
                    "kms_key_arn": st.resolve(body.get("kms_key_id", "")),
                    "region": st.region,
                }
            for name in st.resources.get("aws_iam_role", {}):
                out["roles"][st.attribute("aws_iam_role", name, "name")] = st.attribute("aws_iam_role", name, "arn")
        return out


class Principal:
    """A role: its identity statements and its permissions boundary."""

    def __init__(self, arn: str, name: str, statements: List[dict], boundary: Optional[List[dict]], managed: List[str],
                 key_policies: Optional[Dict[str, List[dict]]] = None):
        self.arn, self.name, self.statements, self.boundary, self.managed = arn, name, statements, boundary, managed
        self.key_policies = key_policies or {}
        self.account = arn.split(":")[4]

    def _named(self, st: dict) -> str:
        """How a key policy statement names this role: "direct" ("*" or the
        role), "account" (the account root: IAM policies decide) or ""."""
        principals = _as_list((st.get("Principal") or {}).get("AWS")) if isinstance(st.get("Principal"), dict) else _as_list(st.get("Principal"))
        if "*" in principals or self.arn in principals:
            return "direct"
        if f"arn:{PARTITION}:iam::{self.account}:root" in principals or self.account in principals:
            return "account"
        return ""

    def allowed(self, action: str, resource: str, context: Optional[Dict[str, object]] = None) -> Tuple[bool, str]:
        """(decision, why): IAM's evaluation for one request."""
        context = context or {}
        key_policy = self.key_policies.get(resource)
        for where, sts in (("identity policy", self.statements), ("permissions boundary", self.boundary or []),
                           ("key policy", [s for s in key_policy or [] if self._named(s)])):
            for st in sts:
                if st.get("Effect") == "Deny" and _matches(st, action, resource, context):
                    return False, f"explicitly denied by the {where} ({st.get('Sid', 'no Sid')})"
        by_identity = any(st.get("Effect") == "Allow" and _matches(st, action, resource, context) for st in self.statements)
        if key_policy is not None:
            grants = [st for st in key_policy if st.get("Effect") == "Allow" and _matches(st, action, resource, context)]
            by_key = any(self._named(st) == "direct" for st in grants)
            if by_identity and not by_key and not any(self._named(st) == "account" for st in grants):
                return False, f"the key policy of {resource} lets no IAM policy grant {action}"
            by_identity = by_identity or by_key
        if not by_identity:
            return False, f"no statement of {self.name}'s policies allows {action} on {resource}"
        if self.boundary is not None and not any(st.get("Effect") == "Allow" and _matches(st, action, resource, context) for st in self.boundary):
            return False, f"{self.name}'s permissions boundary does not allow {action} on {resource}"
        return True, "allowed"


def _matches(st: dict, action: str, resource: str, context: Dict[str, object]) -> bool:
    if "Action" in st:
        if not any(_like(a.lower(), action.lower()) for a in _as_list(st["Action"])):
            return False
    elif "NotAction" in st:
        if any(_like(a.lower(), action.lower()) for a in _as_list(st["NotAction"])):
            return False
    else:
        raise EvaluationError(f"statement {st.get('Sid')} has neither Action nor NotAction")
    if "Resource" in st:
        if not any(_like(r, resource) for r in _as_list(st["Resource"])):
            return False
    elif "NotResource" in st:
        if any(_like(r, resource) for r in _as_list(st["NotResource"])):
            return False
    return all(_condition(op, key, _as_list(values), context) for op, kv in (st.get("Condition") or {}).items() for key, values in kv.items())


def _condition(op: str, key: str, values: List[str], context: Dict[str, object]) -> bool:
    any_value = op.startswith("ForAnyValue:")
    base = op.split(":", 1)[1] if any_value else op
    if key not in context:
        return False  # IAM: a key missing from the request context matches nothing
    have = [str(v).lower() if base == "Bool" else str(v) for v in _as_list(context[key])]
    if len(have) != 1 and not any_value:
        raise EvaluationError(f"{key} is multivalued: {op} needs ForAnyValue: or ForAllValues:")
    if base in ("StringEquals", "ArnEquals"):
        test = lambda p, v: p == v  # noqa: E731
    elif base in ("StringLike", "ArnLike"):
        test = _like
    elif base == "Bool":
        test = lambda p, v: p.lower() == v  # noqa: E731
    else:
        raise EvaluationError(f"condition operator {op} is not modelled (iam_eval.py)")
    return any(test(p, v) for p in values for v in have)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="the buckets, keys, secrets and roles of synthesized stacks")
    p.add_argument("command", choices=["describe"])
    p.add_argument("stacks", nargs="+")
    p.add_argument("--account", default=ACCOUNT)
    a = p.parse_args(argv)
    json.dump(Stacks(a.stacks, a.account).describe(), sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
