#!/usr/bin/env python3
"""Write a static Ansible inventory (hosts.ini) from cdktf stack outputs.

The fallback when the amazon.aws.aws_ec2 dynamic inventory cannot be used:

    npx cdktf output production-stack --outputs-file outputs/production.json
    ansible/scripts/hosts_from_outputs.py outputs/production.json production \
        -o ansible/inventories/production/hosts.ini

Hosts are instance IDs (the Session Manager connection needs nothing else);
groups match the dynamic inventory: odoo_servers, n8n_servers, n8n_workers,
ai_servers, all children of a group named after the environment.
"""

import argparse
import json
import re
import sys

GROUPS = [
    # (output key in instance_ids, inventory group, Role tag)
    ("odoo", "odoo_servers", "odoo"),
    ("n8n_main", "n8n_servers", "n8n-main"),
    ("n8n_worker", "n8n_workers", "n8n-worker"),
    ("ai", "ai_servers", "ai"),
]

INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")


class OutputsError(Exception):
    """The outputs file does not hold what the inventory needs."""


def render(outputs: dict, env: str, source: str = "outputs") -> str:
    """Return hosts.ini text for env from parsed cdktf outputs."""
    stack = f"{env}-stack"
    if stack not in outputs:
        raise OutputsError(f"{source} has no {stack!r} (it has: {', '.join(sorted(outputs)) or 'nothing'}); "
                           f"run `npx cdktf output {stack} --outputs-file {source}`")
    ids = outputs[stack].get("instance_ids")
    if not isinstance(ids, dict):
        raise OutputsError(f"{stack} has no instance_ids output: deploy the stack first")
    lines = [f"# Generated from {source} by ansible/scripts/hosts_from_outputs.py; do not edit.", ""]
    for key, group, role in GROUPS:
        hosts = ids.get(key) or []
        for h in hosts:
            if not INSTANCE_ID.match(str(h)):
                raise OutputsError(f"{stack}.instance_ids.{key}: {h!r} is not an instance ID")
        lines.append(f"[{group}]")
        lines.extend(f"{h} server_role={role}" for h in hosts)
        lines.append("")
    lines.append(f"[{env}:children]")
    lines.extend(group for _, group, _ in GROUPS)
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", help="JSON written by `cdktf deploy|output --outputs-file`")
    parser.add_argument("env", help="environment name, e.g. production")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    try:
        with open(args.outputs, encoding="utf-8") as f:
            outputs = json.load(f)
        text = render(outputs, args.env, args.outputs)
    except (OSError, json.JSONDecodeError, OutputsError) as e:
        print(f"hosts_from_outputs: {e}", file=sys.stderr)
        return 1
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
