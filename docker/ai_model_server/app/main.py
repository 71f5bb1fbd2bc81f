"""HTTP layer of the model server.

    GET  /healthz       readiness: 200 once the pipeline is loaded, with GPU memory
    GET  /v1/loras      the LoRA adapters in the model directory
    POST /v1/generate   one image as image/png

One generation runs on the GPU at a time. Up to QUEUE_SIZE more requests
wait their turn; beyond that the server answers 429 at once, so callers
(Odoo, n8n) back off instead of piling up timeouts.
"""

import asyncio
import contextlib
import logging
import random
import time
import uuid
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from . import logs
from .engine import LORA_NAME, Engine, FluxEngine, GenerateParams, UnknownLora
from .settings import Settings

log = logging.getLogger("server")


class GenerateRequest(BaseModel):
    """POST /v1/generate body. Sizes are checked against the settings too."""

    prompt: str = Field(..., description="What to draw")
    lora: Optional[str] = Field(None, description="LoRA adapter name; none for the base model")
    lora_scale: float = Field(1.0, ge=0.0, le=2.0)
    steps: int = Field(28, ge=1)
    guidance: float = Field(3.5, ge=0.0, le=20.0)
    seed: Optional[int] = Field(None, ge=0, le=2**32 - 1, description="Random when absent")
    width: int = Field(1024)
    height: int = Field(1024)


def error(status: int, code: str, detail, request_id: str = "") -> JSONResponse:
    body = {"error": code, "detail": detail}
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(status_code=status, content=body)


class Admission:
    """One job on the GPU, a bounded number waiting, the rest refused."""

    def __init__(self, queue_size: int):
        self.capacity = queue_size + 1
        self.admitted = 0
        self.gpu = asyncio.Lock()

    def try_enter(self) -> bool:
        if self.admitted >= self.capacity:
            return False
        self.admitted += 1
        return True

    def leave(self) -> None:
        self.admitted -= 1

    @property
    def waiting(self) -> int:
        return max(0, self.admitted - 1)


def create_app(engine: Optional[Engine] = None, settings: Optional[Settings] = None, load: bool = True) -> FastAPI:
    """Build the app. Tests pass a fake engine; production builds FluxEngine."""
    settings = settings or Settings.from_env()
    engine = engine or FluxEngine(settings)
    state = {"ready": False, "error": None}
    admission = Admission(settings.queue_size)

    async def load_engine():
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, engine.load)
            state["ready"] = True
        except Exception as e:  # noqa: BLE001 - reported on /healthz, the process stays up
            state["error"] = f"{type(e).__name__}: {e}"
            log.exception("pipeline failed to load")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # The model loads in the background: /healthz answers 503 meanwhile.
        task = asyncio.get_running_loop().create_task(load_engine()) if load else None
        yield
        if task is not None and not task.done():
            task.cancel()

    app = FastAPI(title="InfluenceGen AI model server", version="1.0.0", lifespan=lifespan)
    app.state.load_engine = load_engine

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        detail = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()]
        return error(422, "invalid_request", detail)

    @app.get("/healthz")
    async def healthz():
        body = {"status": "ok" if state["ready"] else "loading", **engine.status()}
        body["queue"] = {"waiting": admission.waiting, "capacity": settings.queue_size}
        if state["error"]:
            body["status"], body["error"] = "failed", state["error"]
        return JSONResponse(status_code=200 if state["ready"] else 503, content=body)

    @app.get("/v1/loras")
    async def loras():
        return {"loras": engine.loras()}

    @app.post("/v1/generate")
    async def generate(req: GenerateRequest):
        request_id = uuid.uuid4().hex[:12]
        problems = []
        if not req.prompt.strip():
            problems.append({"field": "prompt", "message": "the prompt is empty"})
        elif len(req.prompt) > settings.max_prompt_chars:
            problems.append({"field": "prompt", "message": f"longer than {settings.max_prompt_chars} characters"})
        for side in ("width", "height"):
            v = getattr(req, side)
            if not settings.min_side <= v <= settings.max_side or v % 16:
                problems.append({"field": side, "message": f"{v} is out of range: use a multiple of 16 from {settings.min_side} to {settings.max_side}"})
        if req.steps > settings.max_steps:
            problems.append({"field": "steps", "message": f"at most {settings.max_steps}"})
        if req.lora is not None and not LORA_NAME.match(req.lora):
            problems.append({"field": "lora", "message": "letters, digits, '.', '_' and '-' only"})
        if problems:
            return error(422, "invalid_request", problems, request_id)
        if req.lora is not None and req.lora not in engine.loras():
            return error(404, "unknown_lora", {"lora": req.lora, "available": engine.loras()}, request_id)
        if not state["ready"]:
            return error(503, "not_ready", state["error"] or "the model is still loading", request_id)
        if not admission.try_enter():
            log.warning("queue full", extra={"request_id": request_id, "capacity": settings.queue_size})
            return JSONResponse(
                status_code=429,
                content={"error": "queue_full", "detail": f"{settings.queue_size} requests are already waiting; retry later", "request_id": request_id},
                headers={"Retry-After": "10"},
            )
        params = GenerateParams(
            prompt=req.prompt, lora=req.lora, lora_scale=req.lora_scale, steps=req.steps, guidance=req.guidance,
            seed=req.seed if req.seed is not None else random.randrange(2**32), width=req.width, height=req.height,
        )
        try:
            queued = time.monotonic()
            async with admission.gpu:
                started = time.monotonic()
                png = await asyncio.get_running_loop().run_in_executor(None, engine.generate, params)
            log.info("generated", extra={
                "request_id": request_id, "lora": params.lora, "steps": params.steps, "size": f"{params.width}x{params.height}",
                "seed": params.seed, "queued_s": round(started - queued, 3), "gpu_s": round(time.monotonic() - started, 3),
            })
        except UnknownLora as e:
            # Withdrawn while the request waited, or damaged on disk.
            detail = {"lora": req.lora, "available": engine.loras()}
            if str(e) != str(req.lora):
                detail["reason"] = str(e)
            return error(404, "unknown_lora", detail, request_id)
        except Exception:  # noqa: BLE001 - one failed generation must not take the server down
            log.exception("generation failed", extra={"request_id": request_id})
            return error(500, "generation_failed", "see the server log", request_id)
        finally:
            admission.leave()
        return Response(content=png, media_type="image/png", headers={"X-Request-Id": request_id, "X-Seed": str(params.seed)})

    return app


def server_config(app: FastAPI, host: str = "0.0.0.0", port: int = 8000):
    """How the container serves the app. The event loop and HTTP parser are
    named, not "auto": uvicorn would pick uvloop/httptools when installed, so
    the server would differ between the image and the tests."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, loop="asyncio", http="h11", log_config=None, access_log=False)


def main() -> None:  # pragma: no cover - the container's entry point
    import uvicorn

    logs.setup()
    uvicorn.Server(server_config(create_app())).run()


if __name__ == "__main__":  # pragma: no cover
    main()
