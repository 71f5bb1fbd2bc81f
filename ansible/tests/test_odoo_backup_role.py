"""odoo_setup's backup wiring (pytest), run by the real ansible-playbook:
the preflight refuses a run without the bucket, the data key or a prefix
the servers may write; exactly one Odoo server gets the nightly timer,
whatever the inventory's order; group_vars/all passes the stack outputs
backup_bucket and kms_key_arns.data. (tests/odoo_backup.sh runs the scripts
themselves against PostgreSQL and the S3 stand-in, as root.)"""

import json
import os
import pathlib
import subprocess

import pytest
import yaml

ANSIBLE = pathlib.Path(__file__).resolve().parents[1]
ROLE = ANSIBLE / "roles" / "odoo_setup"
# What the preflight requires, as a staging server's inventory gives it.
GOOD = yaml.safe_load((ANSIBLE / "tests" / "vars" / "odoo_inputs.yml").read_text())
BUCKET, KEY = GOOD["odoo_backup_bucket"], GOOD["odoo_backup_kms_key_arn"]


def playbook(tmp_path, plays, extra, inventory="localhost,"):
    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump(plays))
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    return subprocess.run(
        ["ansible-playbook", "-i", inventory, "-c", "local", "-e", "@" + str(tmp_path / "extra.json"), str(play)],
        cwd=ANSIBLE, capture_output=True, text=True,
        env={**os.environ, "ANSIBLE_BECOME": "false", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACKS_ENABLED": ""})


def preflight(tmp_path, **overrides):
    plays = [{
        "name": "Preflight", "hosts": "localhost", "gather_facts": False,
        "vars_files": [str(ROLE / "defaults" / "main.yml")],
        "tasks": [{"name": "Preflight", "ansible.builtin.import_tasks": str(ROLE / "tasks" / "preflight.yml")}],
    }]
    return playbook(tmp_path, plays, {**GOOD, **overrides})


def test_the_preflight_passes_with_the_stack_outputs(tmp_path):
    r = preflight(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("override, why", [
    ({"odoo_backup_bucket": ""}, "the role default: no bucket"),
    ({"odoo_backup_kms_key_arn": "alias/data"}, "an alias, not the key ARN the grant names"),
    ({"env_name": ""}, "prefix odoo/ without an environment"),
    ({"odoo_backup_prefix": "backups/staging"}, "outside odoo/, where the servers may not write"),
])
def test_the_preflight_refuses_the_backup_without_its_settings(tmp_path, override, why):
    r = preflight(tmp_path, **override)
    assert r.returncode != 0, why
    assert "stack outputs backup_bucket and kms_key_arns.data" in r.stdout, r.stdout
    assert "the only place" in r.stdout and "the Odoo servers may write" in r.stdout, r.stdout


def test_one_odoo_server_runs_the_nightly_backup(tmp_path):
    """The timer task enables the timer where inventory_hostname equals
    odoo_backup_host: the first of odoo_servers, sorted, for every host
    alike (a dynamic inventory lists instances in any order)."""
    (tmp_path / "hosts.ini").write_text("[odoo_servers]\ni-0c\ni-0a\ni-0b\n[odoo_servers:vars]\nansible_connection=local\n")
    task = next(t for t in yaml.safe_load((ROLE / "tasks" / "backup.yml").read_text())
                if t.get("ansible.builtin.systemd", {}).get("name") == "odoo-backup.timer")
    timer = task["ansible.builtin.systemd"]
    out = tmp_path / "timer-"
    plays = [{
        "name": "Evaluate the timer task", "hosts": "odoo_servers", "gather_facts": False,
        "vars_files": [str(ROLE / "defaults" / "main.yml")],
        "tasks": [{"name": "Write what the task would ask systemd", "delegate_to": "localhost", "ansible.builtin.copy": {
            "content": "{{ {'enabled': %s, 'state': %s} | to_json }}" % (timer["enabled"].strip("{} "), timer["state"].strip("{} ")),
            "dest": f"{out}{{{{ inventory_hostname }}}}.json", "mode": "0600"}}],
    }]
    r = playbook(tmp_path, plays, GOOD, inventory=str(tmp_path / "hosts.ini"))
    assert r.returncode == 0, r.stdout + r.stderr
    got = {h: json.loads((tmp_path / f"timer-{h}.json").read_text()) for h in ("i-0a", "i-0b", "i-0c")}
    assert got == {
        "i-0a": {"enabled": True, "state": "started"},
        "i-0b": {"enabled": False, "state": "stopped"},
        "i-0c": {"enabled": False, "state": "stopped"},
    }, got
    assert task.get("when") == "odoo_manage_services | bool"


def test_group_vars_pass_the_bucket_and_the_data_key():
    group_vars = yaml.safe_load((ANSIBLE / "group_vars" / "all" / "main.yml").read_text())
    assert group_vars["odoo_backup_bucket"] == "{{ stack_outputs.backup_bucket }}"
    assert group_vars["odoo_backup_kms_key_arn"] == "{{ stack_outputs.kms_key_arns.data }}"


def test_the_restore_playbook_neutralizes_outside_production():
    """Production data restored into staging must not mail customers: the
    playbook runs odoo-bin neutralize before it starts Odoo, except in
    production."""
    import jinja2
    plays = yaml.safe_load((ANSIBLE / "playbooks" / "restore_odoo.yml").read_text())
    expr = plays[0]["vars"]["odoo_restore_neutralize"]
    env = jinja2.Environment()
    got = {name: env.from_string(expr).render(env_name=name) for name in ("production", "staging", "dev")}
    assert got == {"production": "False", "staging": "True", "dev": "True"}, got
    # odoo-restore neutralizes the restored database before it goes live
    # (a failure there swaps nothing): the playbook asks for it.
    block = next(t for t in plays[0]["tasks"] if "block" in t)
    restore = next(t for t in block["block"] if t["name"] == "Restore on one server")
    argv = restore["ansible.builtin.command"]["argv"]
    assert "['--neutralize'] if odoo_restore_neutralize | bool" in argv
    script = (ANSIBLE / "roles" / "odoo_setup" / "files" / "odoo-restore.sh").read_text()
    assert script.index('neutralize \\') < script.index("# --- 5. swap")
