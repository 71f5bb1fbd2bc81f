#!/usr/bin/python3
"""Writes a planted copy of playbooks/restore_odoo.yml for
tests/converge_ssm.sh, so the test can show that it fails on the breaks it
exists to catch:

  restore_env       the master password passed in `environment:` (as the
                    playbook once did): Ansible writes it into the command it
                    runs, hence the host's process list, sudo's log, -vvv.
  restore_no_always Odoo's restart out of the block's always, and a failed
                    restore fails its own task: a failure after the stop
                    leaves Odoo stopped.

usage: plant.py BREAK SOURCE DEST
"""

import sys

import yaml


def main(kind, src, dest):
    plays = yaml.safe_load(open(src))
    tasks = plays[0]["tasks"]
    i, block = next((i, t) for i, t in enumerate(tasks) if "block" in t)
    restore = next(t for t in block["block"] if t["name"] == "Restore on one server")
    if kind == "restore_env":
        argv = restore["ansible.builtin.command"]["argv"]
        restore["ansible.builtin.command"]["argv"] = argv.replace(", '--credentials-file', odoo_restore_credentials_file", "")
        restore["environment"]["ODOO_RESTORE_MASTER_USER"] = "{{ db_master_credentials.username }}"
        restore["environment"]["ODOO_RESTORE_MASTER_PASSWORD"] = "{{ db_master_credentials.password }}"
    elif kind == "restore_no_always":
        restore["failed_when"] = "odoo_restore_run.rc != 0"
        tasks[i + 1:i + 1] = block.pop("always")
    else:
        sys.exit(f"plant.py: unknown break {kind}")
    with open(dest, "w") as f:
        yaml.safe_dump(plays, f, sort_keys=False)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
