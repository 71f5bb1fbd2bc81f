"""Who may do what with the models, decided as IAM decides it
(tests/iam_eval.py) over every role the synthesized stacks define
(e2etest/testdata: the environments, shared-stack, and what
Scale.QuantizationHost adds to staging): each model action is allowed to
exactly the principals that do it, and to no other role of the account.

The S3 action decides: the data key's policy lets every principal of the
account use it through S3 (constructs/encryption UseThroughServices), so
the key adds no limit (iam_eval.py reads the key policies as AWS does). Each environment's deploy role administers its
environment — s3:* on its buckets (constructs/cicd ManageOwnBuckets), for
Terraform to create, configure and, on destroy, empty them — so it may do
anything with its own models, within its permissions boundary; it is
listed as such. A new role that touches the models makes this fail until
it is listed here.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import iam_eval  # noqa: E402

TESTDATA = os.path.join(os.path.dirname(__file__), "..", "..", "e2etest", "testdata")
ENVS = ("dev", "staging", "production")
ACCOUNT = iam_eval.ACCOUNT


@pytest.fixture(scope="module")
def stacks():
    paths = [os.path.join(TESTDATA, f"{e}-stack.json") for e in ENVS]
    paths += [os.path.join(TESTDATA, "shared-stack.json"), os.path.join(TESTDATA, "staging-quantizer.json")]
    return iam_eval.Stacks(paths)


@pytest.fixture(scope="module")
def principals(stacks):
    return {name: stacks.principal(name) for name in stacks.describe()["roles"]}


def bucket(env):
    return f"influencegen-{env}-models-{ACCOUNT}"


def who(principals, action, env, key):
    """The roles allowed an S3 object action on env's model bucket."""
    return {name for name, p in principals.items() if p.allowed(action, f"arn:aws:s3:::{bucket(env)}/{key}")[0]}


def lister(principals, env, prefix):
    return {n for n, p in principals.items() if p.allowed("s3:ListBucket", f"arn:aws:s3:::{bucket(env)}", {"s3:prefix": prefix})[0]}


@pytest.mark.parametrize("env", ENVS)
def test_each_model_action_is_granted_to_exactly_its_principal(principals, stacks, env):
    source = {"staging": "dev", "production": "staging"}.get(env)
    promoter = {f"influencegen-promote-models-to-{env}"} if source else set()
    target = {"dev": "staging", "staging": "production"}.get(env)
    reader_promoter = {f"influencegen-promote-models-to-{target}"} if target else set()
    quantizer = {"influencegen-staging-ai-quantizer"} if env == "staging" else set()  # the switch is on in the overlay only
    gpu, lora, plan = f"influencegen-{env}-ai", f"influencegen-{env}-lora-publisher", f"influencegen-plan-{env}"
    deploy = {f"influencegen-deploy-{env}"}
    version = "models/base/flux-1-dev-0ef5fff789c8/"
    expect = {
        # a model version: made by the quantization host or copied in by the promotion role
        ("s3:PutObject", version + "transformer/x.safetensors"): quantizer | promoter | deploy,
        # read by the GPU servers, the host that made it, the next environment's promotion role
        ("s3:GetObject", version + "transformer/x.safetensors"): {gpu} | quantizer | promoter | reader_promoter | deploy,
        # its manifest also by the read-only plan role, for the deploy preflight
        ("s3:GetObject", version + "manifest.json"): {gpu, plan} | quantizer | promoter | reader_promoter | deploy,
        # nobody deletes a version but Terraform emptying the bucket
        ("s3:DeleteObject", version + "manifest.json"): deploy,
        # adapters: published and withdrawn by the LoRA publisher, read by the GPU servers
        ("s3:PutObject", "models/loras/brand-a/pytorch_lora_weights.safetensors"): {lora} | deploy,
        ("s3:DeleteObject", "models/loras/brand-a/pytorch_lora_weights.safetensors"): {lora} | deploy,
        ("s3:GetObject", "models/loras/brand-a/pytorch_lora_weights.safetensors"): {gpu, lora} | deploy,
        # reports: written by the GPU servers, read by them and the LoRA publisher (who waits on them)
        ("s3:PutObject", "models/status/i-0123456789abcdef0.json"): {gpu} | deploy,
        ("s3:GetObject", "models/status/i-0123456789abcdef0.json"): {gpu, lora} | deploy,
        # tags: nobody but the deploy role; so scripts/models.py copies with
        # --copy-props metadata-directive (the CLI's default asks
        # GetObjectTagging before a multipart copy)
        ("s3:GetObjectTagging", version + "transformer/x.safetensors"): deploy,
        # anything else of the bucket: nobody but the deploy role
        ("s3:PutObject", "other/x"): deploy,
    }
    for (action, key), want in expect.items():
        got = who(principals, action, env, key)
        assert got == want, f"{env}: {action} on {key}: allowed to {sorted(got)}, should be {sorted(want)}"


@pytest.mark.parametrize("env", ENVS)
def test_listing_follows_the_grants(principals, env):
    gpu, lora, deploy = f"influencegen-{env}-ai", f"influencegen-{env}-lora-publisher", f"influencegen-deploy-{env}"
    # ReadOnlyAccess lets every plan role list every bucket it is not denied.
    plans = {n for n in principals if n.startswith("influencegen-plan-")}
    assert lister(principals, env, "models/loras/") - plans == {gpu, lora, deploy}
    got = lister(principals, env, "models/base/v/") - plans
    assert gpu in got and lora not in got


def test_the_token_is_read_by_the_quantization_host_only(principals, stacks):
    d = stacks.describe()
    for env in ENVS:
        secret = d["secrets"][f"influencegen/{env}/huggingface/token"]["arn"]
        readers = {n for n, p in principals.items() if p.allowed("secretsmanager:GetSecretValue", secret)[0]}
        quantizer = {"influencegen-staging-ai-quantizer"} if env == "staging" else set()
        # the plan role refreshes its environment's secrets (aws_secretsmanager_secret_version)
        assert readers == quantizer | {f"influencegen-plan-{env}"}, (env, readers)


def test_no_environment_reaches_another_ones_models_but_through_promotion(principals):
    for name, p in principals.items():
        if name.startswith("influencegen-promote-models-to-") or name.startswith("influencegen-deploy-"):
            continue
        own = next((e for e in ENVS if f"-{e}-" in name or name.endswith(f"-{e}")), None)
        for env in ENVS:
            if env == own:
                continue
            ok, why = p.allowed("s3:GetObject", f"arn:aws:s3:::{bucket(env)}/models/base/v/manifest.json")
            assert not ok, f"{name} reads {env}'s models: {why}"
