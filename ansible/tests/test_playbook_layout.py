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


def _tasks(items, enclosing=()):
    """Every task of a task list with the blocks around it (innermost last)."""
    for t in items or []:
        if "block" in t:
            yield from _tasks(t["block"], enclosing + (t,))
            yield from _tasks(t.get("rescue"), enclosing)
            yield from _tasks(t.get("always"), enclosing)
        else:
            yield t, enclosing


def _service_action(task):
    for module in ("ansible.builtin.systemd", "ansible.builtin.service", "ansible.builtin.systemd_service"):
        if module in task:
            args = task[module]
            return args.get("name"), args.get("state")
    return None, None


def _starts(tasks, name):
    units = {name, name + ".service", name.removesuffix(".service")}
    for t, _ in _tasks(tasks):
        n, state = _service_action(t)
        names = {n} if isinstance(n, str) else set()
        if "loop" in t and n == "{{ item }}":
            names = set(t["loop"])
        if state in ("started", "restarted") and names & units:
            return True
    return False


def test_a_stopped_service_is_started_again_when_the_play_fails():
    """Every playbook task that stops a service sits in a block whose
    always (or rescue) starts it again: a failure after the stop must not
    leave the service down."""
    missing = []
    for playbook in sorted((ANSIBLE_DIR / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(playbook.read_text()):
            for task, blocks in _tasks(play.get("tasks")):
                name, state = _service_action(task)
                if state != "stopped":
                    continue
                stopped = task["loop"] if name == "{{ item }}" else [name]
                for unit in stopped:
                    if unit.endswith(".timer") or unit == "odoo-backup.service":
                        continue  # not serving: the backup and its timer
                    if not any(_starts(b.get("always"), unit) or _starts(b.get("rescue"), unit) for b in blocks):
                        missing.append(f"{playbook.name}: {task['name']} stops {unit}")
    assert not missing, missing
