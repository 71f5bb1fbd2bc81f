"""Tests of scripts/preflight_checks.py (pytest): the parts the fixtures of
preflight.bats do not vary. The end-to-end cases, with the real facts and a
fake AWS CLI, are in preflight.bats."""

import json
import pathlib
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "preflight_checks.py"
sys.path.insert(0, str(SCRIPT.parent))
import preflight_checks as pc  # noqa: E402


@pytest.mark.parametrize("instance_type,cls", [
    ("m6i.xlarge", "standard"), ("t3.medium", "standard"), ("c7g.large", "standard"), ("r6a.large", "standard"),
    ("i4i.large", "standard"), ("z1d.large", "standard"), ("d3.xlarge", "standard"), ("a1.large", "standard"),
    ("g5.xlarge", "gvt"), ("g6.xlarge", "gvt"), ("g4dn.xlarge", "gvt"), ("vt1.3xlarge", "gvt"),
    ("p4d.24xlarge", "p"), ("p5.48xlarge", "p"),
    # families whose letter would mislead: each has its own quota
    ("inf2.xlarge", None), ("dl1.24xlarge", None), ("trn1.2xlarge", None), ("hpc7g.4xlarge", None),
    ("mac2.metal", None), ("u-6tb1.56xlarge", None), ("x2idn.16xlarge", None), ("f1.2xlarge", None),
])
def test_vcpu_class(instance_type, cls):
    assert pc.vcpu_class(instance_type) == cls


def work(tmp_path, tiers, instance_types):
    facts = {
        "environment": "staging", "region": "eu-central-1", "tags": {"Project": "p", "Environment": "staging"},
        "tiers": tiers, "instance_types": sorted({t["instance_type"] for t in tiers}),
    }
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    (tmp_path / "instances.json").write_text(json.dumps({"Reservations": []}))
    (tmp_path / "instance-types-1.json").write_text(json.dumps({"InstanceTypes": [
        {"InstanceType": t, "VCpuInfo": {"DefaultVCpus": v}} for t, v in instance_types.items()]}))
    return pc.Work(tmp_path)


def quota(tmp_path, code, value):
    service, _, name = pc.QUOTAS[code]
    (tmp_path / f"quota-{code}.json").write_text(json.dumps(
        {"Quota": {"ServiceCode": service, "QuotaCode": code, "QuotaName": name, "Value": value}}))


def tier(name, typ, count, gpu=False):
    return {"name": name, "instance_type": typ, "count": count, "gpu": gpu, "zone_ids": [], "recover_alarm": False}


def test_quota_codes_follow_the_instance_types(tmp_path):
    w = work(tmp_path, [tier("odoo", "m6i.large", 1), tier("ai", "p5.48xlarge", 1, True)], {})
    assert pc.quota_codes(w) == ["ec2 L-1216C47A", "ec2 L-417A185B"]


def test_p_instances_are_checked_against_their_own_quota(tmp_path):
    w = work(tmp_path, [tier("ai", "p4d.24xlarge", 2, True)], {"p4d.24xlarge": 96})
    quota(tmp_path, "L-417A185B", 96)
    problems, fixes, _ = pc.check_gpu_vcpus(w)
    assert "Running On-Demand P instances (L-417A185B)" in problems[0]
    assert "--quota-code L-417A185B --desired-value 192 --region eu-central-1" in fixes[0]


def test_a_family_without_a_known_quota_fails_instead_of_passing(tmp_path):
    w = work(tmp_path, [tier("odoo", "m6i.large", 1), tier("search", "x2idn.16xlarge", 1)], {"m6i.large": 2})
    quota(tmp_path, "L-1216C47A", 64)
    problems, fixes, _ = pc.check_standard_vcpus(w)
    assert problems == ["this preflight does not know the On-Demand vCPU quota of x2idn.16xlarge"]
    assert "list-service-quotas --service-code ec2" in fixes[0]


def test_judge_reports_a_check_it_could_not_ask_and_a_skipped_one(tmp_path, capsys):
    work(tmp_path, [tier("odoo", "m6i.large", 1)], {"m6i.large": 2})
    (tmp_path / "not-asked-secrets.txt").write_text("aws secretsmanager list-secrets ...: AccessDenied\n")
    (tmp_path / "skipped-vpcs").touch()
    assert pc.main(["preflight_checks.py", "judge", str(tmp_path), "vpcs", "secrets"]) == 1
    out = capsys.readouterr().out
    assert "WARNING: SKIPPED preflight check 'vpcs'" in out
    assert "FAIL secrets: could not ask AWS:\n       aws secretsmanager list-secrets ...: AccessDenied" in out
    assert (tmp_path / "failed").read_text() == "secrets\n"


def test_an_answer_of_the_wrong_shape_fails_the_check(tmp_path, capsys):
    work(tmp_path, [tier("odoo", "m6i.large", 1)], {"m6i.large": 2})
    (tmp_path / "quota-L-1216C47A.json").write_text("Value 64\n")  # --output text
    assert pc.main(["preflight_checks.py", "judge", str(tmp_path), "standard-vcpus"]) == 1
    assert "FAIL standard-vcpus: cannot read the AWS answer" in capsys.readouterr().out
