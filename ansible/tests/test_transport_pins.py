"""The transport the tests drive is the one the deploy installs (pytest).

tests/converge_ssm.sh runs community.aws's aws_ssm connection plugin as
installed here; the deploy workflow installs the collections of
ansible/requirements.yml and the Session Manager plugin release
environments.SessionManagerPluginVersion. These tests keep the three equal:
exact pins, the pinned versions are the installed ones, the workflow
installs both, and the session-manager-plugin stand-in claims the release
whose behaviour it reproduces.
"""

import pathlib
import re
import subprocess

import yaml

ANSIBLE_DIR = pathlib.Path(__file__).resolve().parents[1]
REPO = ANSIBLE_DIR.parent
WORKFLOW = REPO / ".github" / "workflows" / "deploy-environment.yml"


def pins():
    req = yaml.safe_load((ANSIBLE_DIR / "requirements.yml").read_text())
    return {c["name"]: c["version"] for c in req["collections"]}


def test_every_collection_is_pinned_exactly():
    for name, version in pins().items():
        assert re.fullmatch(r"==\d+\.\d+\.\d+", version), f"{name}: {version!r} is not an exact pin (==X.Y.Z)"


def test_the_pinned_collections_are_the_ones_the_tests_run():
    out = subprocess.run(["ansible-galaxy", "collection", "list", "--format", "yaml"],
                         cwd=ANSIBLE_DIR, check=True, capture_output=True, text=True).stdout
    found = {}
    for path in yaml.safe_load(out).values():  # the first path that has one wins
        for name, info in path.items():
            found.setdefault(name, info["version"])
    for name, version in pins().items():
        assert found.get(name) == version[2:], f"{name}: pinned {version}, the tests load {found.get(name)}"


def test_the_workflow_installs_the_pins():
    text = WORKFLOW.read_text()
    assert "ansible-galaxy collection install -r ansible/requirements.yml" in text


def test_session_manager_plugin_release():
    go = (REPO / "environments" / "toolchain.go").read_text()
    version = re.search(r'SessionManagerPluginVersion = "([0-9.]+)"', go).group(1)
    urls = re.findall(r"session-manager-downloads/plugin/([^/]+)/", WORKFLOW.read_text())
    assert urls == [version], f"the workflow downloads {urls}, environments.SessionManagerPluginVersion is {version}"
    standin = (ANSIBLE_DIR / "tests" / "ssm" / "session-manager-plugin").read_text()
    assert f'VERSION = "{version}"' in standin
