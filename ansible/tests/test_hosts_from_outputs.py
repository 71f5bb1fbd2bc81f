"""Tests of scripts/hosts_from_outputs.py (pytest)."""

import json
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
import hosts_from_outputs as hfo  # noqa: E402

OUTPUTS = {
    "staging-stack": {
        "urls": {"odoo": "https://odoo.staging.influencegen.example.com"},
        "instance_ids": {
            "odoo": ["i-0aaaaaaaaaaaaaaa1"],
            "n8n-main": ["i-0bbbbbbbbbbbbbbb1"],
            "n8n-worker": ["i-0ccccccccccccccc1", "i-0ccccccccccccccc2"],
            "ai": ["i-0ddddddddddddddd1"],
        },
        "ansible_groups": {"odoo": "odoo_servers", "n8n-main": "n8n_servers", "n8n-worker": "n8n_workers", "ai": "ai_servers"},
    }
}


def test_groups_and_roles():
    text = hfo.render(OUTPUTS, "staging")
    assert "[odoo_servers]\ni-0aaaaaaaaaaaaaaa1 server_role=odoo\n" in text
    assert "[n8n_servers]\ni-0bbbbbbbbbbbbbbb1 server_role=n8n-main\n" in text
    assert "[n8n_workers]\ni-0ccccccccccccccc1 server_role=n8n-worker\ni-0ccccccccccccccc2 server_role=n8n-worker\n" in text
    assert "[ai_servers]\ni-0ddddddddddddddd1 server_role=ai\n" in text
    assert text.rstrip().endswith("[staging:children]\nai_servers\nn8n_servers\nn8n_workers\nodoo_servers")


def test_ansible_parses_it(tmp_path):
    inv = tmp_path / "hosts.ini"
    inv.write_text(hfo.render(OUTPUTS, "staging"))
    out = subprocess.run(["ansible-inventory", "-i", str(inv), "--list"], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    assert data["n8n_workers"]["hosts"] == ["i-0ccccccccccccccc1", "i-0ccccccccccccccc2"]
    assert set(data["staging"]["children"]) == {"odoo_servers", "n8n_servers", "n8n_workers", "ai_servers"}
    assert data["_meta"]["hostvars"]["i-0ddddddddddddddd1"]["server_role"] == "ai"


@pytest.mark.parametrize(
    "outputs, message",
    [
        ({}, "has no 'staging-stack'"),
        ({"staging-stack": {}}, "no instance_ids output"),
        ({"staging-stack": {"instance_ids": {"odoo": ["not-an-id"]}, "ansible_groups": {"odoo": "odoo_servers"}}}, "is not an instance ID"),
        ({"staging-stack": {"instance_ids": {"odoo": [], "metabase": []}, "ansible_groups": {"odoo": "odoo_servers"}}}, "does not name a group for every tier"),
    ],
)
def test_bad_outputs(outputs, message):
    with pytest.raises(hfo.OutputsError, match=message):
        hfo.render(outputs, "staging")


def test_cli(tmp_path, capsys):
    src = tmp_path / "outputs.json"
    src.write_text(json.dumps(OUTPUTS))
    dst = tmp_path / "hosts.ini"
    assert hfo.main([str(src), "staging", "-o", str(dst)]) == 0
    assert "[ai_servers]" in dst.read_text()
    assert hfo.main([str(src), "production"]) == 1
    assert "has no 'production-stack'" in capsys.readouterr().err
