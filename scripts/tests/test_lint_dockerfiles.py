"""The Dockerfile linter catches each rule on a deliberately bad file."""

import glob
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LINT = os.path.join(HERE, "..", "lint_dockerfiles.py")
sys.path.insert(0, os.path.join(HERE, ".."))
import lint_dockerfiles  # noqa: E402

GOOD = """\
ARG BASE=python:3.12-slim
FROM ${BASE}
LABEL org.opencontainers.image.source="https://example.com/repo"
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt
USER 10001
EXPOSE 8000
HEALTHCHECK CMD curl -f http://127.0.0.1:8000/healthz
"""


def lint(tmp_path, dockerfile, requirements="fastapi==0.115.6\n"):
    (tmp_path / "requirements.txt").write_text(requirements)
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile)
    return [f.split(": ", 1)[1].split()[0] for f in lint_dockerfiles.lint(str(path))]


def test_good_dockerfile(tmp_path):
    assert lint(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    "change, rule",
    [
        (("ARG BASE=python:3.12-slim", "ARG BASE=python:latest"), "DL-TAG"),
        (("ARG BASE=python:3.12-slim", "ARG BASE=python"), "DL-TAG"),
        (("USER 10001", "USER root"), "DL-USER"),
        (("USER 10001\n", ""), "DL-USER"),
        (("HEALTHCHECK CMD curl -f http://127.0.0.1:8000/healthz", "HEALTHCHECK NONE"), "DL-HEALTH"),
        (("-r /tmp/requirements.txt", "-r /tmp/requirements.txt flask"), "DL-PIN-PIP"),
        (("pip install --no-cache-dir", "pip install"), "DL-PIN-PIP"),
        (("--no-install-recommends ", ""), "DL-APT"),
        ((" && rm -rf /var/lib/apt/lists/*", ""), "DL-APT"),
        (("COPY requirements.txt", "ADD https://example.com/x.tgz /x.tgz\nCOPY requirements.txt"), "DL-ADD"),
        (("RUN pip", "RUN curl -fsSL https://get.example.com | sh\nRUN pip"), "DL-ADD"),
        (('LABEL org.opencontainers.image.source="https://example.com/repo"', 'LABEL maintainer="x"'), "DL-LABEL"),
        (("EXPOSE 8000\n", ""), "DL-EXPOSE"),
    ],
)
def test_each_rule_catches_a_bad_file(tmp_path, change, rule):
    old, new = change
    assert old in GOOD
    assert rule in lint(tmp_path, GOOD.replace(old, new))


def test_unpinned_requirements_file(tmp_path):
    assert lint(tmp_path, GOOD, "fastapi>=0.100\n") == ["DL-PIN-PIP"]


def test_final_stage_decides_user(tmp_path):
    multi = "FROM ubuntu:22.04 AS builder\nUSER 10001\n" + GOOD.replace("USER 10001\n", "")
    assert "DL-USER" in lint(tmp_path, multi)


def test_the_repository_dockerfiles_are_clean():
    out = subprocess.run([sys.executable, LINT], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    dockerfiles = glob.glob(os.path.join(HERE, "..", "..", "docker", "*", "Dockerfile"))
    assert dockerfiles, "no Dockerfile under docker/: the lint would check nothing"
    assert f"{len(dockerfiles)} Dockerfile(s), 0 finding(s)" in out.stdout
