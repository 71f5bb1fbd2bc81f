#!/usr/bin/env python3
"""Stand-ins for the tools the runbooks and the workflows call (make rehearse).

The rehearsal links this file under each tool's name into a directory at
the front of PATH. Each stand-in refuses what the real tool would refuse,
with the real tool's own contract where it is on this machine, and does
nothing that needs AWS, GitHub or a server:

* aws: the real AWS CLI v2 (Debian's /usr/bin/aws) parses the command
  line, with the endpoint pointed at a closed loopback port, fake
  credentials and one attempt: an unknown command or option fails there
  (exit 252), a well-formed one reaches the endpoint and is counted as
  done (exit 0, no output). Every call goes to $REHEARSAL_CALLS.
* terraform, ansible-playbook, ansible, ansible-inventory, ansible-vault,
  ansible-galaxy, git, npx cdktf: the options each (sub)command accepts
  are read from the real tool's own help (`terraform SUB -help`,
  `ansible-playbook --help`, `git SUB -h`, `cdktf SUB --help`); an unknown
  one fails; a playbook, inventory or vars file that does not exist fails.
* go: `go run . CMD` must be one of `go run . help`'s commands (run for
  real when it writes nothing: envs, validate, facts, cost); other go
  subcommands are checked against `go help`.
* make: the target must exist (`make -n`).
* gh: the subcommands the bootstrap runbook uses, with the options of the
  GitHub CLI's pkg/cmd/{variable,secret}/set/set.go and pkg/cmd/api/api.go;
  `variable set --env E` needs the environment created first (the API
  answers 404). Settings are recorded in $REHEARSAL_GH (JSON lines).
* sudo and the commands of a server (odoo-restore, psql, systemctl, …)
  are refused: a block that runs on a server is marked `norun` and only
  parsed.

REHEARSAL_REAL_PATH is the PATH the real tools are found on.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("REHEARSAL_HELP_CACHE", "/tmp/rehearsal-help-cache"))


def die(msg, code=2):
    sys.stderr.write(f"{TOOL}: {msg}\n")
    sys.exit(code)


def real(tool):
    for d in os.environ.get("REHEARSAL_REAL_PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        p = Path(d) / tool
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    die(f"the real {tool} is not installed here, so its options cannot be checked", 1)


def log_call(argv):
    path = os.environ.get("REHEARSAL_CALLS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"tool": TOOL, "argv": argv, "cwd": os.getcwd(), "role": os.environ.get("REHEARSAL_ROLE_ARN", ""),
                                "job": os.environ.get("REHEARSAL_JOB", "")}) + "\n")


def help_options(key, cmd):
    """The options a help text names (--long, -short), cached per command."""
    CACHE.mkdir(parents=True, exist_ok=True)
    f = CACHE / (re.sub(r"[^A-Za-z0-9]+", "_", key) + ".json")
    if f.exists():
        return json.loads(f.read_text())
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PATH=os.environ.get("REHEARSAL_REAL_PATH", os.environ["PATH"])))
    text = r.stdout + r.stderr
    opts = sorted(set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text)))
    data = {"rc": r.returncode, "options": opts, "text": text[-4000:]}
    f.write_text(json.dumps(data))
    return data


def check_options(args, allowed, what, value_flags=()):
    for a in args:
        if not a.startswith("-") or a in ("-", "--"):
            continue
        name = a.split("=", 1)[0]
        if name in allowed:
            continue
        # Combined short flags (-vvv, -Atc).
        if re.fullmatch(r"-[A-Za-z]{2,}", name) and all(f"-{c}" in allowed for c in name[1:]):
            continue
        die(f"{what} has no option {name}")


def fake_aws(argv):
    log_call(argv)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAREHEARSALNOTREAL", AWS_SECRET_ACCESS_KEY="rehearsal", AWS_MAX_ATTEMPTS="1",
               AWS_RETRY_MODE="standard", AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    env.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "eu-central-1"))
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    if argv[:1] in (["--version"], ["help"]) or (len(argv) > 1 and argv[-1] == "help"):
        return 0
    r = subprocess.run([real("aws"), *argv, "--endpoint-url", "http://127.0.0.1:9", "--cli-connect-timeout", "1", "--cli-read-timeout", "1"],
                       capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    err = r.stderr
    if "Parameter validation failed" in err:
        # A value another stand-in's empty answer left empty is not the
        # runbook's fault; any other validation error is.
        rest = [l for l in err.splitlines() if l.strip() and "Parameter validation failed" not in l
                and not re.search(r"Invalid length for parameter \S+, value: 0,", l)]
        if not rest:
            return 0
    if r.returncode == 0 or "Could not connect to the endpoint URL" in err or "Connect timeout" in err or "Connection was closed" in err:
        return 0
    sys.stderr.write(err)
    die(f"aws {' '.join(argv[:2])}: refused by the AWS CLI's own parser (exit {r.returncode})", r.returncode or 1)


def fake_terraform(argv):
    log_call(argv)
    glob = [a for a in argv if a.startswith("-")]
    sub = next((a for a in argv if not a.startswith("-")), None)
    pre = argv[:argv.index(sub)] if sub else argv
    for a in pre:
        if not (a.startswith("-chdir=") or a in ("-help", "-version")):
            die(f"global option {a} is not one terraform has (-chdir, -help, -version)")
    if sub is None:
        return 0
    rest = argv[argv.index(sub) + 1:]
    words = [sub]
    if sub in ("state", "workspace", "providers") and rest and not rest[0].startswith("-"):
        words.append(rest[0])
        rest = rest[1:]
    h = help_options("terraform " + " ".join(words), [real("terraform"), *words, "-help"])
    if h["rc"] != 0:
        die(f"terraform {' '.join(words)} is not a terraform command")
    check_options(rest, set(h["options"]), f"terraform {' '.join(words)}")
    if sub == "output" and "-json" in rest:
        print("{}")
    return 0


def fake_ansible(argv):
    log_call(argv)
    h = help_options(TOOL + " " + (argv[0] if TOOL == "ansible-galaxy" and argv else ""), [real(TOOL), *(argv[:2] if TOOL == "ansible-galaxy" else []), "--help"])
    check_options(argv, set(h["options"]), TOOL)
    takes = {"-i", "--inventory", "-e", "--extra-vars", "-l", "--limit", "-m", "--module-name", "-a", "--args", "-t", "--tags",
             "--vault-password-file", "-r", "--role-file", "--requirements-file"}
    args = list(argv)
    for i, a in enumerate(args):
        if a in ("-i", "--inventory", "--vault-password-file", "-r") and i + 1 < len(args):
            p = args[i + 1]
            if "," not in p and not Path(p).exists():
                die(f"{a} {p}: no such file or directory")
    if TOOL == "ansible-playbook":
        books = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in takes)]
        if not books:
            die("no playbook given")
        for b in books:
            if not Path(b).exists():
                die(f"the playbook {b} could not be found")
    if TOOL == "ansible-vault" and args and args[0] not in ("create", "decrypt", "edit", "view", "encrypt", "encrypt_string", "rekey"):
        die(f"ansible-vault has no action {args[0]}")
    return 0


def fake_git(argv):
    log_call(argv)
    if not argv:
        return 0
    sub, rest = argv[0], argv[1:]
    h = help_options("git " + sub, [real("git"), sub, "-h"])
    if "is not a git command" in h["text"]:
        die(f"git {sub} is not a git command")
    opts = set(h["options"]) | {"-m", "--message", "-p"}
    check_options(rest, opts, f"git {sub}")
    return 0


def fake_npx(argv):
    log_call(argv)
    args = list(argv)
    while args and args[0].startswith("-"):
        if args[0] not in ("--no-install", "--no", "--yes", "-y"):
            die(f"npx has no option {args[0]} here")
        args.pop(0)
    if not args or args[0] != "cdktf":
        die(f"npx {' '.join(args[:1])}: only the project's cdktf CLI is run through npx")
    args.pop(0)
    sub = args[0] if args else "help"
    if not Path("node_modules/.package-lock.json").exists():
        die("node_modules is not installed: npm ci (scripts/install-deps.sh) first", 1)
    # The options come from the cdktf CLI the repository's own
    # node_modules holds (make deps installed it next to the rehearsal).
    cdktf = Path(os.environ["REHEARSAL_CDKTF"])
    if not cdktf.exists():
        die(f"{cdktf} is missing: run make deps (npm ci) first", 1)
    h = help_options("cdktf " + sub, [str(cdktf), sub, "--help"])
    if h["rc"] != 0 or "Unknown command" in h["text"]:
        die(f"cdktf has no command {sub}")
    check_options(args[1:], set(h["options"]) | {"-h", "--help"}, f"cdktf {sub}")
    out = None
    for i, a in enumerate(args):
        if a == "--outputs-file" and i + 1 < len(args):
            out = args[i + 1]
        elif a.startswith("--outputs-file="):
            out = a.split("=", 1)[1]
    if sub in ("synth", "diff") and os.environ.get("REHEARSAL_SYNTH"):
        copy_synth()
        if sub == "diff":
            stack = next((a for a in args[1:] if not a.startswith("-")), "")
            if not Path("cdktf.out/stacks", stack, "cdk.tf.json").exists():
                die(f"cdktf diff: no stack {stack}")
            for cmd in (["terraform", "init", "-input=false"], ["terraform", "plan", "-input=false", f"-out={os.getcwd()}/cdktf.out/{stack}.tfplan"]):
                r = subprocess.run(cmd, cwd=f"cdktf.out/stacks/{stack}")
                if r.returncode:
                    return r.returncode
    if sub == "output":
        stack = next((a for a in args[1:] if not a.startswith("-") and a != out), "")
        src = Path(os.environ.get("REHEARSAL_OUTPUTS", "/nonexistent")) / f"{stack}.json"
        data = src.read_text() if src.exists() else json.dumps({stack: {}})
        if out:
            if out != "/dev/stdout":
                Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(data) if out != "/dev/stdout" else sys.stdout.write(data)
        else:
            sys.stdout.write(data)
    return 0


# gh: the options of the subcommands the runbooks use (cli/cli
# pkg/cmd/variable/set/set.go, pkg/cmd/secret/set/set.go,
# pkg/cmd/variable/delete/delete.go, pkg/cmd/api/api.go).
GH = {
    ("variable", "set"): {"-b", "--body", "-e", "--env", "-f", "--env-file", "-o", "--org", "-r", "--repo", "-v", "--visibility", "--repos"},
    ("variable", "delete"): {"-e", "--env", "-o", "--org", "-r", "--repo"},
    ("secret", "set"): {"-b", "--body", "-e", "--env", "-f", "--env-file", "-o", "--org", "-r", "--repo", "-v", "--visibility",
                        "--repos", "-a", "--app", "-u", "--user", "--no-store", "--no-repos-selected"},
    ("api",): {"-X", "--method", "-F", "--field", "-f", "--raw-field", "-H", "--header", "--input", "-q", "--jq", "-t", "--template",
               "--paginate", "--slurp", "-i", "--include", "--silent", "--hostname", "-p", "--preview", "--cache", "--verbose"},
}


def gh_record(entry):
    path = os.environ.get("REHEARSAL_GH")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def gh_state():
    path = os.environ.get("REHEARSAL_GH")
    out = []
    if path and Path(path).exists():
        out = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    return out


def fake_gh(argv):
    log_call(argv)
    key = tuple(argv[:2]) if argv and argv[0] in ("variable", "secret") else tuple(argv[:1])
    if key not in GH:
        die(f"gh {' '.join(argv[:2])}: not a command the rehearsal emulates")
    rest = argv[len(key):]
    check_options(rest, GH[key], "gh " + " ".join(key))
    values = {}
    pos = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a.startswith("-") and a not in ("--silent", "--paginate", "--slurp", "-i", "--include", "--verbose", "--no-store", "--no-repos-selected"):
            name, _, v = a.partition("=")
            if not v:
                i += 1
                v = rest[i] if i < len(rest) else die(f"{a} needs a value")
            values.setdefault(name, []).append(v)
        elif not a.startswith("-"):
            pos.append(a)
        i += 1
    get = lambda *names: next((values[n][-1] for n in names if n in values), "")
    if key[0] in ("variable", "secret") and key[1] == "set":
        if len(pos) != 1:
            die(f"gh {' '.join(key)} takes one name (got {pos})")
        env = get("-e", "--env")
        if env and not any(e.get("environment") == env for e in gh_state()):
            die(f"HTTP 404: Not Found (the environment {env} does not exist: create it first)", 1)
        body = get("-b", "--body")
        if not body:
            if key[0] == "variable":
                die("must pass --body for a variable (gh reads a secret's value from the prompt)")
            body = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else ""
        if body == "" or body == "null":
            die(f"{key[0]} {pos[0]}: empty value (the expression that produced it read nothing)", 1)
        gh_record({"kind": key[0], "name": pos[0], "env": env, "value": body})
    elif key == ("api",):
        if len(pos) != 1:
            die(f"gh api takes one endpoint (got {pos})")
        m = re.fullmatch(r"repos/\{owner\}/\{repo\}/environments/([\w.-]+)", pos[0])
        if m and get("-X", "--method") == "PUT":
            reviewers = [f for f in values.get("-F", []) + values.get("--field", []) if f.startswith("reviewers")]
            gh_record({"environment": m.group(1), "reviewers": reviewers})
        elif not re.fullmatch(r"(repos/\{owner\}/\{repo\}/.*|users/[\w-]+)", pos[0]):
            die(f"gh api {pos[0]}: not an endpoint the rehearsal emulates")
    return 0


def fake_go(argv):
    log_call(argv)
    if argv[:2] == ["run", "."]:
        cmd = argv[2] if len(argv) > 2 else "synth"
        h = help_options("go run . help", [real("go"), "run", ".", "help"])
        cmds = set(re.findall(r"^  ([a-z]+)\b", h["text"], re.M))
        if cmd not in cmds:
            die(f"go run . {cmd}: not a command of the app ({', '.join(sorted(cmds))})")
        if cmd in ("envs", "validate", "facts", "cost", "protections", "help"):
            return subprocess.run([real("go"), *argv], env=dict(os.environ, PATH=os.environ["REHEARSAL_REAL_PATH"])).returncode
        return 0
    h = help_options("go help", [real("go"), "help"])
    subs = set(re.findall(r"^\t([a-z]+)\s", h["text"], re.M))
    if argv and argv[0] not in subs:
        die(f"go {argv[0]} is not a go command")
    return 0


def copy_synth():
    """The stacks `make synth` wrote from this same tree (a synth takes ~40 s
    here and the rehearsal would run a dozen)."""
    import shutil
    shutil.copytree(os.environ["REHEARSAL_SYNTH"], "cdktf.out/stacks", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".fake-initialized"))


def fake_make(argv):
    log_call(argv)
    r = subprocess.run([real("make"), "-n", *argv], capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write(r.stderr)
        die(f"make {' '.join(argv)}: no such target", 2)
    if any(t in argv for t in ("synth", "deps", "deps-synth", "test")) and Path("package-lock.json").exists():
        # What their npm ci leaves (scripts/install-deps.sh checks it).
        Path("node_modules").mkdir(exist_ok=True)
        Path("node_modules/.package-lock.json").write_text(Path("package-lock.json").read_text())
    if "synth" in argv and os.environ.get("REHEARSAL_SYNTH"):
        copy_synth()
    return 0


def fake_npm(argv):
    """npm in a job: `npm ci` of the lock file (the registry is not
    reached): package-lock.json must exist and name package.json's
    dependencies at the versions package.json asks for, as npm ci refuses
    otherwise ("package.json and package-lock.json ... are not in sync");
    node_modules/.package-lock.json records the install."""
    log_call(argv)
    if not argv or argv[0] not in ("ci", "--version"):
        die(f"npm {' '.join(argv)}: only npm ci is rehearsed", 1)
    if argv[0] == "--version":
        print("10.8.2")
        return 0
    check_options(argv[1:], {"--no-audit", "--no-fund", "--loglevel", "--loglevel=error", "--silent", "--ignore-scripts", "--omit"}, "npm ci")
    try:
        pkg = json.loads(Path("package.json").read_text())
        lock = json.loads(Path("package-lock.json").read_text())
    except FileNotFoundError as e:
        die(f"npm ci needs package.json and package-lock.json: {e}", 1)
    root = lock.get("packages", {}).get("", {})
    for kind in ("dependencies", "devDependencies"):
        for name, want in pkg.get(kind, {}).items():
            if root.get(kind, {}).get(name) != want:
                die(f"`npm ci` can only install packages when your package.json and package-lock.json are in sync: {name} {want}", 1)
    Path("node_modules").mkdir(exist_ok=True)
    Path("node_modules/.package-lock.json").write_text(json.dumps(lock))
    print(f"added {len(lock.get('packages', {})) - 1} packages (rehearsal: from package-lock.json)")
    return 0


SSM_PLUGIN_URL = "https://s3.amazonaws.com/session-manager-downloads/plugin/{}/ubuntu_64bit/session-manager-plugin.deb"


def fake_curl(argv):
    """curl in a job: only the Session Manager plugin release the tests'
    stand-in reproduces (environments.SessionManagerPluginVersion), as the
    deploy downloads it; anything else would reach the network."""
    log_call(argv)
    want = SSM_PLUGIN_URL.format(os.environ.get("REHEARSAL_SSM_PLUGIN", "?"))
    url = next((a for a in argv if a.startswith("http")), "")
    out = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--output") or re.fullmatch(r"-[a-zA-Z]*o", a)), "")
    if url != want or not out:
        die(f"curl {' '.join(argv)}: the rehearsal is offline; only {want} (environments.SessionManagerPluginVersion) is emulated", 1)
    Path(out).write_text(f"rehearsal: session-manager-plugin {os.environ['REHEARSAL_SSM_PLUGIN']}\n")
    return 0


def fake_dpkg(argv):
    log_call(argv)
    if len(argv) != 2 or argv[0] != "-i" or "session-manager-plugin" not in Path(argv[1]).read_text():
        die(f"dpkg {' '.join(argv)}: only the Session Manager plugin package downloaded above is emulated", 1)
    return 0


def refuse(argv):
    if TOOL == "sudo" and os.environ.get("REHEARSAL_MODE") == "act" and argv[:1] == ["dpkg"]:
        return fake_dpkg(argv[1:])
    if TOOL == "sudo" and os.environ.get("REHEARSAL_MODE") == "act":
        # A job's sudo: the command must exist and parse; it is one of the
        # repository's test scripts, which .ci/run runs for real.
        args = [a for a in argv if not a.startswith("-")]
        if not args or not Path(args[0]).is_file():
            die(f"sudo {' '.join(argv)}: no such script", 1)
        r = subprocess.run(["bash", "-n", args[0]])
        return r.returncode
    if TOOL in ("curl", "wget", "pip", "pip3", "pipx", "apt-get", "dpkg"):
        die(f"{TOOL} {' '.join(argv)}: reaches the network or installs unpinned software; the rehearsal is offline "
            "(install what the tests pinned, from the versions in environments/toolchain.go)", 1)
    die("runs on a server, not here: mark the block `norun` (it is then parsed, not run)", 127)


def script_stub(argv):
    """A repository script in the runbooks' repository: the options its own
    help text names (scripts/usage.sh prints the header comment)."""
    orig, args = argv[0], argv[1:]
    log_call([orig, *args])
    h = help_options("script " + orig, [orig, "--help"])
    if h["rc"] != 0:
        die(f"{orig} --help failed", 1)
    allowed = set(h["options"]) | {"-h", "--help"}
    for a in args:
        if a.startswith("-") and a.split("=", 1)[0] not in allowed:
            die(f"{Path(orig).name} has no option {a} (its --help lists {', '.join(sorted(o for o in allowed if o.startswith('--')))})")
    return 0


def pip_install_pinned(argv):
    """`python -m pip install ...` of setup-python's Python in a job: the
    pinned ansible-core, boto3 and botocore (environments/toolchain.go), and
    nothing else; puts the rehearsal's Ansible on the PATH (the setup-python
    directory, already on it)."""
    d, args = Path(argv[0]), argv[1:]
    if not args or args[0] != "install":
        die(f"pip {' '.join(args)}: only installs are rehearsed", 1)
    want = json.loads(os.environ["REHEARSAL_PINS"])
    got = {}
    for a in args[1:]:
        if a.startswith("-"):
            continue
        name, sep, version = a.partition("==")
        if not sep:
            die(f"pip install {a}: not pinned (name==version)", 1)
        if name not in want or want[name] != version:
            die(f"pip install {a}: the tests run {name} {want.get(name, '(not used)')} (environments/toolchain.go)", 1)
        got[name] = version
    for name in ("ansible-core", "boto3", "botocore"):
        if name not in got:
            die(f"pip install: {name} is not installed with its pinned version", 1)
    for tool in ("ansible", "ansible-playbook", "ansible-inventory", "ansible-galaxy", "ansible-vault"):
        link = d / tool
        if not link.exists():
            link.symlink_to(Path(__file__).resolve())
    print(f"installed (rehearsal) {', '.join(f'{k}=={v}' for k, v in got.items())}")
    return 0


def act_ansible(argv):
    """Ansible in a rehearsed job: only the one pip installed (setup-python's
    directory); the inventory is the stack's instances (what the aws_ec2
    plugin returns once they run), --list-hosts is the real
    ansible-playbook on the generated hosts.ini, and a playbook run reports
    every instance configured (the roles are tested against real services
    by make test-ansible)."""
    here = Path(sys.argv[0]).parent
    if str(here) != os.environ.get("REHEARSAL_PYTHON_DIR"):
        die(f"this is the runner image's Ansible (pipx, unpinned), not ansible-core {json.loads(os.environ['REHEARSAL_PINS'])['ansible-core']}: "
            "install the pinned one before calling it", 1)
    fake_ansible(argv)
    inv = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-i", "--inventory")), "")
    env = Path(inv).parts[1] if inv.startswith("inventories/") else ""
    outputs = Path("..") / "outputs" / f"{env}.json"
    if TOOL == "ansible-galaxy":
        # The collections the tests load, from their exact pins
        # (ansible/tests/test_transport_pins.py holds the two equal).
        import yaml
        req = yaml.safe_load(Path(argv[argv.index("-r") + 1]).read_text())
        loose = [c["name"] for c in req.get("collections", []) if not re.fullmatch(r"==\d+\.\d+\.\d+", str(c.get("version")))]
        if loose:
            die(f"requirements.yml does not pin {', '.join(loose)} exactly", 1)
        return 0
    if TOOL == "ansible-inventory":
        o = json.loads(outputs.read_text())[f"{env}-stack"]
        inv_out = {"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}
        for tier, group in o["ansible_groups"].items():
            ids = o["instance_ids"].get(tier, [])
            inv_out[group] = {"hosts": ids}
            inv_out["all"]["children"].append(group)
            for i in ids:
                inv_out["_meta"]["hostvars"][i] = {}
        print(json.dumps(inv_out))
        return 0
    if TOOL == "ansible-playbook":
        hosts_ini = str(Path(inv).parent / "hosts.ini")
        if "--list-hosts" in argv:
            args = [hosts_ini if a == inv else a for a in argv]
            return subprocess.run([real("ansible-playbook"), *args], env=dict(os.environ, PATH=os.environ["REHEARSAL_REAL_PATH"])).returncode
        o = json.loads(outputs.read_text())[f"{env}-stack"]
        print("PLAY RECAP *********************************************************************")
        for ids in o["instance_ids"].values():
            for i in ids:
                print(f"{i} : ok=12   changed=9    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0")
        return 0
    return 0


def passthrough(argv):
    log_call(argv)
    return 0


TOOLS = {
    "aws": fake_aws, "terraform": fake_terraform, "git": fake_git, "npx": fake_npx, "gh": fake_gh, "go": fake_go, "make": fake_make,
    "ansible-playbook": fake_ansible, "ansible": fake_ansible, "ansible-inventory": fake_ansible, "ansible-vault": fake_ansible,
    "ansible-galaxy": fake_ansible, "less": passthrough, "vi": passthrough, "npm": fake_npm,
    "sudo": refuse, "psql": refuse, "systemctl": refuse, "journalctl": refuse, "odoo-restore": refuse, "odoo-backup": refuse,
}

for _t in ("wget", "pip", "pip3", "pipx", "apt-get"):
    TOOLS[_t] = refuse
TOOLS["curl"] = fake_curl
TOOLS["dpkg"] = fake_dpkg
TOOLS["session-manager-plugin"] = passthrough

TOOL = Path(sys.argv[0]).name

if __name__ == "__main__":
    if TOOL == "fakes.py":
        mode, rest = sys.argv[1], sys.argv[2:]
        TOOL = mode
        sys.exit({"script": script_stub, "pip-install-pinned": pip_install_pinned}[mode](rest) or 0)
    if os.environ.get("REHEARSAL_MODE") == "act" and TOOL.startswith("ansible"):
        sys.exit(act_ansible(sys.argv[1:]) or 0)
    sys.exit(TOOLS[TOOL](sys.argv[1:]) or 0)
