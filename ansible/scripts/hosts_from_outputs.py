#!/usr/bin/env python3
"""Write a static Ansible inventory (hosts.ini) from cdktf stack outputs.

The fallback when the amazon.aws.aws_ec2 dynamic inventory cannot be used:

    npx cdktf output production-stack --outputs-file outputs/production.json
    ansible/scripts/hosts_from_outputs.py outputs/production.json production \
        -o ansible/inventories/production/hosts.ini

Hosts are instance IDs (the Session Manager connection needs nothing else);
groups match the dynamic inventory's: each tier's group from the
ansible_groups output (the tier table's AnsibleGroup), its hosts from
instance_ids, all children of a group named after the environment.
"""

import argparse
import json
import re
import sys

INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")


class OutputsError(Exception):
    """The outputs file does not hold what the inventory needs."""


def tier_groups(outputs: dict, env: str, source: str = "outputs") -> list:
    """Return [(tier, group)] from the stack's ansible_groups output, sorted by group."""
    stack = f"{env}-stack"
    if stack not in outputs:
        raise OutputsError(f"{source} has no {stack!r} (it has: {', '.join(sorted(outputs)) or 'nothing'}); "
                           f"run `npx cdktf output {stack} --outputs-file {source}`")
    ids, groups = outputs[stack].get("instance_ids"), outputs[stack].get("ansible_groups")
    if not isinstance(ids, dict):
        raise OutputsError(f"{stack} has no instance_ids output: deploy the stack first")
    if not isinstance(groups, dict) or set(groups) != set(ids):
        raise OutputsError(f"{stack}'s ansible_groups output does not name a group for every tier of instance_ids "
                           f"({sorted(ids)}): deploy the stack again")
    return sorted(groups.items(), key=lambda tg: tg[1])


def render(outputs: dict, env: str, source: str = "outputs") -> str:
    """Return hosts.ini text for env from parsed cdktf outputs."""
    stack = f"{env}-stack"
    if stack not in outputs:
        raise OutputsError(f"{source} has no {stack!r} (it has: {', '.join(sorted(outputs)) or 'nothing'}); "
                           f"run `npx cdktf output {stack} --outputs-file {source}`")
    lines = [f"# Generated from {source} by ansible/scripts/hosts_from_outputs.py; do not edit.", ""]
    groups = tier_groups(outputs, env, source)
    ids = outputs[stack]["instance_ids"]
    for role, group in groups:
        hosts = ids.get(role) or []
        for h in hosts:
            if not INSTANCE_ID.match(str(h)):
                raise OutputsError(f"{stack}.instance_ids.{role}: {h!r} is not an instance ID")
        lines.append(f"[{group}]")
        lines.extend(f"{h} server_role={role}" for h in hosts)
        lines.append("")
    lines.append(f"[{env}:children]")
    lines.extend(group for _, group in groups)
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
