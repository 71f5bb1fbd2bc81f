#!/usr/bin/env python3
"""Checks scripts/deploy_environment.sh runs so that a step that did nothing fails.

usage: deploy_checks.py COMMAND ARGS...

  state-serial                      read `terraform state pull` on stdin; print
                                    "LINEAGE SERIAL" ("none 0" for no state yet)
  outputs STACK_JSON STACK          read `terraform output -json` on stdin; print
                                    the outputs as `cdktf deploy --outputs-file`
                                    writes them (sensitive outputs left out)
  inventory OUTPUTS ENV JSON [NAME] JSON is `ansible-inventory --list` of the
                                    inventory NAME: each group must hold exactly
                                    the instances of its role in OUTPUTS
                                    (outputs/ENV.json)
  plays OUTPUTS ENV LIST_HOSTS      LIST_HOSTS is `ansible-playbook --list-hosts`
                                    output: every play must match a host (unless
                                    it targets only roles with no instances);
                                    prints how many plays may match none
  recap OUTPUTS ENV LOG [EMPTY]     LOG is the ansible-playbook output: every
                                    instance in the PLAY RECAP with failed=0 and
                                    unreachable=0, and no more "no hosts matched"
                                    than the EMPTY plays `plays` allowed

Why: with boto3 missing, the amazon.aws.aws_ec2 inventory plugin fails to
parse, ansible-inventory warns and returns an EMPTY inventory with exit 0,
and ansible-playbook then prints "skipping: no hosts matched" for every
play, also with exit 0 (checked with ansible-core 2.14). Exit codes: 0 ok;
1 the check failed (the message names the group, play or host); 2 bad usage.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ansible", "scripts"))
from hosts_from_outputs import OutputsError, tier_groups  # noqa: E402


class CheckError(Exception):
    """A check failed; the message says what and how to fix it."""


def expected_hosts(outputs: dict, env: str) -> dict:
    """Map each inventory group to the sorted instance IDs the stack outputs give it."""
    stack = f"{env}-stack"
    ids = (outputs.get(stack) or {}).get("instance_ids")
    if not isinstance(ids, dict):
        raise CheckError(f"the outputs have no {stack}.instance_ids: the deploy did not write them")
    try:
        groups = tier_groups(outputs, env)
    except OutputsError as e:
        raise CheckError(str(e)) from e
    return {group: sorted(ids.get(tier) or []) for tier, group in groups}


def state_serial(text: str) -> str:
    """Return "LINEAGE SERIAL" of a `terraform state pull` document."""
    if not text.strip():
        return "none 0"
    state = json.loads(text)
    return f"{state['lineage']} {int(state['serial'])}"


def cdktf_outputs(stack_json: dict, stack: str, tf_outputs: dict) -> dict:
    """Shape `terraform output -json` as cdktf's outputs file.

    cdktf-cli 0.20.11 (@cdktf/cli-core src/lib/output.js, getConstructIdsForOutputs
    and saveOutputs) maps the construct path tree in cdk.tf.json "//".outputs to
    the output values and leaves out sensitive ones; this does the same.
    """
    mapping = (stack_json.get("//") or {}).get("outputs")
    if not mapping:
        mapping = {stack: {name: name for name in tf_outputs}}

    def walk(node):
        out = {}
        for key, value in node.items():
            if isinstance(value, str):
                o = tf_outputs.get(value)
                if o is not None and not o.get("sensitive"):
                    out[key] = o.get("value")
            else:
                sub = walk(value)
                if sub:
                    out[key] = sub
        return out

    return walk(mapping)


def check_inventory(expected: dict, inventory: dict, source: str) -> None:
    """Every group of the inventory must hold exactly the expected instances."""
    problems = []
    for group, want in expected.items():
        have = sorted((inventory.get(group) or {}).get("hosts") or [])
        if have != want:
            missing = sorted(set(want) - set(have))
            extra = sorted(set(have) - set(want))
            detail = []
            if missing:
                detail.append(f"missing {', '.join(missing)}")
            if extra:
                detail.append(f"not in the stack outputs: {', '.join(extra)}")
            problems.append(f"  - {group}: {len(have)} host(s), expected {len(want)} ({'; '.join(detail)})")
    if problems:
        hint = ("an empty inventory usually means the instances are not running yet "
                "(filter instance-state-name: running) or their Environment/Role tags differ; "
                "wait and rerun, or use --static-inventory")
        raise CheckError(f"the inventory {source} does not match the stack outputs:\n"
                         + "\n".join(problems) + f"\n{hint}")


PLAY = re.compile(r"^\s*play #(\d+) \((.*)\): (.*?)\tTAGS:", re.M)
HOSTS = re.compile(r"^\s*hosts \((\d+)\):", re.M)


def parse_list_hosts(text: str) -> list:
    """Return [(number, pattern, name, host count)] from `--list-hosts` output."""
    plays = []
    starts = list(PLAY.finditer(text))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        h = HOSTS.search(text, m.end(), end)
        if not h:
            raise CheckError(f"cannot read the host count of play #{m.group(1)} in the --list-hosts output")
        plays.append((int(m.group(1)), m.group(2), m.group(3).strip(), int(h.group(1))))
    return plays


def pattern_groups(pattern: str) -> set:
    """The group names in a host pattern: "a:&b:!c[0]" -> {a, b, c}."""
    return {re.sub(r"\[.*\]$", "", p.lstrip("!&")) for p in re.split(r"[:,]", pattern) if p}


def check_plays(expected: dict, text: str) -> int:
    """Every play must match a host; return how many may match none."""
    plays = parse_list_hosts(text)
    if not plays:
        raise CheckError("the playbook lists no plays: is it the right file?")
    empty_groups = {g for g, hosts in expected.items() if not hosts}
    allowed, problems = 0, []
    for number, pattern, name, count in plays:
        if count > 0:
            continue
        groups = pattern_groups(pattern)
        if groups and groups <= empty_groups:
            allowed += 1
            continue
        problems.append(f"  - play #{number} '{name}' (hosts: {pattern}) matches no host")
    if problems:
        raise CheckError("plays that would skip every host (ansible-playbook reports success for them):\n"
                         + "\n".join(problems)
                         + "\nfix the play's hosts pattern or the inventory's groups")
    return allowed


ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")


def parse_recap(log: str) -> dict:
    """Return {host: {counter: n}} from the last PLAY RECAP of a playbook log."""
    log = ANSI.sub("", log)
    at = log.rfind("PLAY RECAP")
    if at < 0:
        raise CheckError("no PLAY RECAP in the ansible-playbook output: the playbook did not finish")
    recap = {}
    for line in log[at:].splitlines()[1:]:
        m = RECAP_LINE.match(line.strip())
        if m:
            recap[m.group(1)] = {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
        elif recap and line.strip():
            break
    return recap


def check_recap(expected: dict, log: str, allowed_empty: int) -> None:
    """Every expected host ran, nothing failed or was unreachable, no play skipped all hosts."""
    recap = parse_recap(log)
    problems = []
    for group, hosts in expected.items():
        for host in hosts:
            counts = recap.get(host)
            if counts is None:
                problems.append(f"  - {host} ({group}): not in the recap: no play ran on it")
            elif counts.get("failed", 0) or counts.get("unreachable", 0):
                problems.append(f"  - {host} ({group}): failed={counts.get('failed', 0)} unreachable={counts.get('unreachable', 0)}")
            elif counts.get("ok", 0) + counts.get("changed", 0) == 0:
                problems.append(f"  - {host} ({group}): every task skipped")
    skipped = len(re.findall(r"^skipping: no hosts matched", ANSI.sub("", log), re.M))
    if skipped > allowed_empty:
        problems.append(f"  - {skipped} play(s) matched no hosts ({allowed_empty} expected)")
    if problems:
        raise CheckError("the playbook did not configure every server:\n" + "\n".join(problems))


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def main(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.split("\n\n", 1)[1] if argv else __doc__, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    cmd, args = argv[0], argv[1:]
    arity = {"state-serial": (0, 0), "outputs": (2, 2), "inventory": (3, 4), "plays": (3, 3), "recap": (3, 4)}
    if cmd not in arity or not arity[cmd][0] <= len(args) <= arity[cmd][1]:
        print(f"deploy_checks: bad usage: {' '.join(argv)}\n\n{__doc__}", file=sys.stderr)
        return 2
    try:
        if cmd == "state-serial":
            print(state_serial(sys.stdin.read()))
        elif cmd == "outputs":
            stack_json = json.loads(read(args[0]))
            print(json.dumps(cdktf_outputs(stack_json, args[1], json.load(sys.stdin)), indent=2))
        else:
            expected = expected_hosts(json.loads(read(args[0])), args[1])
            if cmd == "inventory":
                check_inventory(expected, json.loads(read(args[2])), args[3] if len(args) > 3 else args[2])
            elif cmd == "plays":
                print(check_plays(expected, read(args[2])))
            else:
                check_recap(expected, read(args[2]), int(args[3]) if len(args) > 3 else 0)
    except CheckError as e:
        print(f"deploy check failed: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as e:
        print(f"deploy check failed: cannot read the input: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
