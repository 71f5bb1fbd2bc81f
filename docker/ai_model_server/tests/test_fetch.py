"""app.fetch against a fake of huggingface_hub 0.27.1 (tests/fake_hub.py)
serving a gated FLUX.1-dev: what it downloads, and what it refuses."""

import io
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import fake_hub  # noqa: E402
import fakes  # noqa: E402
from app import fetch, manifest  # noqa: E402

TOKEN = "hf_accepted"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """The fake Hub, importable as huggingface_hub, with the image's
    offline variables set as the server's image sets them."""
    h = fake_hub.Hub(str(tmp_path))
    fake_hub.install(h)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield h
    fake_hub.uninstall()


def run(monkeypatch, capsys, dest, token=TOKEN, revision=fake_hub.COMMIT):
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    code = fetch.main(["--repo", fake_hub.REPO, "--revision", revision, "--dest", str(dest)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_pipeline_is_downloaded_and_checked_against_the_hub(tmp_path, hub, monkeypatch, capsys):
    dest = tmp_path / "models" / "flux-1-dev-0ef5fff789c8"
    code, out, err = run(monkeypatch, capsys, dest)
    assert code == 0, err
    source = json.loads(out.strip().splitlines()[-1])
    assert source["huggingface"]["repo"] == fake_hub.REPO and source["huggingface"]["revision"] == fake_hub.COMMIT
    assert manifest.tree_files(str(dest)) == sorted(fakes.FLUX_FILES), "the pipeline only: no single-file checkpoint, no docs, no .cache"
    assert not (dest / ".cache").exists()
    assert os.environ["HF_HUB_OFFLINE"] == "0", "the image's offline switch must be off before the hub is imported"
    # The version it starts loads with the bf16 plan; quantizing adds NF4.
    m = manifest.make(str(dest), "base", "v", source, {})
    assert manifest.plans(m) == ["bf16"]


@pytest.mark.parametrize("token, message", [
    ("hf_not_accepted", "gated and refused this token: accept the licence"),
    ("", "no token on stdin"),
])
def test_without_an_accepted_licence_nothing_is_downloaded(tmp_path, hub, monkeypatch, capsys, token, message):
    code, _, err = run(monkeypatch, capsys, tmp_path / "v", token=token)
    assert code == 1 and message in err


def test_a_folder_left_by_an_earlier_run_is_refused(tmp_path, hub, monkeypatch, capsys):
    """With a refused token huggingface_hub would return it as a success."""
    dest = tmp_path / "v"
    fakes.make_flux_tree(str(dest), nf4=False)
    code, _, err = run(monkeypatch, capsys, dest, token="hf_not_accepted")
    assert code == 1 and "is not empty" in err
    assert hub.requests == [], "nothing may be asked of the Hub before the destination is known to be empty"


def test_the_fake_returns_a_stale_folder_when_refused(tmp_path, hub):
    """The trap app.fetch avoids, as huggingface_hub 0.27.1 sets it."""
    import huggingface_hub

    dest = tmp_path / "stale"
    fakes.make_flux_tree(str(dest), nf4=False)
    assert huggingface_hub.snapshot_download(fake_hub.REPO, revision=fake_hub.COMMIT, local_dir=str(dest), token="wrong") == str(dest)
    with pytest.raises(huggingface_hub.errors.OfflineModeIsEnabled):
        huggingface_hub.HfApi().model_info(fake_hub.REPO, revision=fake_hub.COMMIT, token=TOKEN)


def test_a_branch_is_refused_and_an_unknown_commit_reported(tmp_path, hub, monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, tmp_path / "a", revision="main")
    assert code == 1 and "40-hex commit" in err
    code, _, err = run(monkeypatch, capsys, tmp_path / "b", revision="1" * 40)
    assert code == 1 and "has no revision" in err


def test_a_file_that_differs_from_the_hubs_metadata_fails_naming_it(tmp_path, hub, monkeypatch, capsys):
    hub.damaged.add("vae/diffusion_pytorch_model.safetensors")
    code, _, err = run(monkeypatch, capsys, tmp_path / "v")
    assert code == 1 and "damaged: vae/diffusion_pytorch_model.safetensors (SHA-256" in err
