"""scripts/models.py without AWS: recording a version, naming one, the
adapter checks the upload applies (the server's own, app/loras.py), and the
shipped configuration against the model server's tables (`go run . facts`:
the bucket layout, the quantization host's memory). Against AWS (the S3
stand-in and the real CLI) it runs in ansible/tests/models.sh."""

import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(REPO, "scripts"), os.path.join(REPO, "docker", "ai_model_server"), os.path.join(REPO, "docker", "ai_model_server", "tests")]

import fakes  # noqa: E402
import models  # noqa: E402
from app import loras, manifest, memory  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app, built once: what scripts/models.sh runs for the facts."""
    if shutil.which("go") is None:
        pytest.fail("go is not on PATH: these tests read the configuration through the app")
    out = str(tmp_path_factory.mktemp("app") / "app")
    subprocess.run(["go", "build", "-o", out, "."], cwd=REPO, check=True)
    return out


def facts(app, env):
    return json.loads(subprocess.run([app, "facts", env], cwd=REPO, check=True, capture_output=True, text=True).stdout)


@pytest.mark.parametrize("env", ["dev", "staging", "production"])
def test_the_configuration_fits_the_model_servers_tables(app, env):
    f = facts(app, env)["models"]
    # one bucket layout for the stacks' grants and the tools
    assert (f["base_prefix"], f["loras_prefix"], f["status_prefix"]) == (manifest.BASE_PREFIX, manifest.LORAS_PREFIX, manifest.STATUS_PREFIX)
    # the quantization host can quantize (app/memory.py), and the GPU servers load a plan
    gpu = next(g for g in memory.GPU_CLASSES if g.instance_type == f["quantizer"]["instance_type"])
    assert memory.quantizer_problem(gpu) is None
    assert subprocess.run([sys.executable, os.path.join(REPO, "scripts", "models.py"), "quantizer-check", "--instance-type", gpu.instance_type]).returncode == 0
    for typ in f["gpu_instance_types"]:
        assert memory.plan_for(next(g for g in memory.GPU_CLASSES if g.instance_type == typ)) is not None, typ


def test_a_quantization_host_without_the_ram_is_refused():
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "models.py"), "quantizer-check", "--instance-type", "g6.xlarge"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "needs 26.2 GiB of host RAM" in r.stderr
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "models.py"), "quantizer-check", "--instance-type", "p4d.24xlarge"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not in app/memory.py GPU_CLASSES" in r.stderr


def env_for(tmp_path, app_facts, group_vars_text):
    f = tmp_path / "facts.json"
    f.write_text(json.dumps(app_facts))
    gv = tmp_path / "staging.yml"
    gv.write_text(group_vars_text)
    return models.Env("staging", str(f), "", str(gv))


def test_record_writes_the_version_as_push_images_writes_a_digest(tmp_path, app):
    env = env_for(tmp_path, facts(app, "staging"), '---\nenv_name: staging\nai_model_server_image_digest: ""\nai_model_version: ""\n')
    env.record("flux-1-dev-0ef5fff789c8", "a" * 64)
    assert (tmp_path / "staging.yml").read_text() == (
        '---\nenv_name: staging\nai_model_server_image_digest: ""\nai_model_version: "flux-1-dev-0ef5fff789c8"\n'
        f'ai_model_manifest_sha256: "{"a" * 64}"\n')
    assert env.recorded() == {"ai_model_version": "flux-1-dev-0ef5fff789c8", "ai_model_manifest_sha256": "a" * 64}
    with pytest.raises(models.Usage):
        env.record("Flux 1", "a" * 64)


def test_a_version_is_named_after_the_repository_and_commit():
    assert models.slug("black-forest-labs/FLUX.1-dev") == "flux-1-dev"
    assert manifest.VERSION_NAME.match(models.slug("black-forest-labs/FLUX.1-dev") + "-0ef5fff789c8")


@pytest.mark.parametrize("files, name, message", [
    ({"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS}}, "brand a", "adapter name 'brand a'"),
    ({"a.safetensors": {"tensors": fakes.LORA_TENSORS}, "b.safetensors": {"tensors": fakes.LORA_TENSORS}}, "two", "exactly one .safetensors"),
    ({"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS, "pad_to": loras.MAX_BYTES + 1}}, "huge", "more than the 1.5 GiB"),
    ({"pytorch_lora_weights.safetensors": b"\x10\x00\x00\x00\x00\x00\x00\x00{}"}, "short", "not a valid safetensors file"),
    ({"pytorch_lora_weights.safetensors": {"tensors": {"transformer.x.weight": [2, 2]}}}, "nolora", "Invalid LoRA checkpoint"),
])
def test_the_upload_refuses_what_the_server_would_not_list(tmp_path, files, name, message):
    d = tmp_path / name
    fakes.make_lora(str(d), files, with_manifest=False)
    with pytest.raises(models.Usage, match=message.replace("(", r"\(").replace(".", r"\.")):
        models.lora_check(str(d), name)


def test_the_upload_accepts_what_the_server_lists(tmp_path):
    d = tmp_path / "brand-a"
    fakes.make_lora(str(d), {"brand_a_v3.safetensors": {"tensors": fakes.LORA_TENSORS}}, with_manifest=False)
    assert models.lora_check(str(d), "brand-a") == "brand_a_v3.safetensors"
    fakes.write_manifest(str(d), "lora", "brand-a")
    assert loras.problem(str(tmp_path), "brand-a") is None
