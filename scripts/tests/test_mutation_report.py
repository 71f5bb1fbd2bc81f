"""mutation_report.py: the floor file and the equivalent list are strict;
a package below its floor fails; survivors are listed, equivalent ones with
their reason."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "mutation_report.py")
REPO = os.path.join(HERE, "..", "..")


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


def report(path, statuses):
    """A report in gremlins v0.5.0's --output form: statuses maps
    "file:line:col TYPE" to a status."""
    files = {}
    for key, status in statuses.items():
        pos, typ = key.split(" ")
        name, line, col = pos.split(":")
        files.setdefault(name, []).append({"type": typ, "status": status, "line": int(line), "column": int(col)})
    killed = sum(s == "KILLED" for s in statuses.values())
    lived = sum(s == "LIVED" for s in statuses.values())
    nc = sum(s == "NOT COVERED" for s in statuses.values())
    path.write_text(json.dumps({
        "go_module": "example.com/m",
        "files": [{"file_name": n, "mutations": m} for n, m in files.items()],
        "test_efficacy": 100 * killed / (killed + lived) if killed else 0,
        "mutations_coverage": 100 * (killed + lived) / (killed + lived + nc) if killed + lived else 0,
        "mutants_total": killed + lived, "mutants_killed": killed, "mutants_lived": lived,
        "mutants_not_viable": 0, "mutants_not_covered": nc, "elapsed_time": 1.0,
    }))
    return str(path)


def test_the_repository_floor_lists_the_rule_packages():
    r = run("packages", os.path.join(REPO, "scripts", "mutation-floor.txt"))
    assert r.returncode == 0, r.stderr
    assert {"environments", "internal/controls"} <= set(r.stdout.split())


def test_the_repository_equivalent_list_parses(tmp_path):
    floor = tmp_path / "floor"
    floor.write_text("environments 0\n")
    rep = report(tmp_path / "r.json", {"a.go:1:1 CONDITIONALS_BOUNDARY": "KILLED"})
    r = run("check", str(floor), os.path.join(REPO, "scripts", "mutation-equivalent.txt"), "environments=" + rep)
    assert r.returncode == 0, r.stderr


def test_below_the_floor_fails_at_the_floor_passes(tmp_path):
    floor = tmp_path / "floor"
    equivalent = tmp_path / "equivalent"
    equivalent.write_text("# none\n")
    rep = report(tmp_path / "r.json", {
        "a.go:1:1 CONDITIONALS_BOUNDARY": "KILLED", "a.go:2:1 CONDITIONALS_BOUNDARY": "KILLED",
        "a.go:3:1 CONDITIONALS_BOUNDARY": "KILLED", "a.go:4:1 ARITHMETIC_BASE": "LIVED",
        "a.go:5:1 ARITHMETIC_BASE": "NOT COVERED",
    })
    floor.write_text("pkg 75\n")
    r = run("check", str(floor), str(equivalent), "pkg=" + rep)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SURVIVED pkg/a.go:4:1 ARITHMETIC_BASE" in r.stdout
    assert "75.00%" in r.stdout and "80.00%" in r.stdout  # efficacy, coverage
    floor.write_text("pkg 75.5\n")
    r = run("check", str(floor), str(equivalent), "pkg=" + rep)
    assert r.returncode == 1
    assert "pkg: efficacy 75.00% is below its floor 75.5%" in r.stderr


def test_an_equivalent_survivor_is_marked_with_its_reason(tmp_path):
    floor = tmp_path / "floor"
    floor.write_text("pkg 0\n")
    equivalent = tmp_path / "equivalent"
    equivalent.write_text("pkg/a.go:4:1 ARITHMETIC_BASE  the value is never read\n"
                          "pkg/a.go:9:1 ARITHMETIC_BASE  gone since\n")
    rep = report(tmp_path / "r.json", {"a.go:1:1 ARITHMETIC_BASE": "KILLED", "a.go:4:1 ARITHMETIC_BASE": "LIVED"})
    r = run("check", str(floor), str(equivalent), "pkg=" + rep)
    assert r.returncode == 0, r.stderr
    assert "survived (equivalent) pkg/a.go:4:1 ARITHMETIC_BASE: the value is never read" in r.stdout
    assert "pkg/a.go:9:1 ARITHMETIC_BASE is listed as equivalent but did not survive" in r.stderr


def test_malformed_files_and_missing_reports_fail(tmp_path):
    good = tmp_path / "good"
    good.write_text("pkg 80\n")
    for text, why in (("pkg\n", "want 'PACKAGE PERCENT'"), ("pkg 101\n", "above 100"), ("pkg 1\npkg 2\n", "appears twice"), ("# only\n", "no package")):
        bad = tmp_path / "bad"
        bad.write_text(text)
        r = run("packages", str(bad))
        assert r.returncode == 1 and why in r.stderr, (text, r.stderr)
    eq = tmp_path / "eq"
    eq.write_text("pkg/a.go:4 ARITHMETIC_BASE no column\n")
    rep = report(tmp_path / "r.json", {"a.go:1:1 ARITHMETIC_BASE": "KILLED"})
    r = run("check", str(good), str(eq), "pkg=" + rep)
    assert r.returncode == 1 and "want 'FILE:LINE:COL TYPE REASON'" in r.stderr
    eq.write_text("pkg/a.go:4:1 ARITHMETIC_BASE\n")
    r = run("check", str(good), str(eq), "pkg=" + rep)
    assert r.returncode == 1, "an equivalent mutant without a reason"
    eq.write_text("")
    r = run("check", str(good), str(eq), "pkg=" + str(tmp_path / "missing.json"))
    assert r.returncode == 1 and "no readable gremlins report" in r.stderr
    r = run("check", str(good), str(eq), "other=" + rep)
    assert r.returncode == 1 and "other: not in" in r.stderr
