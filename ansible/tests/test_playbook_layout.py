"""What ansible-playbook really loads for playbooks/site.yml (pytest).

group_vars are read next to the inventory or next to the playbook, never
next to ansible.cfg: playbooks/group_vars links to ../group_vars so that
`ansible-playbook -i inventories/<env> playbooks/site.yml` gets them.
"""

import json
import pathlib
import subprocess

import yaml

ANSIBLE_DIR = pathlib.Path(__file__).resolve().parents[1]


def host_vars(tmp_path, group):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"[{group}]\ni-0123456789abcdef0\n")
    out = subprocess.run(
        ["ansible-inventory", "-i", str(inventory), "--playbook-dir", str(ANSIBLE_DIR / "playbooks"),
         "--host", "i-0123456789abcdef0"],
        cwd=ANSIBLE_DIR, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def test_group_vars_reach_the_playbooks(tmp_path):
    for env in ("dev", "staging", "production"):
        v = host_vars(tmp_path, env)
        assert v.get("env_name") == env, f"group_vars/{env}.yml not loaded for playbooks/: {sorted(v)}"
        assert v.get("ansible_connection") == "community.aws.aws_ssm", "group_vars/all not loaded"
        assert "db_master_credentials" in v


def test_group_vars_would_be_missing_without_the_link(tmp_path):
    # The same lookup with a playbook directory that has no group_vars: the
    # check above is not vacuous.
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[staging]\ni-0123456789abcdef0\n")
    out = subprocess.run(
        ["ansible-inventory", "-i", str(inventory), "--playbook-dir", str(tmp_path), "--host", "i-0123456789abcdef0"],
        cwd=ANSIBLE_DIR, check=True, capture_output=True, text=True,
    ).stdout
    assert "env_name" not in json.loads(out)


def test_n8n_main_is_set_up_before_any_worker():
    plays = yaml.safe_load((ANSIBLE_DIR / "playbooks" / "site.yml").read_text())
    n8n_plays = [p["hosts"] for p in plays if any(r.get("role") == "n8n_setup" for r in p.get("roles", []))]
    # Every n8n process migrates the database at start, without a lock: two
    # at once on an empty database break the migrations (n8n_queue.sh notes).
    assert n8n_plays == ["n8n_servers", "n8n_workers"]


def test_n8n_role_waits_for_readiness_not_liveness():
    tasks = yaml.safe_load((ANSIBLE_DIR / "roles" / "n8n_setup" / "tasks" / "main.yml").read_text())
    waits = [t for t in tasks if "ansible.builtin.uri" in t]
    assert waits and all(t["ansible.builtin.uri"]["url"].endswith("/healthz/readiness") for t in waits)
