"""First boot of a GPU server, and keeping its driver (pytest).

What can be tested without a GPU: the order of the tasks site.yml runs on a
GPU host (ansible-playbook --list-tasks), the check that decides whether
Docker must restart (run against fake systemctl and hook), daemon.json and
50unattended-upgrades as the roles render them for a GPU host (the latter
parsed by apt itself), and that group_vars reach the ai_servers group."""

import json
import os
import pathlib
import re
import subprocess
import time

import yaml

ANSIBLE = pathlib.Path(__file__).resolve().parents[1]
CHECK = ANSIBLE / "roles" / "ai_server_setup" / "files" / "docker_gpu_hook_check.sh"
AI_VARS = ANSIBLE / "group_vars" / "ai_servers.yml"
ENV = {**os.environ, "ANSIBLE_BECOME": "false", "ANSIBLE_NOCOLOR": "1"}


def inventory(tmp_path):
    """A static inventory with one host per group, next to the real group_vars."""
    d = tmp_path / "inventory"
    d.mkdir()
    (d / "hosts.ini").write_text(
        "[odoo_servers]\nodoo-1\n[n8n_servers]\nn8n-1\n[n8n_workers]\nworker-1\n[ai_servers]\ngpu-1\n"
        "[staging:children]\nodoo_servers\nn8n_servers\nn8n_workers\nai_servers\n"
    )
    (d / "group_vars").symlink_to(ANSIBLE / "group_vars")
    return d / "hosts.ini"


def plays(tmp_path):
    """site.yml's plays as --list-tasks prints them: [(hosts, [task names])]."""
    out = subprocess.run(["ansible-playbook", "--list-tasks", "-i", str(inventory(tmp_path)), "playbooks/site.yml"],
                         cwd=ANSIBLE, env=ENV, capture_output=True, text=True, check=True).stdout
    result = []
    for line in out.splitlines():
        m = re.match(r"\s+play #\d+ \(([^)]*)\):", line)
        if m:
            result.append((m.group(1), []))
        elif result and re.match(r"\s{6}\S", line):
            result[-1][1].append(line.strip().split("\t")[0])
    return result


def test_first_boot_order_on_a_gpu_server(tmp_path):
    ps = plays(tmp_path)
    hosts = [h for h, _ in ps]
    docker = hosts.index("n8n_servers:n8n_workers:ai_servers")
    ai = hosts.index("ai_servers")
    assert docker < ai, "Docker is installed before the GPU role runs"
    tasks = ps[ai][1]

    def at(name):
        matches = [i for i, t in enumerate(tasks) if t == f"ai_server_setup : {name}"]
        assert matches, f"no task {name!r} in {tasks}"
        return matches[0]

    order = [
        "Refuse to run without a promoted model version",
        "Install the NVIDIA driver",
        "Load the NVIDIA kernel module without a reboot when it can",
        "Reboot when the module cannot load without one (nouveau holds the GPU, or it was built for a newer kernel)",
        "Check that the driver answers",
        "Install the NVIDIA container toolkit",
        "Find whether Docker started before the NVIDIA hook was installed",
        "Restart Docker so that it registers the NVIDIA hook",
        "Pull the model server image",
        "Run nvidia-smi in the model server image with --gpus all",
        "Install the model server unit",
        "Enable and start the model server",
        "Wait until the model is loaded on the GPU",
        "Remove the model versions the server no longer loads",
    ]
    positions = [at(n) for n in order]
    assert positions == sorted(positions), list(zip(order, positions))
    # The version and the adapters are checked and in place before the
    # server that loads them starts.
    for before in ("Write the model sync's configuration", "Sync the promoted model version, every file checked against its manifest",
                   "Install the adapters now (the timer keeps them current)", "Run the adapter sync on its timer"):
        assert at(before) < at("Enable and start the model server"), before


def test_the_quantization_host_is_configured_by_its_own_playbook_only(tmp_path):
    """site.yml leaves it alone (it exists only while a version is made);
    build_models.yml brings up its GPU and Docker before the job."""
    inv = inventory(tmp_path)
    inv.write_text(inv.read_text() + "[ai_quantizers]\nquantizer-1\n[staging:children]\nai_quantizers\n")
    out = subprocess.run(["ansible-playbook", "--list-hosts", "-i", str(inv), "playbooks/site.yml"],
                         cwd=ANSIBLE, env=ENV, capture_output=True, text=True, check=True).stdout
    assert "quantizer-1" not in out
    out = subprocess.run(["ansible-playbook", "--list-tasks", "-i", str(inv), "playbooks/build_models.yml"],
                         cwd=ANSIBLE, env=ENV, capture_output=True, text=True, check=True).stdout
    tasks = [line.strip().split("\t")[0] for line in out.splitlines() if re.match(r"\s{6}\S", line)]
    order = ["docker : Install Docker", "ai_model_build : Refuse to build without what to build",
             "ai_server_setup : Install the NVIDIA driver", "ai_server_setup : Restart Docker so that it registers the NVIDIA hook",
             "ai_model_build : Pull the model server image the version is made with",
             "ai_server_setup : Install the model tools", "ai_model_build : Download, quantize, hash and upload the version",
             "ai_model_build : Bring the result to the controller"]
    positions = [next((i for i, t in enumerate(tasks) if t.startswith(n)), None) for n in order]
    assert None not in positions and positions == sorted(positions), list(zip(order, positions))


def test_the_gpu_role_relies_on_no_handler_to_order_first_boot():
    handlers = yaml.safe_load((ANSIBLE / "roles" / "ai_server_setup" / "handlers" / "main.yml").read_text())
    assert [h["name"] for h in handlers] == ["Restart the model server"]
    nvidia = yaml.safe_load((ANSIBLE / "roles" / "ai_server_setup" / "tasks" / "nvidia.yml").read_text())
    assert not [t["name"] for t in nvidia if "notify" in t]


def run_check(tmp_path, docker_state, started, hook_installed):
    """The role's check with fake systemctl and hook: times in epoch seconds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    hook = bin_dir / "nvidia-container-runtime-hook"
    if hook_installed is not None:
        hook.write_text("#!/bin/sh\n")
        hook.chmod(0o755)
    systemctl = bin_dir / "systemctl"
    stamp = time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(started)) if started else ""
    systemctl.write_text(
        "#!/bin/sh\n"
        f'case "$1" in is-active) echo {docker_state}; [ {docker_state} = active ];; '
        f'show) echo "{stamp}";; *) exit 3;; esac\n'
    )
    systemctl.chmod(0o755)
    # stat -c %Z is the ctime, which only the clock sets: the callers place
    # the docker start time relative to the hook's real ctime.
    path = f"{bin_dir}:/usr/bin:/bin"
    return subprocess.run(["/bin/sh", str(CHECK)], env={"PATH": path, "TZ": "UTC"}, capture_output=True, text=True)


def test_docker_restarts_only_when_it_started_before_the_hook(tmp_path):
    for d in "abcd":
        (tmp_path / d).mkdir()
    r = run_check(tmp_path / "a", "active", started=time.time() - 3600, hook_installed=True)
    assert (r.returncode, r.stdout.strip()) == (0, "restart"), r.stderr
    hook_ctime = os.stat(tmp_path / "a" / "bin" / "nvidia-container-runtime-hook").st_ctime
    r = run_check(tmp_path / "b", "active", started=hook_ctime + 5, hook_installed=True)
    assert (r.returncode, r.stdout.strip()) == (0, "current"), r.stderr
    r = run_check(tmp_path / "c", "inactive", started=None, hook_installed=True)
    assert (r.returncode, r.stdout.strip()) == (0, "stopped"), r.stderr
    r = run_check(tmp_path / "d", "active", started=time.time(), hook_installed=None)
    assert r.returncode == 2 and "nvidia-container-toolkit" in r.stderr


def render(tmp_path, template, name, *extra):
    dest = tmp_path / name
    subprocess.run(
        ["ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", "ansible.builtin.template",
         "-a", f"src={template} dest={dest} mode=0644", *extra],
        cwd=ANSIBLE, env=ENV, check=True, capture_output=True, text=True,
    )
    return dest.read_text()


def test_daemon_json_on_gpu_and_other_hosts(tmp_path):
    tpl = ANSIBLE / "roles" / "docker" / "templates" / "daemon.json.j2"
    defaults = ["-e", f"@{ANSIBLE / 'roles' / 'docker' / 'defaults' / 'main.yml'}"]
    gpu = json.loads(render(tmp_path, tpl, "gpu.json", *defaults, "-e", f"@{AI_VARS}"))
    other = json.loads(render(tmp_path, tpl, "other.json", *defaults))
    assert gpu["runtimes"] == {"nvidia": {"path": "nvidia-container-runtime", "args": []}}
    assert "runtimes" not in other
    for d in (gpu, other):
        assert d["log-driver"] == "json-file" and d["log-opts"] == {"max-size": "50m", "max-file": "5"}
        assert d["live-restore"] is True and d["no-new-privileges"] is True


def test_group_vars_reach_the_gpu_hosts_only(tmp_path):
    inv = inventory(tmp_path)

    def host_vars(host):
        out = subprocess.run(["ansible-inventory", "-i", str(inv), "--host", host], cwd=ANSIBLE, env=ENV,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    gpu, odoo = host_vars("gpu-1"), host_vars("odoo-1")
    assert gpu["docker_daemon_extra"]["runtimes"]["nvidia"]["path"] == "nvidia-container-runtime"
    assert "nvidia-" in gpu["common_unattended_package_blacklist"]
    assert "docker_daemon_extra" not in odoo and "common_unattended_package_blacklist" not in odoo


# What Ubuntu 24.04 installs for the driver and the kernel it runs on
# (package names of the 550-server branch), and what must stay upgradable.
DRIVER_AND_KERNEL = [
    "nvidia-driver-550-server", "nvidia-utils-550-server", "nvidia-kernel-common-550-server", "nvidia-dkms-550-server",
    "nvidia-compute-utils-550-server", "libnvidia-compute-550-server", "libnvidia-decode-550-server",
    "libnvidia-container1", "nvidia-container-toolkit", "xserver-xorg-video-nvidia-550-server",
    "linux-modules-nvidia-550-server-aws", "linux-image-aws", "linux-image-6.8.0-1021-aws", "linux-modules-6.8.0-1021-aws",
    "linux-headers-aws",
]
UPGRADABLE = ["openssl", "libssl3t64", "openssh-server", "libc6", "docker-ce", "python3", "sudo", "libnvme1t64"]


def blacklist(text, tmp_path):
    """Unattended-Upgrade::Package-Blacklist as apt parses the file."""
    conf = tmp_path / "apt.conf"
    conf.write_text(text)
    out = subprocess.run(["apt-config", "-c", str(conf), "dump", "Unattended-Upgrade"], capture_output=True, text=True, check=True).stdout
    return [m.group(1) for m in re.finditer(r'^Unattended-Upgrade::Package-Blacklist:: "(.*)";$', out, re.M)]


def test_unattended_upgrades_leave_the_driver_and_kernel_of_gpu_hosts_alone(tmp_path):
    tpl = ANSIBLE / "roles" / "common" / "templates" / "50unattended-upgrades.j2"
    base = ["-e", f"@{ANSIBLE / 'roles' / 'common' / 'defaults' / 'main.yml'}", "-e", "ansible_distribution=Ubuntu"]
    gpu = render(tmp_path, tpl, "gpu", *base, "-e", f"@{AI_VARS}")
    other = render(tmp_path, tpl, "other", *base)
    patterns = blacklist(gpu, tmp_path)
    assert patterns == ["nvidia-", "libnvidia-", "xserver-xorg-video-nvidia-", "linux-"]
    assert blacklist(other, tmp_path) == [] and "Package-Blacklist" not in other

    def held(pkg):
        # unattended-upgrades matches each entry with re.match (its README:
        # "Python regular expressions"; "linux-" matches all packages starting with linux-)
        return any(re.match(p, pkg) for p in patterns)

    assert [p for p in DRIVER_AND_KERNEL if not held(p)] == []
    assert [p for p in UPGRADABLE if held(p)] == []
    # the rest of the file is still what it was
    assert '"origin=Ubuntu,archive=${distro_codename}-security,label=Ubuntu";' in gpu
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in gpu
