"""Tests of scripts/deploy_checks.py (pytest). The end-to-end cases, with
the real ansible-inventory and ansible-playbook, are in operations.bats."""

import json
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "deploy_checks.py"
sys.path.insert(0, str(SCRIPT.parent))
import deploy_checks as dc  # noqa: E402

OUTPUTS = {"dev-stack": {
    "instance_ids": {
        "odoo": ["i-0aaaaaaaaaaaaaaa1"], "n8n-main": ["i-0bbbbbbbbbbbbbbb1"],
        "n8n-worker": ["i-0ccccccccccccccc2", "i-0ccccccccccccccc1"], "ai": [],
    },
    "ansible_groups": {"odoo": "odoo_servers", "n8n-main": "n8n_servers", "n8n-worker": "n8n_workers", "ai": "ai_servers"},
}}
EXPECTED = dc.expected_hosts(OUTPUTS, "dev")

# ansible-core 2.14's default callback, colours on, profile_tasks after the recap.
RECAP = """\
PLAY [Set up n8n] **************************************************************
skipping: no hosts matched

PLAY RECAP *********************************************************************
\x1b[0;32mi-0aaaaaaaaaaaaaaa1\x1b[0m        : \x1b[0;32mok=3   \x1b[0m changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
i-0bbbbbbbbbbbbbbb1        : ok=2    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
i-0ccccccccccccccc1        : ok=2    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
i-0ccccccccccccccc2        : ok=2    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0

Monday 23 November 2026  10:39:52 +0000 (0:00:00.032)       0:00:00.049 *******
===============================================================================
ansible.builtin.debug --------------------------------------------------- 0.03s
"""


def test_expected_hosts_sorts_and_names_groups():
    assert EXPECTED == {"odoo_servers": ["i-0aaaaaaaaaaaaaaa1"], "n8n_servers": ["i-0bbbbbbbbbbbbbbb1"],
                        "n8n_workers": ["i-0ccccccccccccccc1", "i-0ccccccccccccccc2"], "ai_servers": []}


def test_expected_hosts_without_outputs():
    with pytest.raises(dc.CheckError, match="no dev-stack.instance_ids"):
        dc.expected_hosts({"dev-stack": {}}, "dev")


def test_state_serial():
    assert dc.state_serial("") == "none 0"
    assert dc.state_serial('{"version":4,"serial":12,"lineage":"abc","resources":[]}') == "abc 12"


def test_outputs_follow_the_cdktf_mapping_and_drop_sensitive():
    stack = {"//": {"outputs": {"dev-stack": {"instance_ids": "instance_ids", "db": "db_pw",
                                              "nested": {"url": "odoo_url"}}}}}
    tf = {"instance_ids": {"sensitive": False, "value": {"odoo": ["i-1"]}},
          "db_pw": {"sensitive": True, "value": "secret"},
          "odoo_url": {"sensitive": False, "value": "https://odoo"}}
    assert dc.cdktf_outputs(stack, "dev-stack", tf) == {
        "dev-stack": {"instance_ids": {"odoo": ["i-1"]}, "nested": {"url": "https://odoo"}}}


def test_inventory_matching():
    inv = {"odoo_servers": {"hosts": ["i-0aaaaaaaaaaaaaaa1"]}, "n8n_servers": {"hosts": ["i-0bbbbbbbbbbbbbbb1"]},
           "n8n_workers": {"hosts": ["i-0ccccccccccccccc2", "i-0ccccccccccccccc1"]}}
    dc.check_inventory(EXPECTED, inv, "inv")


def test_inventory_missing_and_extra_hosts():
    inv = {"odoo_servers": {"hosts": ["i-0aaaaaaaaaaaaaaa9"]}, "n8n_servers": {"hosts": ["i-0bbbbbbbbbbbbbbb1"]},
           "n8n_workers": {"hosts": ["i-0ccccccccccccccc1"]}}
    with pytest.raises(dc.CheckError) as e:
        dc.check_inventory(EXPECTED, inv, "inventories/dev/aws_ec2.yml")
    msg = str(e.value)
    assert "odoo_servers: 1 host(s), expected 1 (missing i-0aaaaaaaaaaaaaaa1; not in the stack outputs: i-0aaaaaaaaaaaaaaa9)" in msg
    assert "n8n_workers: 1 host(s), expected 2 (missing i-0ccccccccccccccc2)" in msg
    assert "n8n_servers" not in msg


def test_empty_inventory_names_every_expected_group():
    with pytest.raises(dc.CheckError) as e:
        dc.check_inventory(EXPECTED, {"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}, "x")
    for group in ("odoo_servers", "n8n_servers", "n8n_workers"):
        assert f"{group}: 0 host(s)" in str(e.value)


LIST_HOSTS = """
playbook: playbooks/site.yml

  play #1 (all): Apply the common configuration to every server\tTAGS: []
    pattern: ['all']
    hosts (3):
      i-0aaaaaaaaaaaaaaa1

  play #2 (odoo_servers[0]): Create the application databases (once, from inside the VPC)\tTAGS: []
    pattern: ['odoo_servers[0]']
    hosts (1):
      i-0aaaaaaaaaaaaaaa1

  play #3 (ai_servers): Set up the GPU model servers\tTAGS: []
    pattern: ['ai_servers']
    hosts (0):
"""


def test_plays_allows_empty_plays_of_empty_roles_only():
    assert dc.check_plays(EXPECTED, LIST_HOSTS) == 1
    with_typo = LIST_HOSTS.replace("(odoo_servers[0])", "(odoo_server[0])").replace("hosts (1):", "hosts (0):")
    with pytest.raises(dc.CheckError, match=r"play #2 'Create the application databases \(once, from inside the VPC\)' \(hosts: odoo_server\[0\]\) matches no host"):
        dc.check_plays(EXPECTED, with_typo)


def test_plays_rejects_an_output_without_plays():
    with pytest.raises(dc.CheckError, match="no plays"):
        dc.check_plays(EXPECTED, "playbook: x.yml\n")


@pytest.mark.parametrize("pattern,groups", [
    ("all", {"all"}), ("odoo_servers[0]", {"odoo_servers"}),
    ("n8n_servers:n8n_workers:!ai_servers", {"n8n_servers", "n8n_workers", "ai_servers"}),
    ("a:&b,c", {"a", "b", "c"}),
])
def test_pattern_groups(pattern, groups):
    assert dc.pattern_groups(pattern) == groups


def test_recap_ok():
    dc.check_recap(EXPECTED, RECAP, 1)


def test_recap_counts_colour_coded_lines():
    assert dc.parse_recap(RECAP)["i-0aaaaaaaaaaaaaaa1"]["ok"] == 3


def test_recap_failures():
    log = RECAP.replace("i-0ccccccccccccccc2        : ok=2    changed=0    unreachable=0    failed=0",
                        "i-0ccccccccccccccc2        : ok=1    changed=0    unreachable=1    failed=0")
    log = log.replace("i-0bbbbbbbbbbbbbbb1        : ok=2    changed=1", "i-0bbbbbbbbbbbbbbb1        : ok=0    changed=0")
    log = "\n".join(line for line in log.splitlines() if not line.startswith("i-0ccccccccccccccc1"))
    with pytest.raises(dc.CheckError) as e:
        dc.check_recap(EXPECTED, log, 0)
    msg = str(e.value)
    assert "i-0ccccccccccccccc2 (n8n_workers): failed=0 unreachable=1" in msg
    assert "i-0ccccccccccccccc1 (n8n_workers): not in the recap" in msg
    assert "i-0bbbbbbbbbbbbbbb1 (n8n_servers): every task skipped" in msg
    assert "1 play(s) matched no hosts (0 expected)" in msg


def test_recap_missing():
    with pytest.raises(dc.CheckError, match="no PLAY RECAP"):
        dc.check_recap(EXPECTED, "PLAY [x] ***\nERROR! something\n", 0)


def test_cli_usage_and_exit_codes(tmp_path):
    assert subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True).returncode == 0
    assert subprocess.run([sys.executable, SCRIPT, "nonsense"], capture_output=True).returncode == 2
    outputs = tmp_path / "o.json"
    outputs.write_text(json.dumps(OUTPUTS))
    inv = tmp_path / "inv.json"
    inv.write_text("{}")
    r = subprocess.run([sys.executable, SCRIPT, "inventory", outputs, "dev", inv, "inventories/dev/aws_ec2.yml"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "the inventory inventories/dev/aws_ec2.yml does not match" in r.stderr
