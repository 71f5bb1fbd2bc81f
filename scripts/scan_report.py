#!/usr/bin/env python3
"""Helpers for scripts/scan.sh: check the suppressions file, render tool
configuration from it, and summarise tflint and trivy JSON reports.

    scan_report.py ignores .scan-ignore.yaml TRIVYIGNORE_OUT TFLINT_FLAGS_OUT
    scan_report.py tflint REPORT.json TARGET      -> one TSV row, details on stderr
    scan_report.py trivy REPORT.json TARGET       -> one TSV row, details on stderr
"""

import json
import sys

import yaml


def ignores(path, trivy_out, tflint_out):
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    problems, seen = [], set()
    trivy = data.get("trivy") or []
    tflint = data.get("tflint") or []
    for kind, entries, key in (("trivy", trivy, "id"), ("tflint", tflint, "rule")):
        for n, e in enumerate(entries):
            ident = str((e or {}).get(key, "")).strip()
            why = str((e or {}).get("why", "")).strip()
            if not ident:
                problems.append(f"{path}: {kind}[{n}] has no {key}")
            if not why:
                problems.append(f"{path}: {kind} {ident or n}: no justification (why)")
            if (kind, ident) in seen:
                problems.append(f"{path}: {kind} {ident} appears twice: one entry per rule")
            seen.add((kind, ident))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    with open(trivy_out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"misconfigurations": [
            {k: v for k, v in {"id": e["id"], "paths": e.get("paths"), "statement": e["why"]}.items() if v}
            for e in trivy
        ]}, f)
    with open(tflint_out, "w", encoding="utf-8") as f:
        f.write(" ".join(f"--disable-rule={e['rule']}" for e in tflint))
    for e in trivy + tflint:
        print(f"suppressed {e.get('id') or e.get('rule')}: {e['why']}", file=sys.stderr)
    return 0


def tflint(report, target):
    with open(report, encoding="utf-8") as f:
        data = json.load(f)
    counts = {"error": 0, "warning": 0, "notice": 0}
    for i in data.get("issues", []):
        sev = i["rule"]["severity"]
        counts[sev] = counts.get(sev, 0) + 1
        print(f"  tflint {sev}: {target}: {i['rule']['name']}: {i['message']} ({i['range']['filename']}:{i['range']['start']['line']})", file=sys.stderr)
    for e in data.get("errors", []):
        counts["error"] += 1
        print(f"  tflint error: {target}: {e.get('message')}", file=sys.stderr)
    print(f"tflint\t{target}\t-\t{counts['error']}\t{counts['warning']}\t{counts['notice']}")
    return 0


def trivy(report, target):
    with open(report, encoding="utf-8") as f:
        data = json.load(f)
    counts = {s: 0 for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW")}
    for result in data.get("Results") or []:
        for m in result.get("Misconfigurations") or []:
            if m.get("Status") != "FAIL":
                continue
            sev = m.get("Severity", "UNKNOWN")
            counts[sev] = counts.get(sev, 0) + 1
            where = (m.get("CauseMetadata") or {}).get("Resource") or result.get("Target")
            print(f"  trivy {sev}: {target}: {m.get('AVDID') or m.get('ID')}: {m.get('Title')} [{where}]", file=sys.stderr)
    print(f"trivy\t{target}\t{counts['CRITICAL']}\t{counts['HIGH']}\t{counts['MEDIUM']}\t{counts['LOW']}")
    return 0


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    sys.exit({"ignores": ignores, "tflint": tflint, "trivy": trivy}[cmd](*args))
