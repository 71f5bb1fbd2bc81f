#!/usr/bin/env python3
"""Lint Dockerfiles for the rules this project holds images to.

    scripts/lint_dockerfiles.py [Dockerfile ...]   (default: docker/*/Dockerfile)

Each rule prints one line, FILE:LINE: RULE message; the exit code is the
number of findings (capped at 100). Rules:
  DL-TAG       every FROM names a tag or digest, never latest (after ARG defaults)
  DL-USER      the final stage runs as a non-root USER
  DL-HEALTH    the final stage has a HEALTHCHECK
  DL-PIN-PIP   pip installs only pinned (==) requirements, without a cache
  DL-APT       apt-get install uses --no-install-recommends and cleans its lists
  DL-ADD       no ADD of remote URLs, no piping downloads into a shell
  DL-LABEL     OCI labels name the source
  DL-EXPOSE    the final stage documents its port
"""

import glob
import os
import re
import shlex
import sys


def logical_lines(text):
    """Join continuation lines; yield (first line number, instruction, args)."""
    buf, start = "", 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if not buf:
            start = n
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        parts = buf.split(None, 1)
        yield start, parts[0].upper(), parts[1] if len(parts) > 1 else ""
        buf = ""


def substitute(value, args):
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), ""), value)


def pinned_requirements(path):
    """Return the unpinned lines of a requirements file."""
    bad = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-") and not re.match(r"^[A-Za-z0-9_.\[\],-]+==[A-Za-z0-9_.+!-]+$", line):
                bad.append(line)
    return bad


def lint(path):
    findings = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    here = os.path.dirname(path)
    args, stages = {}, []
    for n, inst, rest in logical_lines(text):
        def find(rule, msg, n=n):
            findings.append(f"{path}:{n}: {rule} {msg}")

        if inst == "ARG":
            name, _, default = rest.partition("=")
            if not stages:
                args[name.strip()] = default.strip().strip('"')
            continue
        if inst == "FROM":
            image = substitute(rest.split()[0], args)
            stages.append({"user": None, "health": False, "expose": False, "labels": "", "from": image, "copies": {}})
            if not image.startswith("scratch") and image.split("/")[-1].split("@")[0].count(":") == 0 and "@" not in image:
                if not any(image == s.get("alias") for s in stages[:-1]):
                    find("DL-TAG", f"{image!r} has no tag or digest")
            if re.search(r":latest(@|$)", image):
                find("DL-TAG", f"{image!r} uses latest")
            m = re.search(r"\s+AS\s+(\S+)", rest, re.I)
            if m:
                stages[-1]["alias"] = m.group(1)
            continue
        if not stages:
            continue
        stage = stages[-1]
        if inst == "USER":
            stage["user"] = (rest.split(":")[0].strip(), n)
        elif inst == "HEALTHCHECK":
            stage["health"] = rest.strip().upper() != "NONE"
        elif inst == "EXPOSE":
            stage["expose"] = True
        elif inst == "LABEL":
            stage["labels"] += rest
        elif inst == "COPY":
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            if not any(w.startswith("--from") for w in shlex.split(rest)) and len(words) == 2:
                stage["copies"][words[1]] = os.path.join(here, words[0])
        elif inst == "ADD" and re.search(r"https?://", rest):
            find("DL-ADD", "ADD of a URL: download in a RUN with a checksum, or COPY")
        elif inst == "RUN":
            if re.search(r"(curl|wget)[^|;&]*\|\s*(ba|z)?sh", rest):
                find("DL-ADD", "a download piped into a shell")
            if "apt-get install" in rest:
                if "--no-install-recommends" not in rest:
                    find("DL-APT", "apt-get install without --no-install-recommends")
                if "rm -rf /var/lib/apt/lists" not in rest:
                    find("DL-APT", "apt lists not removed in the same RUN")
            for m in re.finditer(r"pip3?\s+install\s+([^&;|]*)", rest):
                words = shlex.split(m.group(1))
                if "--no-cache-dir" not in words:
                    find("DL-PIN-PIP", "pip install without --no-cache-dir")
                skip = False
                for i, w in enumerate(words):
                    if skip:
                        skip = False
                        continue
                    if w in ("-r", "--requirement"):
                        req = words[i + 1]
                        src = stage["copies"].get(req)
                        if src is None or not os.path.isfile(src):
                            find("DL-PIN-PIP", f"cannot find {req} in the build context to check its pins")
                        else:
                            for b in pinned_requirements(src):
                                find("DL-PIN-PIP", f"{os.path.relpath(src)}: {b!r} is not pinned with ==")
                        skip = True
                    elif w.startswith("-"):
                        skip = w in ("--extra-index-url", "--index-url", "-i", "-c", "--constraint")
                    elif "==" not in w and not w.startswith("/"):
                        find("DL-PIN-PIP", f"{w!r} is not pinned with ==")
    if not stages:
        return [f"{path}:1: DL-TAG no FROM"]
    final = stages[-1]
    user = final["user"]
    if user is None or user[0] in ("root", "0"):
        findings.append(f"{path}:{user[1] if user else 1}: DL-USER the final stage runs as root: add a non-root USER")
    if not final["health"]:
        findings.append(f"{path}:1: DL-HEALTH the final stage has no HEALTHCHECK")
    if not final["expose"]:
        findings.append(f"{path}:1: DL-EXPOSE the final stage does not EXPOSE its port")
    if "org.opencontainers.image.source" not in final["labels"]:
        findings.append(f"{path}:1: DL-LABEL no org.opencontainers.image.source label")
    return findings


def main(argv):
    paths = argv or sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "docker", "*", "Dockerfile")))
    findings = [f for p in paths for f in lint(p)]
    for f in findings:
        print(f)
    print(f"lint_dockerfiles: {len(paths)} Dockerfile(s), {len(findings)} finding(s)")
    return min(len(findings), 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
