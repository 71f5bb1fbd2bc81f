#!/usr/bin/python3
"""A stand-in for `docker run` of the model server image on the quantization
host, for the model chain test (ansible/tests/models.sh): it runs the
image's module (app.fetch, app.quantize) with this machine's Python over the
fakes of the GPU stack (tests/fakes.py: a g6.2xlarge's GPU and 32 GiB) and
of the Hub (tests/fake_hub.py), as the image would run it:

- the image's environment (Dockerfile ENV: HF_HUB_OFFLINE=1,
  TRANSFORMERS_OFFLINE=1, MODEL_DIR=/models) plus each -e, and nothing of
  the caller's environment (docker run does not pass it on);
- -v HOST:/models, the only volume: every path under /models is HOST;
- stdin only with -i;
- --gpus all needed for app.quantize (bitsandbytes quantizes on the GPU):
  without it the fake torch has no CUDA device.

Every call is appended to $FAKE_DOCKER_LOG as JSON (argv, environment, and
whether stdin was passed), so the test can show the token never was an
argument or an environment variable.

usage: fake_docker.py run [--rm] [-i] [--gpus all] [-v HOST:/models] [-e K=V]... --entrypoint python3 IMAGE -m MODULE ARGS...
"""

import json
import os
import runpy
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.dirname(HERE)
IMAGE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "MODEL_DIR": "/models",
             "MEMORY_MODE": "auto", "QUEUE_SIZE": "8", "PYTHONUNBUFFERED": "1"}


def main(argv):
    if not argv or argv[0] != "run":
        print(f"fake_docker: only `run` is faked, not {argv[:1]}", file=sys.stderr)
        return 125
    args, env, volume, interactive, gpus, entrypoint = argv[1:], dict(IMAGE_ENV), None, False, False, None
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if a == "--rm":
            continue
        if a == "-i":
            interactive = True
        elif a == "--gpus":
            gpus = args.pop(0) == "all"
        elif a == "-v":
            host, _, inside = args.pop(0).partition(":")
            if inside != "/models":
                print(f"fake_docker: only a volume at /models is faked, not {inside}", file=sys.stderr)
                return 125
            volume = host
        elif a == "-e":
            k, _, v = args.pop(0).partition("=")
            env[k] = v
        elif a == "--entrypoint":
            entrypoint = args.pop(0)
        else:
            print(f"fake_docker: unknown option {a}", file=sys.stderr)
            return 125
    image, rest = args[0], args[1:]
    if entrypoint != "python3" or rest[:1] != ["-m"]:
        print(f"fake_docker: the image runs python3 -m app.<module>, not {entrypoint} {rest}", file=sys.stderr)
        return 125
    module, margs = rest[1], rest[2:]
    with open(os.environ["FAKE_DOCKER_LOG"], "a") as f:
        f.write(json.dumps({"image": image, "module": module, "argv": argv, "env": env, "stdin": interactive, "gpus": gpus}) + "\n")

    def host_path(p):
        return volume + p[len("/models"):] if volume and (p == "/models" or p.startswith("/models/")) else p

    env = {k: host_path(v) for k, v in env.items()}
    margs = [host_path(a) for a in margs]
    child = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env, "FAKE_GPUS": "1" if gpus else "0",
             "FAKE_HUB_ROOT": os.environ.get("FAKE_HUB_ROOT", ""), "FAKE_HUB_BIG": os.environ.get("FAKE_HUB_BIG", "0")}
    code = (
        "import os, runpy, sys\n"
        f"sys.path[:0] = [{SERVER!r}, {HERE!r}]\n"
        "import fakes, fake_hub\n"
        "from app import memory, engine\n"
        "gpu = next(g for g in memory.GPU_CLASSES if g.instance_type == 'g6.2xlarge')\n"
        "m = fakes.Machine(gpu)\n"
        "torch = fakes.make_torch(m)\n"
        "if os.environ['FAKE_GPUS'] != '1':\n"
        "    torch.cuda.is_available = lambda: False\n"
        "sys.modules['torch'], sys.modules['diffusers'] = torch, fakes.FakeDiffusers(m)\n"
        "engine.host_memory_gib = lambda: gpu.host_gib\n"
        "fake_hub.install(fake_hub.Hub(os.environ['FAKE_HUB_ROOT'], big=int(os.environ['FAKE_HUB_BIG'])))\n"
        f"sys.argv = [{module!r}] + {margs!r}\n"
        f"runpy.run_module({module!r}, run_name='__main__')\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=child, stdin=None if interactive else subprocess.DEVNULL).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
