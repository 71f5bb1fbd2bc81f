"""The Odoo filestore on EFS (pytest): mounted through the access point with
IAM and TLS, owned by the odoo user the access point enforces, and never
chown'ed or chmod'ed by root (root is squashed with IAM authorization on).

The Go stack creates the access point: POSIX user and root-directory owner
uid = gid = 8069, root directory /odoo with mode 0750; it outputs
efs_access_point_id next to efs_id."""

import os
import pathlib
import subprocess

import yaml

ANSIBLE = pathlib.Path(__file__).resolve().parents[1]
ROLE = ANSIBLE / "roles" / "odoo_setup"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
INPUTS = yaml.safe_load((ANSIBLE / "tests" / "vars" / "odoo_inputs.yml").read_text())
FS, AP = INPUTS["odoo_efs_id"], INPUTS["odoo_efs_access_point_id"]


def ansible(args, **kw):
    return subprocess.run(args, cwd=ANSIBLE, capture_output=True, text=True,
                          env={**os.environ, "ANSIBLE_BECOME": "false", "ANSIBLE_NOCOLOR": "1"}, **kw)


def tasks_of(path):
    """Every task of a tasks or handlers file, blocks flattened."""
    out = []

    def walk(items):
        for t in items or []:
            out.append(t)
            for key in ("block", "rescue", "always"):
                walk(t.get(key))

    walk(yaml.safe_load(path.read_text()))
    return out


def module_args(task):
    for key, value in task.items():
        if "." in key and isinstance(value, dict):
            return key, value
    return None, {}


def test_nothing_changes_ownership_on_the_filestore_as_root():
    """Through the access point every file belongs to uid 8069 and root is
    squashed: a chown/chmod as root would fail (or, without IAM, undo it)."""
    offenders = []
    for path in sorted((ROLE / "tasks").glob("*.yml")) + [ROLE / "handlers" / "main.yml"]:
        for task in tasks_of(path):
            module, args = module_args(task)
            if module is None or module == "ansible.posix.mount":
                continue
            on_filestore = any("odoo_data_dir" in str(v) for v in args.values()) or "odoo_data_dir" in str(task.get("args", ""))
            if not on_filestore:
                continue
            if task.get("become_user") != "{{ odoo_user }}" or {"owner", "group"} & set(args):
                offenders.append(f"{path.relative_to(ANSIBLE)}: {task.get('name')}")
    assert not offenders, "tasks on the filestore must run as the odoo user and set no owner: " + "; ".join(offenders)


def test_the_mount_goes_through_the_access_point_with_iam_and_tls(tmp_path):
    mounts = [t for path in (ROLE / "tasks").glob("*.yml") for t in tasks_of(path) if "ansible.posix.mount" in t]
    efs = [t["ansible.posix.mount"] for t in mounts if t["ansible.posix.mount"].get("fstype") == "efs"]
    assert len(efs) == 1, "one EFS mount task"
    assert efs[0]["src"] == "{{ odoo_efs_mount_src }}" and efs[0]["opts"] == "{{ odoo_efs_mount_options }}"
    assert efs[0]["path"] == "{{ odoo_data_dir }}" and efs[0]["state"] == "mounted"

    # The fstab line the real module writes from the role's variables.
    fstab = tmp_path / "fstab"
    fstab.write_text("")
    r = ansible([
        "ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", "ansible.posix.mount",
        "-a", f"src={{{{ odoo_efs_mount_src }}}} path={{{{ odoo_data_dir }}}} fstype=efs opts={{{{ odoo_efs_mount_options }}}} state=present fstab={fstab}",
        "-e", f"@{ROLE / 'defaults' / 'main.yml'}", "-e", f"odoo_efs_id={FS}", "-e", f"odoo_efs_access_point_id={AP}",
    ])
    assert r.returncode == 0, r.stdout + r.stderr
    fields = fstab.read_text().split()
    assert fields[:3] == [f"{FS}:/", "/srv/odoo-data", "efs"]
    opts = fields[3].split(",")
    assert {"tls", "iam", f"accesspoint={AP}", "_netdev", "noresvport"} <= set(opts), opts


def test_a_missing_access_point_stops_the_role_with_the_fix(tmp_path):
    play = tmp_path / "preflight.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Preflight",
        "hosts": "localhost",
        "gather_facts": False,
        "vars_files": [str(ROLE / "defaults" / "main.yml")],
        "vars": {"env_name": "staging"},
        "tasks": [{"name": "Preflight", "ansible.builtin.import_tasks": str(ROLE / "tasks" / "preflight.yml")}],
    }]))
    for value, ok in (("", False), ("fs-0123456789abcdef0", False), (AP, True)):
        r = ansible(["ansible-playbook", "-i", "localhost,", "-c", "local", str(play),
                     # what the preflight also checks, then the value under test
                     "-e", "@tests/vars/odoo_inputs.yml", "-e", f"odoo_efs_access_point_id={value}"])
        assert (r.returncode == 0) == ok, (value, r.stdout)
        if not ok:
            assert "efs_access_point_id" in r.stdout and "outputs" in r.stdout, r.stdout


def test_the_odoo_user_has_the_access_points_ids():
    assert (DEFAULTS["odoo_uid"], DEFAULTS["odoo_gid"]) == (8069, 8069)
    user = [t for t in tasks_of(ROLE / "tasks" / "user.yml")]
    group = [t["ansible.builtin.group"] for t in user if "ansible.builtin.group" in t]
    account = [t["ansible.builtin.user"] for t in user if "ansible.builtin.user" in t]
    assert group and group[0]["gid"] == "{{ odoo_gid }}" and group[0]["name"] == "{{ odoo_user }}"
    assert account and account[0]["uid"] == "{{ odoo_uid }}" and account[0]["group"] == "{{ odoo_user }}"
