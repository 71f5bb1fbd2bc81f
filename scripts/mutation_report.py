#!/usr/bin/env python3
"""Helper of scripts/mutation.sh: reads the floor file and gremlins' JSON
reports, prints efficacy and mutant coverage per package with every
surviving mutant, and fails when a package is below its floor.

    mutation_report.py packages FLOOR              -> one package a line
    mutation_report.py check FLOOR EQUIVALENT PKG=REPORT.json...

The report is gremlins v0.5.0's --output file (internal/report/internal/
structure.go): test_efficacy is killed / (killed + lived) * 100,
mutations_coverage is (killed + lived) / (killed + lived + not covered) *
100 (internal/report/report.go, newReport); timed-out and not-viable
mutants count in neither. Each mutation carries its file (relative to the
package directory), line, column, type and status ("KILLED", "LIVED",
"NOT COVERED", "TIMED OUT", "NOT VIABLE": internal/mutator/mutator.go).

The equivalent list names one surviving mutant a line, as gremlins prints
its position, then the reason it cannot be killed:

    environments/scale.go:120:14 CONDITIONALS_BOUNDARY  the reason

Exit codes: 0 every package at or above its floor; 1 a package below its
floor, a report missing or unreadable, or a malformed floor or equivalent
file; 2 bad usage.
"""

import json
import re
import sys

LINE = re.compile(r"^(\S+)\s+([0-9]+(?:\.[0-9]+)?)$")
EQUIV = re.compile(r"^(\S+:[0-9]+:[0-9]+)\s+([A-Z_]+)\s+(\S.*)$")


def read_floor(path):
    """Returns [(package, floor)] in file order; raises ValueError."""
    floors = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = LINE.match(line)
            if not m:
                raise ValueError(f"{path}:{n}: want 'PACKAGE PERCENT', got {raw.strip()!r}")
            pkg, floor = m.group(1), float(m.group(2))
            if floor > 100:
                raise ValueError(f"{path}:{n}: {pkg}: floor {floor} is above 100")
            if any(p == pkg for p, _ in floors):
                raise ValueError(f"{path}:{n}: {pkg} appears twice")
            floors.append((pkg, floor))
    if not floors:
        raise ValueError(f"{path}: no package")
    return floors


def read_equivalent(path):
    """Returns {(position, type): reason}; raises ValueError."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = EQUIV.match(line)
            if not m:
                raise ValueError(f"{path}:{n}: want 'FILE:LINE:COL TYPE REASON', got {line!r}")
            key = (m.group(1), m.group(2))
            if key in out:
                raise ValueError(f"{path}:{n}: {key[0]} {key[1]} appears twice")
            out[key] = m.group(3)
    return out


def summarise(pkg, report):
    """Returns the counts of one package's report and its survivors."""
    counts = {"KILLED": 0, "LIVED": 0, "NOT COVERED": 0, "TIMED OUT": 0, "NOT VIABLE": 0}
    lived = []
    for f in report.get("files") or []:
        for m in f.get("mutations") or []:
            status = m["status"]
            counts[status] = counts.get(status, 0) + 1
            if status == "LIVED":
                lived.append((f"{pkg}/{f['file_name']}:{m['line']}:{m['column']}", m["type"]))
    lived.sort(key=lambda k: (k[0].rsplit(":", 2)[0], int(k[0].rsplit(":", 2)[1]), int(k[0].rsplit(":", 2)[2]), k[1]))
    # gremlins' own figures, cross-checked against the mutations listed.
    if report.get("mutants_killed") != counts["KILLED"] or report.get("mutants_lived") != counts["LIVED"]:
        raise ValueError(f"{pkg}: the report's totals disagree with its mutations")
    return counts, lived


def check(floor_path, equiv_path, pairs):
    floors = dict(read_floor(floor_path))
    equivalent = read_equivalent(equiv_path)
    seen = set()
    failed = []
    rows = []
    for pair in pairs:
        pkg, _, path = pair.partition("=")
        if pkg not in floors:
            raise ValueError(f"{pkg}: not in {floor_path}")
        try:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{pkg}: no readable gremlins report at {path}: {e}") from e
        counts, lived = summarise(pkg, report)
        efficacy = float(report.get("test_efficacy", 0))
        coverage = float(report.get("mutations_coverage", 0))
        floor = floors[pkg]
        unexplained = 0
        for pos, typ in lived:
            reason = equivalent.get((pos, typ))
            seen.add((pos, typ))
            if reason:
                print(f"  survived (equivalent) {pos} {typ}: {reason}")
            else:
                unexplained += 1
                print(f"  SURVIVED {pos} {typ}")
        ok = efficacy >= floor
        if not ok:
            failed.append(f"{pkg}: efficacy {efficacy:.2f}% is below its floor {floor:g}%")
        rows.append((pkg, counts, efficacy, coverage, floor, unexplained, ok))
    print()
    print(f"{'package':<20} {'killed':>6} {'lived':>5} {'t/out':>5} {'n/cov':>5} {'efficacy':>8} {'coverage':>8} {'floor':>5}  unexplained")
    for pkg, c, eff, cov, floor, unexplained, ok in rows:
        print(f"{pkg:<20} {c['KILLED']:>6} {c['LIVED']:>5} {c['TIMED OUT']:>5} {c['NOT COVERED']:>5} "
              f"{eff:>7.2f}% {cov:>7.2f}% {floor:>4g}%  {unexplained}{'' if ok else '  BELOW FLOOR'}")
    checked = {p for p, *_ in rows}
    for (pos, typ) in sorted(set(equivalent) - seen):
        if any(pos.startswith(p + "/") for p in checked):
            print(f"warning: {pos} {typ} is listed as equivalent but did not survive this run: "
                  f"update scripts/mutation-equivalent.txt", file=sys.stderr)
    for f in failed:
        print(f, file=sys.stderr)
    return 1 if failed else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "packages":
        for pkg, _ in read_floor(argv[2]):
            print(pkg)
        return 0
    if len(argv) >= 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ValueError as e:
        print(f"mutation_report.py: {e}", file=sys.stderr)
        sys.exit(1)
