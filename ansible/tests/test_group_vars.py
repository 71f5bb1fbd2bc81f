"""group_vars/all builds the app_databases role's input from the stack's
outputs: one entry per database of the tier table, each with its owner's
password looked up in Secrets Manager. Run by the real ansible-playbook,
with amazon.aws.aws_secret replaced by a stand-in collection that answers
"pw-of-<arn>" (AWS is not reachable here)."""

import json
import os
import pathlib
import subprocess

ANSIBLE = pathlib.Path(__file__).resolve().parent.parent

LOOKUP = '''
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return ["pw-of-" + t for t in terms]
'''

PLAY = '''
- name: Render group_vars/all
  hosts: localhost
  gather_facts: false
  vars_files:
    - {group_vars}
  tasks:
    - name: Show what the role would get
      ansible.builtin.copy:
        content: "{{{{ app_databases | to_json }}}}"
        dest: {out}
        mode: "0600"
'''


def test_app_databases_follow_the_stack_outputs(tmp_path):
    collection = tmp_path / "ansible_collections" / "amazon" / "aws"
    (collection / "plugins" / "lookup").mkdir(parents=True)
    (collection / "galaxy.yml").write_text("namespace: amazon\nname: aws\nversion: 0.0.0\nreadme: README.md\nauthors: [test]\n")
    (collection / "plugins" / "lookup" / "aws_secret.py").write_text(LOOKUP)
    out = tmp_path / "app_databases.json"
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(group_vars=ANSIBLE / "group_vars" / "all" / "main.yml", out=out))
    extra = {
        "ansible_connection": "local",
        "env_name": "staging",
        "stack_outputs": {
            "app_databases": [
                {"name": "odoo", "owner": "odoo", "password_secret": "odoo_db_password"},
                {"name": "metabase", "owner": "metabase", "password_secret": "metabase_db_password"},
            ],
            "secret_arns": {"odoo_db_password": "arn-odoo", "metabase_db_password": "arn-meta"},
        },
    }
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_CONFIG=str(tmp_path / "none.cfg"))
    done = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "-e", "@" + str(tmp_path / "extra.json"), str(play)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(out.read_text()) == [
        {"name": "odoo", "owner": "odoo", "password": "pw-of-arn-odoo"},
        {"name": "metabase", "owner": "metabase", "password": "pw-of-arn-meta"},
    ]
