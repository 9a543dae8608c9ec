import zlib

import numpy as np
import pytest

from invcodec import weight_delta


@pytest.fixture
def base():
    rng = np.random.default_rng(0)
    return {"a.w": rng.normal(size=(3, 4)).astype(np.float32), "a.b": rng.normal(size=4).astype(np.float32),
            "b.w": rng.normal(size=5).astype(np.float32)}


def test_round_trip_rounds_each_change_to_its_step(base):
    adapted = {k: v + 0.01 * np.arange(v.size).reshape(v.shape) for k, v in base.items()}
    payload = weight_delta.encode(base, adapted, {"a.w": -8, "a.b": -6})
    out = weight_delta.apply(base, payload)
    np.testing.assert_array_equal(out["b.w"], base["b.w"])  # not in the steps: unchanged
    for name, log2 in (("a.w", -8), ("a.b", -6)):
        multiples = (out[name] - base[name].astype(np.float64)) * 2.0**-log2
        np.testing.assert_array_equal(multiples, np.round(multiples))  # whole steps, exactly
        assert np.abs(out[name] - adapted[name]).max() <= 2.0**log2 / 2 + 1e-9


def test_changes_beyond_the_range_are_clipped(base):
    adapted = dict(base, **{"b.w": base["b.w"] + 10.0})
    out = weight_delta.apply(base, weight_delta.encode(base, adapted, {"b.w": -8}))
    np.testing.assert_allclose(out["b.w"] - base["b.w"], weight_delta.MAX_MULTIPLE * 2.0**-8)


def test_unchanged_tensors_cost_a_few_bytes(base):
    big = {"w": np.zeros(6000, np.float32)}
    assert len(weight_delta.encode(big, big, {})) < 40


@pytest.mark.parametrize("log2", [weight_delta.MIN_LOG2_STEP - 1, weight_delta.MAX_LOG2_STEP + 1])
def test_a_step_out_of_range_is_not_written(base, log2):
    with pytest.raises(ValueError, match="outside"):
        weight_delta.encode(base, base, {"a.w": log2})


def _payload(base, steps: bytes, multiples: bytes) -> bytes:
    return steps + zlib.compress(multiples)


@pytest.mark.parametrize("make, message", [
    (lambda n, t: b"\x00" * (n - 1), "shorter"),
    (lambda n, t: bytes([0x80] * n) + zlib.compress(bytes(t)), "step out of range"),
    (lambda n, t: b"\xf8" * n + b"not zlib at all", "does not inflate"),
    (lambda n, t: b"\xf8" * n + zlib.compress(bytes(t - 1)), "does not match"),
    (lambda n, t: b"\xf8" * n + zlib.compress(bytes(t + 1)), "does not match"),
    (lambda n, t: b"\xf8" * n + zlib.compress(bytes(t)) + b"extra", "does not match"),
    (lambda n, t: b"\xf8" * n + zlib.compress(bytes(10**7)), "does not match"),  # inflates no further than the model's size
    (lambda n, t: b"\xf8" * n + zlib.compress(bytes([0x80]) * t), "multiple out of range"),
])
def test_a_payload_that_is_not_a_delta_is_refused(base, make, message):
    total = sum(v.size for v in base.values())
    with pytest.raises(ValueError, match=message):
        weight_delta.apply(base, make(len(base), total))
