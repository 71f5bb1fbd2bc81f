#!/usr/bin/python3
"""What a rendered compose service runs, for a test that runs it without Docker.

usage: compose_env.py COMPOSE_FILE SERVICE  ->  JSON {"argv": [...], "env": {...}}

env is what Docker Compose gives the container: the service's env_file
entries (KEY=VALUE lines, relative to the compose file), overridden by its
`environment` (compose's precedence); a value that is a container path under
a bind mount of the service is rewritten to the host path. argv is the
service's `command` (the n8n image's entrypoint runs `n8n "$@"`, so an empty
argv is `n8n` itself). Nothing is added or renamed: n8n_queue.sh lists, one
by one, the few variables a container would provide differently.
"""
import json
import os
import sys

import yaml


def read_env_file(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or not key:
                raise SystemExit(f"{path}:{number}: not KEY=VALUE")
            env[key] = value
    return env


def service_env(compose_file, service):
    base = os.path.dirname(os.path.abspath(compose_file))
    with open(compose_file, encoding="utf-8") as f:
        compose = yaml.safe_load(f)
    try:
        svc = compose["services"][service]
    except KeyError:
        raise SystemExit(f"{compose_file}: no service {service!r}")
    env = {}
    env_files = svc.get("env_file") or []
    if isinstance(env_files, str):
        env_files = [env_files]
    for name in env_files:
        env.update(read_env_file(os.path.join(base, name)))
    environment = svc.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    env.update({k: str(v) for k, v in environment.items()})

    binds = {}
    for volume in svc.get("volumes") or []:
        parts = volume.split(":")
        if len(parts) >= 2 and parts[0].startswith("/"):
            binds[parts[1]] = parts[0]
    for key, value in env.items():
        for container_path, host_path in binds.items():
            if value == container_path or value.startswith(container_path + "/"):
                env[key] = host_path + value[len(container_path):]

    command = svc.get("command") or []
    if isinstance(command, str):
        command = command.split()
    return {"argv": [str(c) for c in command], "env": env}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    json.dump(service_env(sys.argv[1], sys.argv[2]), sys.stdout, indent=1, sort_keys=True)
    print()
