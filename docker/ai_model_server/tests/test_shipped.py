"""What is tested is what ships: these tests run against the very versions
of the web stack that requirements.txt pins for the image (tests/run.sh runs
them in a Debian 13 root whose packages are those upstream versions), and
hold the app to the image's Python (3.10)."""

import ast
import os
import re
import socket
import sys
import threading
import time
from importlib import metadata

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from app.main import create_app, server_config  # noqa: E402

HERE = os.path.dirname(__file__)
APP = os.path.join(HERE, "..", "app")
REQUIREMENTS = os.path.join(HERE, "..", "requirements.txt")

# The packages the HTTP layer imports or runs on, and their dependencies:
# the tests must exercise exactly the versions the image installs.
WEB_STACK = (
    "fastapi", "starlette", "pydantic", "pydantic-core", "annotated-types", "typing-extensions",
    "anyio", "sniffio", "idna", "uvicorn", "h11", "click", "pillow",
)
# The GPU stack is not installed here: tests/fakes.py emulates these versions
# (read from their sources); a new version needs the fakes checked again.
FAKED = {"diffusers": "0.32.2", "peft": "0.14.0", "transformers": "4.48.1", "bitsandbytes": "0.45.0", "accelerate": "1.3.0", "torch": "2.5.1"}


def pins():
    out = {}
    with open(REQUIREMENTS, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, version = line.partition("==")
                out[name.lower().replace("_", "-")] = version
    return out


def test_the_tested_web_stack_is_the_pinned_one():
    pinned = pins()
    installed = {name: metadata.version(name) for name in WEB_STACK}
    missing = [n for n in WEB_STACK if n not in pinned]
    assert not missing, f"pin these in requirements.txt at the tested version: {', '.join(f'{n}=={installed[n]}' for n in missing)}"
    differ = {n: (pinned[n], installed[n]) for n in WEB_STACK if pinned[n] != installed[n]}
    assert not differ, (
        "requirements.txt and the tested versions differ (pinned, tested): "
        f"{differ}; pin the tested versions, or run the tests against the new ones (tests/run.sh)"
    )


def test_the_gpu_stack_is_the_one_the_fakes_emulate():
    pinned = pins()
    assert {n: pinned.get(n) for n in FAKED} == FAKED


def test_the_app_is_python_3_10():
    """The image runs Ubuntu 22.04's Python 3.10; the tests run a newer one."""
    for name in sorted(os.listdir(APP)):
        if name.endswith(".py"):
            with open(os.path.join(APP, name), encoding="utf-8") as f:
                ast.parse(f.read(), filename=name, feature_version=(3, 10))


def test_the_feature_check_rejects_newer_syntax():
    try:
        ast.parse("type Alias = int\n", feature_version=(3, 10))
    except SyntaxError:
        return
    raise AssertionError("ast.parse(feature_version=(3, 10)) accepted 3.12 syntax")


class ReadyEngine:
    def load(self):
        pass

    def loras(self):
        return []

    def status(self):
        return {"ready": True, "memory_plan": "nf4"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uvicorn_serves_the_app_as_the_container_runs_it():
    import uvicorn

    port = free_port()
    config = server_config(create_app(engine=ReadyEngine()), host="127.0.0.1", port=port)
    assert (config.loop, config.http, config.access_log) == ("asyncio", "h11", False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not answer /healthz"
            time.sleep(0.1)
        assert r.json()["status"] == "ok" and r.json()["memory_plan"] == "nf4"
        assert re.match(r"^uvicorn$", r.headers["server"])
    finally:
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive()
