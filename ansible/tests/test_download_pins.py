"""Every file a role downloads is checked before it is used (pytest).

A download from a vendor can be replaced (a moved tag, a compromised
bucket, a tampered mirror); the roles accept one only when it matches
something pinned in defaults/main.yml:

* ansible.builtin.get_url with `checksum`, or
* a download that a later task of the same file verifies against a pinned
  key fingerprint (a variable ending in _gpg_fingerprint): gpg --verify
  whose VALIDSIG names it (a package and its detached signature), or the
  fingerprint of a downloaded apt key asserted before apt trusts it;
* ansible.builtin.git checking out a third-party release tag (a *_version
  variable) only if a later task asserts the commit it resolved to (a
  variable ending in _commit);
* ansible.builtin.apt installs a .deb only from a local file (an absolute
  path, or one a task created: "<registered>.path"), which the tasks before
  downloaded and checked, never straight from a URL; no curl or wget in
  commands.

Each rule is proven by a planted task it rejects.
"""

import pathlib
import re

import yaml

ANSIBLE_DIR = pathlib.Path(__file__).resolve().parents[1]


def task_files():
    files = sorted((ANSIBLE_DIR / "roles").glob("*/tasks/*.yml"))
    files += sorted((ANSIBLE_DIR / "playbooks").glob("*.yml"))
    return files


def flatten(tasks):
    """The tasks of a list, blocks expanded in order (block, rescue, always)."""
    out = []
    for t in tasks or []:
        if not isinstance(t, dict):
            continue
        if "tasks" in t or "pre_tasks" in t or "post_tasks" in t or "roles" in t:  # a play
            for key in ("pre_tasks", "tasks", "post_tasks"):
                out += flatten(t.get(key))
            continue
        if "block" in t:
            out += flatten(t["block"]) + flatten(t.get("rescue")) + flatten(t.get("always"))
            continue
        out.append(t)
    return out


def module(task, name):
    for key in (f"ansible.builtin.{name}", name):
        if key in task:
            return task[key] if isinstance(task[key], dict) else {"_raw": task[key]}
    return None


def text(task):
    return yaml.safe_dump(task, sort_keys=True)


def condition(task):
    """What a task fails on: its failed_when, or an assert's that."""
    a = module(task, "assert") or {}
    return yaml.safe_dump([task.get("failed_when"), a.get("that")])


def verified_later(dest, later):
    """A later task reads dest with gpg and a later task fails unless the
    result names a pinned fingerprint."""
    # the part of dest that names it before a loop variable
    prefix = dest.split("{{ item")[0].rstrip("/")
    reads = [t for t in later if prefix and prefix in text(t) and re.search(r"--verify|--show-keys", text(t))]
    checks = [t for t in later if re.search(r"_gpg_fingerprint", condition(t)) and re.search(r"VALIDSIG|fpr", condition(t))]
    return bool(reads) and bool(checks)


def findings(tasks):
    tasks = flatten(tasks)
    out = []
    for i, t in enumerate(tasks):
        name, later = t.get("name", "?"), tasks[i + 1:]
        g = module(t, "get_url")
        if g is not None and not g.get("checksum") and not verified_later(str(g.get("dest", "")), later):
            out.append(f"{name}: get_url of {g.get('url')} without a checksum or a signature check against a pinned key")
        a = module(t, "apt")
        deb = str(a.get("deb", "")) if a is not None else ""
        if deb and not (deb.startswith("/") or ".path" in deb):
            out.append(f"{name}: apt installs {deb}, not a local file: download it with a checksum first")
        # A third-party release by tag (a *_version variable); the Odoo
        # source and the project's addons are checked out at the refs the
        # deploy is given.
        git = module(t, "git")
        if git is not None and re.search(r"_version\b", str(git.get("version", ""))):
            reg = t.get("register", "")
            pinned = reg and any(f"{reg}.after" in condition(x) and "_commit" in condition(x) for x in later)
            if not pinned:
                out.append(f"{name}: git checks out {git.get('version')} without asserting the pinned commit")
        for cmd in ("command", "shell"):
            c = module(t, cmd)
            if c is not None and re.search(r"\b(curl|wget)\b", text(c)):
                out.append(f"{name}: downloads with curl or wget, unchecked: use get_url with a checksum")
    return out


def load(path):
    return yaml.safe_load(path.read_text()) or []


def test_every_download_is_checked():
    bad = []
    for f in task_files():
        bad += [f"{f.relative_to(ANSIBLE_DIR)}: {m}" for m in findings(load(f))]
    assert not bad, "\n".join(bad)


def test_the_roles_download_something():
    # The rule is not vacuous: the roles' downloads are found.
    n = sum(1 for f in task_files() for t in flatten(load(f)) if module(t, "get_url") is not None)
    assert n >= 5, n


ROLES = ANSIBLE_DIR / "roles"


def planted(path, old, new):
    src = path.read_text()
    assert old in src, f"{old!r} not in {path}"
    return findings(yaml.safe_load(src.replace(old, new, 1)))


def test_planted_a_download_without_a_checksum():
    got = planted(ROLES / "rds_ca/tasks/main.yml", '    checksum: "{{ rds_ca_checksum }}"\n', "")
    assert any("without a checksum" in m for m in got), got


def test_planted_a_key_without_its_fingerprint_check():
    got = planted(ROLES / "docker/tasks/main.yml", "== docker_gpg_fingerprint", "!= ''")
    assert any("docker.asc" in m or "without a checksum" in m for m in got), got


def test_planted_a_package_without_its_signature_check():
    got = planted(ROLES / "common/tasks/cloudwatch_agent.yml", "] VALIDSIG .* '", "] GOODSIG .* '")
    assert any("without a checksum" in m for m in got), got


def test_planted_a_deb_from_a_url():
    got = planted(ROLES / "odoo_setup/tasks/main.yml",
                  "deb: /var/cache/apt/archives/wkhtmltox_{{ odoo_wkhtmltopdf_version }}.deb",
                  'deb: "{{ odoo_wkhtmltopdf_url }}"')
    assert any("not a local file" in m for m in got), got


def test_planted_a_tag_without_its_commit():
    got = planted(ROLES / "odoo_setup/tasks/filestore.yml", "odoo_efs_checkout.after == odoo_efs_utils_commit", "true")
    assert any("without asserting the pinned commit" in m for m in got), got


def test_planted_curl():
    got = findings([{"name": "fetch", "ansible.builtin.shell": "curl -fsSL https://example.com/x.sh | sh"}])
    assert any("curl or wget" in m for m in got), got
