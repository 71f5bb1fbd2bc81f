"""The model server as the container runs it (app.main: create_app, the
uvicorn configuration of server_config), over the fakes of the GPU stack
(tests/fakes.py) for one GPU class, for the model chain test
(ansible/tests/models.sh): it loads the synced version through
FluxEngine.load, the path the servers take, and serves adapters from the
directory the model sync keeps.

usage (in the model server's test root): python3 serve_fake.py PORT INSTANCE_TYPE
       settings from the environment as in the container (MODEL_DIR, BASE_MODEL,
       MODEL_MANIFEST_SHA256, …)
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import fakes  # noqa: E402
from app import engine, logs, memory  # noqa: E402
from app.main import create_app, server_config  # noqa: E402


def main() -> None:
    port, instance_type = int(sys.argv[1]), sys.argv[2]
    gpu = next(g for g in memory.GPU_CLASSES if g.instance_type == instance_type)
    machine = fakes.Machine(gpu)
    sys.modules["torch"], sys.modules["diffusers"] = fakes.make_torch(machine), fakes.FakeDiffusers(machine)
    engine.host_memory_gib = lambda: gpu.host_gib
    logs.setup()
    import uvicorn

    uvicorn.Server(server_config(create_app(), host="127.0.0.1", port=port)).run()


if __name__ == "__main__":
    main()
