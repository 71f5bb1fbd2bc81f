"""HTTP layer tests, with the FLUX pipeline replaced by a fake (no GPU)."""

import asyncio
import io
import json
import os
import sys
import threading

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from app import engine as engine_mod  # noqa: E402
from app.engine import UnknownLora  # noqa: E402
from app.logs import JSONFormatter  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402


class FakeEngine:
    """Records what it is asked; draws a solid PNG of the requested size."""

    def __init__(self, loras=("brand-a", "brand-b"), fail_load=False):
        self._loras = list(loras)
        self.fail_load = fail_load
        self.calls = []
        self.active_lora = None
        self.gate = None  # a threading.Event that generate() waits on, when set
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def load(self):
        if self.fail_load:
            raise FileNotFoundError("no FLUX pipeline in /models/flux")

    def loras(self):
        return list(self._loras)

    def generate(self, params):
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.gate is not None:
                assert self.gate.wait(10), "test gate never opened"
            if params.lora is not None and params.lora not in self._loras:
                raise UnknownLora(params.lora)
            self.active_lora = params.lora
            self.calls.append(params)
            buf = io.BytesIO()
            Image.new("RGB", (params.width, params.height), (params.seed % 256, 0, 0)).save(buf, format="PNG")
            return buf.getvalue()
        finally:
            with self._lock:
                self.running -= 1

    def status(self):
        return {"ready": True, "memory_plan": "nf4", "gpu": {"name": "Fake A10G", "total_mb": 24576, "free_mb": 2048}}


def make_client(engine=None, **settings):
    engine = engine or FakeEngine()
    app = create_app(engine=engine, settings=Settings(**settings))
    return TestClient(app), engine


def body(**kw):
    req = {"prompt": "a red fox in the snow, studio light", "width": 512, "height": 512, "steps": 4, "seed": 7}
    req.update(kw)
    return req


# --- health ---------------------------------------------------------------


def test_healthz_ready_with_gpu_memory():
    client, _ = make_client()
    with client:
        r = client.get("/healthz")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["ready"] is True
    assert h["gpu"]["total_mb"] == 24576 and "free_mb" in h["gpu"]
    assert h["queue"] == {"waiting": 0, "capacity": 8}


def test_healthz_not_ready_when_the_model_failed_to_load():
    client, _ = make_client(FakeEngine(fail_load=True))
    with client:
        r = client.get("/healthz")
        assert r.status_code == 503
        assert r.json()["status"] == "failed"
        assert "no FLUX pipeline" in r.json()["error"]
        g = client.post("/v1/generate", json=body())
    assert g.status_code == 503 and g.json()["error"] == "not_ready"


# --- generation -----------------------------------------------------------


def test_generate_returns_a_png_of_the_requested_size():
    client, eng = make_client()
    with client:
        r = client.post("/v1/generate", json=body(width=768, height=512, seed=42, lora="brand-a", lora_scale=0.8, guidance=4.0))
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-seed"] == "42"
    img = Image.open(io.BytesIO(r.content))
    assert img.format == "PNG" and img.size == (768, 512)
    p = eng.calls[0]
    assert (p.lora, p.lora_scale, p.steps, p.guidance, p.seed) == ("brand-a", 0.8, 4, 4.0, 42)


def test_seed_is_random_when_absent_and_reported():
    client, eng = make_client()
    with client:
        r = client.post("/v1/generate", json=body(seed=None))
    assert r.status_code == 200
    assert int(r.headers["x-seed"]) == eng.calls[0].seed


def test_lora_switching_and_base_model():
    client, eng = make_client()
    with client:
        for lora in ("brand-a", "brand-b", None, "brand-a"):
            r = client.post("/v1/generate", json=body(lora=lora))
            assert r.status_code == 200
            assert eng.active_lora == lora
    assert [c.lora for c in eng.calls] == ["brand-a", "brand-b", None, "brand-a"]


def test_loras_endpoint():
    client, _ = make_client()
    with client:
        assert client.get("/v1/loras").json() == {"loras": ["brand-a", "brand-b"]}


# --- validation: clear 4xx errors ------------------------------------------


@pytest.mark.parametrize(
    "override, status, code, field",
    [
        ({"prompt": ""}, 422, "invalid_request", "prompt"),
        ({"prompt": "   "}, 422, "invalid_request", "prompt"),
        ({"prompt": "x" * 2001}, 422, "invalid_request", "prompt"),
        ({"width": 4096}, 422, "invalid_request", "width"),
        ({"height": 128}, 422, "invalid_request", "height"),
        ({"width": 500}, 422, "invalid_request", "width"),
        ({"steps": 0}, 422, "invalid_request", "steps"),
        ({"steps": 500}, 422, "invalid_request", "steps"),
        ({"lora_scale": 3}, 422, "invalid_request", "lora_scale"),
        ({"guidance": -1}, 422, "invalid_request", "guidance"),
        ({"seed": -5}, 422, "invalid_request", "seed"),
        ({"lora": "../../etc/passwd"}, 422, "invalid_request", "lora"),
        ({"lora": "no-such-brand"}, 404, "unknown_lora", None),
    ],
)
def test_invalid_requests(override, status, code, field):
    client, eng = make_client()
    with client:
        r = client.post("/v1/generate", json=body(**override))
    assert r.status_code == status, r.text
    e = r.json()
    assert e["error"] == code
    if field:
        assert field in [d["field"] for d in e["detail"]], e
    else:
        assert e["detail"]["available"] == ["brand-a", "brand-b"]
    assert eng.calls == []


def test_missing_prompt_field():
    client, _ = make_client()
    with client:
        r = client.post("/v1/generate", json={"width": 512})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "prompt"


def test_engine_failure_is_a_500_and_the_server_survives():
    eng = FakeEngine()
    client, _ = make_client(eng)

    def boom(params):
        raise RuntimeError("CUDA out of memory")

    with client:
        eng.generate, real = boom, eng.generate
        r = client.post("/v1/generate", json=body())
        assert r.status_code == 500 and r.json()["error"] == "generation_failed"
        assert "CUDA" not in r.text  # internals stay in the log
        eng.generate = real
        assert client.post("/v1/generate", json=body()).status_code == 200


# --- queueing -------------------------------------------------------------


def test_one_gpu_job_at_a_time_and_429_when_the_queue_is_full():
    eng = FakeEngine()
    eng.gate = threading.Event()
    app = create_app(engine=eng, settings=Settings(queue_size=1))

    async def scenario():
        await app.state.load_engine()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=20) as c:
            first = asyncio.create_task(c.post("/v1/generate", json=body(seed=1)))
            second = asyncio.create_task(c.post("/v1/generate", json=body(seed=2)))
            for _ in range(200):  # until one runs and one waits
                await asyncio.sleep(0.01)
                h = (await c.get("/healthz")).json()
                if eng.running == 1 and h["queue"]["waiting"] == 1:
                    break
            else:
                pytest.fail(f"queue never filled: running={eng.running}, health={h}")
            third = await c.post("/v1/generate", json=body(seed=3))
            eng.gate.set()
            return await first, await second, third

    first, second, third = asyncio.run(scenario())
    assert third.status_code == 429
    assert third.json()["error"] == "queue_full" and third.headers["retry-after"] == "10"
    assert first.status_code == 200 and second.status_code == 200
    assert eng.max_running == 1
    assert sorted(c.seed for c in eng.calls) == [1, 2]


# --- settings and logs ------------------------------------------------------


def test_settings_reject_unknown_memory_modes_and_bad_numbers():
    for env, field in (({"MEMORY_MODE": "offload"}, "MEMORY_MODE"), ({"QUEUE_SIZE": "-1"}, "QUEUE_SIZE"), ({"LORA_CACHE": "0"}, "LORA_CACHE")):
        with pytest.raises(ValueError, match=field):
            Settings.from_env(env)
    s = Settings.from_env({"QUEUE_SIZE": "3", "MODEL_DIR": "/m", "MEMORY_MODE": "nf4"})
    assert (s.queue_size, s.memory_mode, s.base_model_path) == (3, "nf4", "/m/flux")


def test_logs_are_json_lines():
    import logging

    rec = logging.LogRecord("server", logging.INFO, __file__, 1, "generated", (), None)
    rec.request_id, rec.gpu_s = "abc", 1.5
    line = json.loads(JSONFormatter().format(rec))
    assert line["message"] == "generated" and line["request_id"] == "abc" and line["level"] == "info"


def test_engine_module_needs_no_gpu_stack_to_import():
    assert "torch" not in engine_mod.__dict__
