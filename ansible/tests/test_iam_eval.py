"""tests/iam_eval.py decides as IAM does on planted policies: an explicit
Deny wins, the boundary caps the identity policy, NotAction and NotResource
invert, wildcards span "/", a condition key missing from the request
matches nothing, ForAnyValue takes any value; a key policy counts an
identity grant only when it delegates to the account, and grants on its
own to "*" under its conditions; what it does not model fails loudly. The
stand-ins rely on each."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import iam_eval  # noqa: E402


def principal(statements, boundary=None):
    return iam_eval.Principal("arn:aws:iam::123456789012:role/r", "r", statements, boundary, [])


ALLOW_MODELS = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/models/*"]}


@pytest.mark.parametrize("statements, boundary, action, resource, context, allowed", [
    ([ALLOW_MODELS], None, "s3:GetObject", "arn:aws:s3:::b/models/base/v/x", {}, True),  # * spans "/"
    ([ALLOW_MODELS], None, "S3:getobject", "arn:aws:s3:::b/models/x", {}, True),  # actions are case-insensitive
    ([ALLOW_MODELS], None, "s3:GetObject", "arn:aws:s3:::b/other/x", {}, False),
    ([ALLOW_MODELS, {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/models/secret*"}], None,
     "s3:GetObject", "arn:aws:s3:::b/models/secret.txt", {}, False),  # an explicit Deny wins
    ([ALLOW_MODELS], [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}], "s3:GetObject", "arn:aws:s3:::b/models/x", {}, False),  # the boundary caps
    ([ALLOW_MODELS], [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "s3:GetObject", "arn:aws:s3:::b/models/x", {}, True),
    ([{"Effect": "Deny", "Action": "s3:GetObject*", "NotResource": ["arn:aws:s3:::b/models/*/manifest.json"]}, ALLOW_MODELS], None,
     "s3:GetObject", "arn:aws:s3:::b/models/v/manifest.json", {}, True),
    ([{"Effect": "Deny", "Action": "s3:GetObject*", "NotResource": ["arn:aws:s3:::b/models/*/manifest.json"]}, ALLOW_MODELS], None,
     "s3:GetObject", "arn:aws:s3:::b/models/v/model_index.json", {}, False),
    ([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": ["models/*"]}}}], None,
     "s3:ListBucket", "arn:aws:s3:::b", {}, False),  # no s3:prefix in the request: no match
    ([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": ["models/*"]}}}], None,
     "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "models/loras/"}, True),
    ([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/a"]}}}], None,
     "kms:Decrypt", "arn:aws:kms:eu-central-1:123456789012:key/k", {"kms:ResourceAliases": ["alias/b", "alias/a"]}, True),
    ([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/a"]}}}], None,
     "kms:Decrypt", "arn:aws:kms:eu-central-1:123456789012:key/k", {"kms:ResourceAliases": ["alias/b"]}, False),
])
def test_decisions(statements, boundary, action, resource, context, allowed):
    assert principal(statements, boundary).allowed(action, resource, context)[0] is allowed


def test_what_it_does_not_model_fails_loudly(tmp_path):
    with pytest.raises(iam_eval.EvaluationError, match="NumericLessThan"):
        principal([{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": ["10"]}}}]).allowed(
            "s3:ListBucket", "arn:aws:s3:::b", {"s3:max-keys": "5"})
    stack = {"//": {"metadata": {"stackName": "x"}}, "resource": {
        "aws_iam_role": {"r": {"name": "r"}},
        "aws_iam_role_policy_attachment": {"a": {"role": "${aws_iam_role.r.name}", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
    }}
    path = tmp_path / "x.json"
    path.write_text(json.dumps(stack))
    with pytest.raises(iam_eval.EvaluationError, match="AdministratorAccess, which iam_eval.MANAGED does not model"):
        iam_eval.Stacks([str(path)]).principal("r")


KEY = "arn:aws:kms:eu-central-1:123456789012:key/k"
VIA_S3 = {"kms:ViaService": "s3.eu-central-1.amazonaws.com", "kms:CallerAccount": "123456789012"}
DELEGATE = {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}, "Action": "kms:*", "Resource": "*"}
THROUGH_S3 = {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
              "Condition": {"StringEquals": {"kms:CallerAccount": ["123456789012"], "kms:ViaService": ["s3.eu-central-1.amazonaws.com"]}}}
ALLOW_KEY = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}


@pytest.mark.parametrize("key_policy, statements, boundary, context, allowed", [
    ([DELEGATE], [ALLOW_KEY], None, {}, True),  # the key delegates to IAM: the identity policy decides
    ([DELEGATE], [], None, VIA_S3, False),
    ([THROUGH_S3], [ALLOW_KEY], None, {}, False),  # no delegation: an identity grant alone counts for nothing
    ([DELEGATE, THROUGH_S3], [], None, VIA_S3, True),  # the key policy grants the account's principals through S3
    ([DELEGATE, THROUGH_S3], [], None, {**VIA_S3, "kms:CallerAccount": "210987654321"}, False),
    ([DELEGATE, THROUGH_S3], [], None, {"kms:CallerAccount": "123456789012"}, False),  # not through S3
    ([DELEGATE, THROUGH_S3], [], [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], VIA_S3, False),  # the boundary still caps
    ([DELEGATE, THROUGH_S3, {**THROUGH_S3, "Effect": "Deny", "Action": "kms:Decrypt"}], [ALLOW_KEY], None, VIA_S3, False),  # its Deny wins
])
def test_key_policies(key_policy, statements, boundary, context, allowed):
    p = iam_eval.Principal("arn:aws:iam::123456789012:role/r", "r", statements, boundary, [], {KEY: key_policy})
    assert p.allowed("kms:Decrypt", KEY, context)[0] is allowed
