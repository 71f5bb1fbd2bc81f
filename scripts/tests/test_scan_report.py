"""scan_report.py: suppressions need a justification; reports are counted."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "scan_report.py")
REPO = os.path.join(HERE, "..", "..")


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


def test_the_repository_suppressions_are_justified(tmp_path):
    r = run("ignores", os.path.join(REPO, ".scan-ignore.yaml"), str(tmp_path / "t.yaml"), str(tmp_path / "f"))
    assert r.returncode == 0, r.stderr
    assert "statement:" in (tmp_path / "t.yaml").read_text()


def test_a_suppression_without_justification_fails(tmp_path):
    bad = tmp_path / "ignore.yaml"
    bad.write_text("trivy:\n  - id: AWS-0053\n    why: ''\ntflint: []\n")
    r = run("ignores", str(bad), str(tmp_path / "t.yaml"), str(tmp_path / "f"))
    assert r.returncode == 1 and "no justification" in r.stderr


def test_a_rule_suppressed_twice_fails(tmp_path):
    bad = tmp_path / "ignore.yaml"
    bad.write_text("trivy: []\ntflint:\n  - rule: x\n    why: a\n  - rule: x\n    why: b\n")
    r = run("ignores", str(bad), str(tmp_path / "t.yaml"), str(tmp_path / "f"))
    assert r.returncode == 1 and "appears twice" in r.stderr


def test_tflint_flags_are_rendered(tmp_path):
    ok = tmp_path / "ignore.yaml"
    ok.write_text("trivy: []\ntflint:\n  - rule: terraform_unused_declarations\n    why: generated code\n")
    assert run("ignores", str(ok), str(tmp_path / "t.yaml"), str(tmp_path / "f")).returncode == 0
    assert (tmp_path / "f").read_text() == "--disable-rule=terraform_unused_declarations"


def test_trivy_report_counts_failures_by_severity(tmp_path):
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"Results": [{"Target": "x", "Misconfigurations": [
        {"ID": "AWS-1", "Severity": "HIGH", "Status": "FAIL", "Title": "t"},
        {"ID": "AWS-2", "Severity": "LOW", "Status": "FAIL", "Title": "t"},
        {"ID": "AWS-3", "Severity": "CRITICAL", "Status": "PASS", "Title": "t"},
    ]}]}))
    r = run("trivy", str(report), "stack")
    assert r.stdout.strip().split("\t") == ["trivy", "stack", "0", "1", "0", "1"]
