"""The memory table (app/memory.py) against an independent derivation of
each component's size from its architecture, and the plan of each GPU class."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from app import memory  # noqa: E402
from app.settings import MEMORY_MODES, Settings  # noqa: E402


def linear(i, o, bias=True):
    return i * o + (o if bias else 0)


def flux_transformer(layers=19, single_layers=38, heads=24, head_dim=128, joint_dim=4096, pooled_dim=768, in_channels=64):
    """Parameters of FluxTransformer2DModel for transformer/config.json of
    FLUX.1-dev (diffusers models/transformers/transformer_flux.py)."""
    d, mlp = heads * head_dim, 4 * heads * head_dim
    qk_norms = 2 * head_dim
    double = (
        2 * linear(d, 6 * d)  # norm1, norm1_context (AdaLayerNormZero)
        + 8 * linear(d, d)  # to_q/k/v, add_q/k/v_proj, to_out, to_add_out
        + 2 * qk_norms  # norm_q/k, norm_added_q/k
        + 2 * (linear(d, mlp) + linear(mlp, d))  # ff, ff_context
    )
    single = linear(d, 3 * d) + linear(d, mlp) + linear(d + mlp, d) + 3 * linear(d, d) + qk_norms
    embed = (
        2 * (linear(256, d) + linear(d, d))  # timestep and guidance embedders
        + linear(pooled_dim, d) + linear(d, d)  # pooled text
        + linear(joint_dim, d) + linear(in_channels, d)  # context_embedder, x_embedder
        + linear(d, 2 * d) + linear(d, in_channels)  # norm_out, proj_out
    )
    total = layers * double + single_layers * single + embed
    norms = layers * 2 * qk_norms + single_layers * qk_norms
    biases = (
        layers * (2 * 6 * d + 8 * d + 2 * (mlp + d))
        + single_layers * (3 * d + mlp + d + 3 * d)
        + 2 * (d + d) + (d + d) + d + d + 2 * d + in_channels
    )
    return total, total - norms - biases


def t5_xxl_encoder(layers=24, d=4096, d_ff=10240, vocab=32128, buckets=32, heads=64):
    """T5EncoderModel for text_encoder_2/config.json (google/t5-v1_1-xxl):
    gated-GELU FFN (wi_0, wi_1, wo), no biases."""
    attention = 4 * d * d
    ffn = 2 * d * d_ff + d_ff * d
    total = layers * (attention + ffn + 2 * d) + vocab * d + d + buckets * heads
    return total, layers * (attention + ffn), layers * d_ff * d


def clip_l_text(layers=12, d=768, d_ff=3072, vocab=49408, positions=77):
    per_layer = 4 * linear(d, d) + linear(d, d_ff) + linear(d_ff, d) + 2 * 2 * d
    return vocab * d + positions * d + layers * per_layer + 2 * d


def test_component_sizes_match_the_architectures():
    total, linear_weights = flux_transformer()
    t = memory.COMPONENTS["transformer"]
    assert (t.params, t.linear_weights) == (total, linear_weights)
    total, linear_weights, wo = t5_xxl_encoder()
    t5 = memory.COMPONENTS["text_encoder_2"]
    assert (t5.params, t5.linear_weights, t5.fp32_under_bnb) == (total, linear_weights, wo)
    assert memory.COMPONENTS["text_encoder"].params == clip_l_text()


def test_sizes_per_precision():
    gib = {n: (round(c.gib("bf16"), 2), round(c.gib("nf4"), 2) if c.linear_weights else None) for n, c in memory.COMPONENTS.items()}
    assert gib == {
        "transformer": (22.17, 6.24),  # 12 B parameters: more than a 24 GB GPU in bf16
        "text_encoder_2": (8.87, 5.89),  # 4-bit, but wo stays fp32: not a quarter
        "text_encoder": (0.23, None),
        "vae": (0.16, None),
    }
    with pytest.raises(ValueError, match="never quantized"):
        memory.COMPONENTS["vae"].nbytes("nf4")


def test_each_gpu_class_gets_the_plan_that_fits():
    chosen = {g.instance_type: (memory.plan_for(g).name if memory.plan_for(g) else None) for g in memory.GPU_CLASSES}
    assert chosen == {"g4dn.xlarge": None, "g5.xlarge": "nf4", "g6.xlarge": "nf4", "g6e.xlarge": "bf16", "g6.2xlarge": "nf4", "g5.2xlarge": "nf4"}
    bf16, nf4 = memory.plan_named("bf16"), memory.plan_named("nf4")
    # 24 GB: the bf16 transformer alone is the whole GPU
    assert memory.COMPONENTS["transformer"].gib("bf16") > 22.0
    assert bf16.vram_gib() > 22.0 >= nf4.vram_gib()
    # 16 GiB hosts load the NF4 plan (T5 in RAM is the peak), not bf16 (the transformer)
    assert nf4.host_gib() <= 16 < bf16.host_gib() <= 32


def test_the_t4_fails_for_every_reason():
    with pytest.raises(memory.NoPlanFits) as e:
        memory.choose_plan(14.7, 16, (7, 5))
    msg = str(e.value)
    assert "no bf16" in msg and "GiB of GPU memory" in msg and "g6.xlarge" in msg


def test_settings_stay_within_what_the_plans_reserve():
    s = Settings()
    assert s.max_side <= memory.MAX_SIDE
    assert set(MEMORY_MODES) == {"auto", *memory.PLAN_NAMES}


def test_the_quantization_host_needs_32_gib_and_a_bf16_gpu():
    """26.2 GiB of host RAM (the merged bf16 shards), so 32 GiB hosts; any
    bf16 GPU holds the NF4 transformer it builds."""
    assert round(memory.quantize_host_gib(), 1) == 26.2
    assert 7 < memory.quantize_vram_gib() < 8
    can = {g.instance_type: memory.quantizer_problem(g) for g in memory.GPU_CLASSES}
    assert can["g6.2xlarge"] is None and can["g5.2xlarge"] is None and can["g6e.xlarge"] is None
    assert "host RAM" in can["g6.xlarge"] and "host RAM" in can["g5.xlarge"]
    assert "no bf16" in can["g4dn.xlarge"]
