"""The real engine (FluxEngine) against fakes of torch and diffusers 0.32.2
that enforce the libraries' contracts and account memory (tests/fakes.py)."""

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import fakes  # noqa: E402
from app import engine as engine_mod  # noqa: E402
from app import manifest, memory  # noqa: E402
from app.engine import DamagedLora, FluxEngine, GenerateParams, UnknownLora, list_loras  # noqa: E402
from app.settings import Settings  # noqa: E402

GPU = {g.instance_type: g for g in memory.GPU_CLASSES}
A10G = GPU["g5.xlarge"]
# Where any way of loading fits: the LoRA tests run here, so that they test
# LoRA handling whatever the memory plan.
ROOMY = memory.GPUClass("A100 80 GB", "p4de.24xlarge", 79.1, 1152, (8, 0))


@pytest.fixture
def machine(monkeypatch):
    """Install fake torch and diffusers for one GPU class; returns a setter."""

    def install(gpu):
        m = fakes.Machine(gpu)
        monkeypatch.setitem(sys.modules, "torch", fakes.make_torch(m))
        monkeypatch.setitem(sys.modules, "diffusers", fakes.FakeDiffusers(m))
        monkeypatch.setattr(engine_mod, "host_memory_gib", lambda: gpu.host_gib, raising=False)
        return m

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(var, "")  # restored (unset) after the test, also if the engine sets it
        monkeypatch.delenv(var)
    return install


def params(lora=None, scale=1.0, seed=7, side=512):
    return GenerateParams(prompt="a fox", lora=lora, lora_scale=scale, steps=4, guidance=3.5, seed=seed, width=side, height=side)


def diffusers_calls():
    return sys.modules["diffusers"].calls


# --- memory: each GPU class loads the plan the table gives it -----------------


@pytest.mark.parametrize("gpu", [g for g in memory.GPU_CLASSES if memory.plan_for(g)], ids=lambda g: g.instance_type)
def test_each_gpu_class_loads_its_plan_within_host_and_gpu_memory(tmp_path, machine, gpu):
    m = machine(gpu)
    fakes.make_model_dir(str(tmp_path), loras={"brand-a": {"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS}}})
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    eng.load()  # HostOOM / CudaOOM here mean the real server would die loading
    plan = memory.plan_for(gpu)
    assert eng.status()["memory_plan"] == plan.name
    pipe = eng.pipe
    for name in ("transformer", "text_encoder", "text_encoder_2", "vae"):
        comp = getattr(pipe, name)
        assert comp.device == "cuda", f"{name} stayed on the {comp.device}"
        assert comp.precision == plan.precision_of(name)
    assert pipe.vae.tiling, "VAE tiling is what keeps decoding above 1024 px within ACTIVATIONS_GIB"
    # the largest image the server accepts, with a LoRA adapter
    eng.generate(params(lora="brand-a", side=Settings().max_side))
    weights = sum(getattr(pipe, n).nbytes for n in ("transformer", "text_encoder", "text_encoder_2", "vae"))
    assert weights == pytest.approx(plan.weights_gib() * memory.GIB)
    assert m.peak_host <= m.host_total and m.peak_vram <= m.vram_total


def test_a_gpu_that_fits_no_plan_is_refused_with_what_would(tmp_path, machine):
    machine(GPU["g4dn.xlarge"])
    fakes.make_model_dir(str(tmp_path))
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    with pytest.raises(memory.NoPlanFits, match=r"g6\.xlarge"):
        eng.load()
    assert diffusers_calls() == [], "nothing may be loaded before the plan is known to fit"


def test_a_forced_plan_that_does_not_fit_is_refused_before_loading(tmp_path, machine):
    machine(A10G)
    fakes.make_model_dir(str(tmp_path))
    eng = FluxEngine(Settings(model_dir=str(tmp_path), memory_mode="bf16"))
    with pytest.raises(memory.NoPlanFits, match="MEMORY_MODE=bf16"):
        eng.load()
    assert diffusers_calls() == []


def test_a_smaller_plan_may_be_forced(tmp_path, machine):
    machine(GPU["g6e.xlarge"])
    fakes.make_model_dir(str(tmp_path))
    eng = FluxEngine(Settings(model_dir=str(tmp_path), memory_mode="nf4"))
    eng.load()
    assert eng.status()["memory_plan"] == "nf4" and eng.pipe.transformer.precision == "nf4"


def test_nf4_needs_the_prequantized_transformer(tmp_path, machine):
    """Quantizing at load time would merge the 22 GiB of shards in RAM: a
    version without the NF4 transformer is one a 24 GB GPU cannot load."""
    machine(A10G)
    fakes.make_model_dir(str(tmp_path), nf4=False)
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    with pytest.raises(manifest.ManifestError, match=r"cannot be loaded by the nf4 plan.*no transformer-bnb-nf4/.*it can load: bf16"):
        eng.load()
    assert diffusers_calls() == []


def test_without_its_manifest_the_nf4_folder_is_still_required(tmp_path, machine):
    """The engine's own check stands behind the manifest's."""
    machine(A10G)
    flux = fakes.make_model_dir(str(tmp_path))
    for f in fakes.NF4_FILES:
        os.remove(os.path.join(flux, f))
    fakes.write_manifest(flux, "base", "v")
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    with pytest.raises(manifest.ManifestError, match="nf4 plan"):
        eng.load()


def test_a_prequantized_transformer_of_another_kind_is_refused(tmp_path, machine):
    machine(A10G)
    flux = fakes.make_model_dir(str(tmp_path))
    with open(os.path.join(flux, memory.NF4_TRANSFORMER_SUBFOLDER, "config.json"), "w", encoding="utf-8") as f:
        f.write('{"quantization_config": {"quant_method": "bitsandbytes", "load_in_8bit": true}}')
    fakes.write_manifest(flux, "base", "v")  # a version made so, not a damaged one
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    with pytest.raises(ValueError, match="nf4"):
        eng.load()


def test_quantize_once_on_a_big_host_then_serve_nf4_on_a_24gb_gpu(tmp_path, machine, monkeypatch):
    from app import quantize

    machine(GPU["g6e.xlarge"])
    flux = fakes.make_model_dir(str(tmp_path), nf4=False, with_manifest=False)
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    assert quantize.main([]) == 0
    (name, path, subfolder, kw), saved = diffusers_calls()
    assert (name, subfolder, kw["local_files_only"], kw["torch_dtype"]) == ("FluxTransformer2DModel.from_pretrained", "transformer", True, "torch.bfloat16")
    assert (kw["quantization_config"].load_in_4bit, kw["quantization_config"].bnb_4bit_quant_type) == (True, "nf4")
    assert saved[1].endswith(".partial") and not os.path.exists(saved[1])
    assert quantize.main([]) == 0 and len(diffusers_calls()) == 2, "a second run keeps what exists"

    m = fakes.write_manifest(flux, "base", "v")  # the supply writes it last
    assert manifest.plans(m) == ["bf16", "nf4"]
    machine(A10G)
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    eng.load()
    assert eng.pipe.transformer.precision == "nf4"


def test_quantize_refuses_a_host_that_cannot_merge_the_shards(tmp_path, machine, monkeypatch, capsys):
    from app import quantize

    machine(A10G)
    fakes.make_model_dir(str(tmp_path), nf4=False)
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    assert quantize.main([]) == 2
    err = capsys.readouterr().err
    assert f"needs {memory.quantize_host_gib():.1f} GiB of host RAM" in err
    assert "this host has 16.0" in err and "the quantization host (scripts/models.sh supply)" in err
    assert diffusers_calls() == []


# --- the manifest: nothing loads that it does not vouch for -------------------


def damage(path):
    """Flip the last byte: same size, another SHA-256."""
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))


def append(path, data=b"x"):
    with open(path, "ab") as f:
        f.write(data)


@pytest.mark.parametrize("change, message", [
    (lambda flux: os.remove(os.path.join(flux, "vae", "diffusion_pytorch_model.safetensors")), "missing: vae/diffusion_pytorch_model.safetensors"),
    (lambda flux: damage(os.path.join(flux, fakes.NF4_FILES[1])), "damaged: " + fakes.NF4_FILES[1]),
    (lambda flux: append(os.path.join(flux, "tokenizer_2", "spiece.model")), "wrong size: tokenizer_2/spiece.model"),
    (lambda flux: append(os.path.join(flux, "transformer", "extra.safetensors")), "not in the manifest: transformer/extra.safetensors"),
    (lambda flux: os.remove(os.path.join(flux, manifest.MANIFEST)), "no manifest.json"),
], ids=["missing", "damaged", "resized", "extra", "no manifest"])
def test_a_version_that_does_not_match_its_manifest_is_refused_naming_the_file(tmp_path, machine, change, message):
    machine(A10G)
    flux = fakes.make_model_dir(str(tmp_path))
    change(flux)
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    with pytest.raises((manifest.ManifestError, FileNotFoundError), match=message):
        eng.load()
    assert diffusers_calls() == [], "nothing may load from a version that does not match its manifest"


def test_hashes_are_checked_for_what_the_plan_loads(tmp_path, machine):
    """Sizes of every file, SHA-256 of the files the plan reads: on a 24 GB
    GPU the bf16 transformer shards are not read, so not hashed (the sync
    hashed them); the NF4 transformer is."""
    machine(A10G)
    flux = fakes.make_model_dir(str(tmp_path))
    damage(os.path.join(flux, "transformer", "diffusion_pytorch_model-00001-of-00003.safetensors"))
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    eng.load()
    assert eng.status()["memory_plan"] == "nf4"


def test_only_the_promoted_manifest_is_served(tmp_path, machine):
    machine(A10G)
    flux = fakes.make_model_dir(str(tmp_path))
    digest = manifest.load(os.path.join(flux, manifest.MANIFEST)).digest()
    with pytest.raises(manifest.ManifestError, match="not the promoted 0+"):
        FluxEngine(Settings(model_dir=str(tmp_path), manifest_sha256="0" * 64)).load()
    eng = FluxEngine(Settings(model_dir=str(tmp_path), manifest_sha256=digest))
    eng.load()
    assert eng.status()["model"] == {"version": "flux-1-dev-test", "manifest_sha256": digest}


def test_a_version_the_gpus_plan_cannot_load_is_refused(tmp_path, machine):
    """A bf16-only version on a 48 GB GPU loads; forced to NF4 it cannot."""
    machine(GPU["g6e.xlarge"])
    fakes.make_model_dir(str(tmp_path), nf4=False)
    FluxEngine(Settings(model_dir=str(tmp_path))).load()
    machine(GPU["g6e.xlarge"])
    with pytest.raises(manifest.ManifestError, match="nf4 plan"):
        FluxEngine(Settings(model_dir=str(tmp_path), memory_mode="nf4")).load()


# --- offline ------------------------------------------------------------------


def test_everything_loads_from_the_model_directory_offline(tmp_path, machine):
    machine(A10G)
    eng = FluxEngine(Settings(model_dir=str(tmp_path)))
    with pytest.raises(FileNotFoundError, match="model_index.json missing"):
        eng.load()
    fakes.make_model_dir(str(tmp_path))
    eng.load()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert sys.modules["diffusers"].hub_offline, "HF_HUB_OFFLINE must be set before diffusers is imported"
    for call in diffusers_calls():
        assert call[1].startswith(str(tmp_path)), call
        assert call[-1]["local_files_only"] is True, call
        assert call[-1]["torch_dtype"] == "torch.bfloat16", call


# --- LoRA ---------------------------------------------------------------------


def lora_dir(tmp_path, **extra):
    loras = {
        "brand-a": {"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS}},
        # trainers name their output as they like (kohya, ai-toolkit, ...)
        "brand-b": {"brand_b_v3.safetensors": {"tensors": fakes.LORA_TENSORS}},
        # a dot is a valid adapter directory name, but not a peft adapter name
        "brand.c": {"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS}},
    }
    loras.update(extra)
    fakes.make_model_dir(str(tmp_path), loras=loras)
    return str(tmp_path)


def applied(eng):
    """The LoRA weights the last image was generated with, by adapter directory."""
    lora = eng.pipe.images[-1]["lora"]
    by_id = {v: k for k, v in eng.adapter_ids().items()}
    return {by_id[a]: w for a, w in lora.items()}


def test_loras_load_offline_from_their_directories_and_switch(tmp_path, machine):
    machine(ROOMY)
    eng = FluxEngine(Settings(model_dir=lora_dir(tmp_path)))
    eng.load()
    for lora, scale in (("brand-a", 0.8), ("brand-b", 1.0), ("brand.c", 0.5), (None, 1.0), ("brand-a", 1.2)):
        eng.generate(params(lora=lora, scale=scale))
        assert applied(eng) == ({lora: scale} if lora else {}), lora
    for call in diffusers_calls():
        if call[0] == "load_lora_weights":
            assert call[1].startswith(str(tmp_path / "loras")) and call[3]["local_files_only"] is True


def test_the_lru_adapter_is_unloaded_and_can_come_back(tmp_path, machine):
    machine(ROOMY)
    eng = FluxEngine(Settings(model_dir=lora_dir(tmp_path), lora_cache=2))
    eng.load()
    for lora in ("brand-a", "brand-b", "brand.c", "brand-a", "brand-b"):
        eng.generate(params(lora=lora))
        assert applied(eng) == {lora: 1.0}
        assert len(eng.pipe.peft_config) <= 2
    assert eng.status()["loras_loaded"] == ["brand-a", "brand-b"]


def test_adapters_stay_within_the_lora_memory_budget(tmp_path, machine):
    budget = int(memory.LORA_BUDGET_GIB * memory.GIB)
    big = {"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS, "pad_to": budget // 2 + 1}}
    machine(ROOMY)
    eng = FluxEngine(Settings(model_dir=lora_dir(tmp_path, **{"big-1": big, "big-2": big})))
    eng.load()
    eng.generate(params(lora="big-1"))
    eng.generate(params(lora="big-2"))
    assert eng.status()["loras_loaded"] == ["big-2"], "two halves and a byte do not fit the budget"
    assert sum(eng.pipe.peft_config.values()) <= budget


def test_adapter_directories_the_server_cannot_load_are_not_listed(tmp_path):
    budget = int(memory.LORA_BUDGET_GIB * memory.GIB)
    lora_dir(
        tmp_path,
        two={"a.safetensors": {"tensors": fakes.LORA_TENSORS}, "b.safetensors": {"tensors": fakes.LORA_TENSORS}},
        huge={"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS, "pad_to": budget + 1}},
        empty={},
    )
    os.makedirs(tmp_path / "loras" / "bad name")
    fakes.write_safetensors(str(tmp_path / "loras" / "bad name" / "x.safetensors"), fakes.LORA_TENSORS)
    fakes.write_safetensors(str(tmp_path / "loras" / "stray.safetensors"), fakes.LORA_TENSORS)
    assert list_loras(str(tmp_path / "loras")) == ["brand-a", "brand-b", "brand.c"]
    assert list_loras(str(tmp_path / "missing")) == []


def test_an_adapter_published_again_is_reloaded_without_a_restart(tmp_path, machine):
    machine(ROOMY)
    root = lora_dir(tmp_path)
    eng = FluxEngine(Settings(model_dir=root))
    eng.load()
    eng.generate(params(lora="brand-a"))
    first = eng.adapter_ids()["brand-a"]
    # The sync swaps in the new version of the directory (its manifest last).
    fakes.make_lora(os.path.join(root, "loras", "brand-a"), {"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS, "pad_to": 1 << 20}})
    eng.generate(params(lora="brand-a"))
    assert eng.adapter_ids()["brand-a"] != first and first not in eng.pipe.peft_config, "the old weights stayed on the GPU"
    assert applied(eng) == {"brand-a": 1.0}


def test_a_withdrawn_adapter_is_refused_and_leaves_the_gpu(tmp_path, machine):
    machine(ROOMY)
    root = lora_dir(tmp_path)
    eng = FluxEngine(Settings(model_dir=root))
    eng.load()
    eng.generate(params(lora="brand-b"))
    adapter = eng.adapter_ids()["brand-b"]
    shutil.rmtree(os.path.join(root, "loras", "brand-b"))
    with pytest.raises(UnknownLora):
        eng.generate(params(lora="brand-b"))
    assert adapter not in eng.pipe.peft_config and "brand-b" not in eng.status()["loras_loaded"]
    eng.generate(params(lora="brand-a"))  # the others still serve


def test_a_damaged_adapter_is_not_loaded(tmp_path, machine):
    machine(ROOMY)
    root = lora_dir(tmp_path)
    damage(os.path.join(root, "loras", "brand-a", "pytorch_lora_weights.safetensors"))
    eng = FluxEngine(Settings(model_dir=root))
    eng.load()
    with pytest.raises(DamagedLora, match="does not match its manifest"):
        eng.generate(params(lora="brand-a"))
    assert not [c for c in diffusers_calls() if c[0] == "load_lora_weights"]


def test_the_adapters_format_is_checked_before_listing(tmp_path):
    """What the upload refuses the server does not list either (app/loras.py)."""
    lora = {"pytorch_lora_weights.safetensors": {"tensors": fakes.LORA_TENSORS}}
    lora_dir(
        tmp_path,
        nolora={"pytorch_lora_weights.safetensors": {"tensors": {"transformer.x.weight": [2, 2]}}},
        truncated=lora,
        unmanifested=lora,
    )
    p = tmp_path / "loras" / "truncated" / "pytorch_lora_weights.safetensors"
    with open(p, "r+b") as f:
        f.truncate(os.path.getsize(p) - 2)
    fakes.write_manifest(str(p.parent), "lora", "truncated")
    os.remove(tmp_path / "loras" / "unmanifested" / manifest.MANIFEST)
    loras = str(tmp_path / "loras")
    assert list_loras(loras) == ["brand-a", "brand-b", "brand.c"]
    assert "Invalid LoRA checkpoint" in engine_mod.lora_problem(loras, "nolora")
    assert "MetadataIncompleteBuffer" in engine_mod.lora_problem(loras, "truncated")
    assert "no manifest.json" in engine_mod.lora_problem(loras, "unmanifested")


def test_an_unknown_lora_is_refused(tmp_path, machine):
    machine(ROOMY)
    eng = FluxEngine(Settings(model_dir=lora_dir(tmp_path)))
    eng.load()
    with pytest.raises(UnknownLora):
        eng.generate(params(lora="no-such-brand"))


# --- the fakes reject what the real libraries reject --------------------------


def test_the_fake_rejects_the_calls_the_real_library_rejects(tmp_path, machine, monkeypatch):
    """Each rule of tests/fakes.py, proven by a call it refuses."""
    m = machine(A10G)
    flux = lora_dir(tmp_path) + "/flux"
    loras = str(tmp_path / "loras")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    d = sys.modules["diffusers"]
    t = d.FluxTransformer2DModel.from_pretrained(flux, subfolder=memory.NF4_TRANSFORMER_SUBFOLDER, torch_dtype="torch.bfloat16", local_files_only=True)
    pipe = d.FluxPipeline.from_pretrained(flux, transformer=t, torch_dtype="torch.bfloat16", local_files_only=True)
    pipe.to("cuda")
    with pytest.raises(ValueError, match="offline mode, you must specify a `weight_name`"):
        pipe.load_lora_weights(f"{loras}/brand-a", adapter_name="a")
    with pytest.raises(EnvironmentError, match="no file named"):
        pipe.load_lora_weights(f"{loras}/brand-b", adapter_name="b", weight_name="pytorch_lora_weights.safetensors")
    with pytest.raises(KeyError, match='contain ".", got'):
        pipe.load_lora_weights(f"{loras}/brand.c", adapter_name="brand.c", weight_name="pytorch_lora_weights.safetensors")
    pipe.load_lora_weights(f"{loras}/brand-a", adapter_name="a", weight_name="pytorch_lora_weights.safetensors")
    with pytest.raises(ValueError, match="already in use"):
        pipe.load_lora_weights(f"{loras}/brand-a", adapter_name="a", weight_name="pytorch_lora_weights.safetensors")
    with pytest.raises(ValueError, match="not in the list of present adapters"):
        pipe.set_adapters(["b"], adapter_weights=[1.0])
    with pytest.raises(OSError, match="offline"):
        d.FluxPipeline.from_pretrained("black-forest-labs/FLUX.1-dev", local_files_only=True)
    with pytest.raises(NotImplementedError):
        d.FluxTransformer2DModel.from_pretrained(flux, subfolder=memory.NF4_TRANSFORMER_SUBFOLDER, device_map="cuda")
    # quantizing the sharded bf16 checkpoint at load time merges it in RAM
    qc = d.BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")
    with pytest.raises(fakes.HostOOM, match="merged"):
        d.FluxTransformer2DModel.from_pretrained(flux, subfolder="transformer", quantization_config=qc, torch_dtype="torch.bfloat16")
    # without torch_dtype, fp32: the T5 alone is 17.7 GiB
    with pytest.raises(fakes.HostOOM):
        d.FluxPipeline.from_pretrained(flux, transformer=t, local_files_only=True)
    # a disabled LoRA stays off until enable_lora, whatever set_adapters says
    pipe.disable_lora()
    pipe.set_adapters(["a"], adapter_weights=[0.5])
    pipe("x", generator=None)
    assert pipe.images[-1]["lora"] == {}
    assert m.peak_host <= m.host_total
