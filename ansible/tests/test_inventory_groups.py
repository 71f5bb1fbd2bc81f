"""The dynamic inventories group servers by their AnsibleGroup tag. The
aws_ec2 plugin needs AWS, so the inventories' own keyed_groups are run by
the real ansible-inventory through the constructed plugin, which shares
the keyed_groups code (ansible's Constructable), over hosts carrying the
tags the compute construct writes."""

import json
import os
import pathlib
import subprocess

import pytest
import yaml

ANSIBLE = pathlib.Path(__file__).resolve().parent.parent
ENVS = ["production", "staging", "dev"]


@pytest.mark.parametrize("env", ENVS)
def test_servers_land_in_their_tiers_groups(env, tmp_path):
    inv = yaml.safe_load((ANSIBLE / "inventories" / env / "aws_ec2.yml").read_text())
    assert "keyed_groups" in inv and not any(k.endswith("_servers") for k in inv.get("groups", {})), \
        "groups come from the AnsibleGroup tag, not from a list of roles"
    hosts = {
        "i-odoo1": {"tags": {"Role": "odoo", "AnsibleGroup": "odoo_servers"}},
        "i-main": {"tags": {"Role": "n8n-main", "AnsibleGroup": "n8n_servers"}},
        "i-meta": {"tags": {"Role": "metabase", "AnsibleGroup": "metabase_servers"}},
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    constructed = {
        "plugin": "ansible.builtin.constructed",
        "strict": True,
        "groups": inv["groups"],
        "keyed_groups": inv["keyed_groups"],
    }
    (tmp_path / "constructed.yml").write_text(yaml.safe_dump(constructed))
    done = subprocess.run(
        ["ansible-inventory", "-i", str(tmp_path / "hosts.yml"), "-i", str(tmp_path / "constructed.yml"), "--list"],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, ANSIBLE_INVENTORY_ENABLED="ansible.builtin.yaml,ansible.builtin.constructed", ANSIBLE_INVENTORY_UNPARSED_FAILED="true"),
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    for host, v in hosts.items():
        group = v["tags"]["AnsibleGroup"]
        assert host in out.get(group, {}).get("hosts", []), f"{host} is not in {group}: {sorted(out)}"
        assert host in out.get(env, {}).get("hosts", []), f"{host} is not in {env}"
