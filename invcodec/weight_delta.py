"""A tile's adaptation of its model's weights: what an ADAPTED stream stores before its samples.

The encoder fine-tunes the model on the tile (``training.per_image``, higher efforts) and
sends the change of every tensor of the model file as whole multiples of a power-of-two
step, one step per tensor; the decoder adds them to the model's own float32 tensors in
float64 (exact: the sums span far fewer than 53 bits) and builds its evaluator from the
result as it builds any model's, so the adapted weights are as exact as the shipped ones.

Layout: the tensors in the model file's (sorted) order, one signed byte each, the step's
log2; then zlib of one signed byte per weight (the multiples, -127..127), all tensors in
that order. Unchanged tensors cost a few bytes: their multiples are zeros that deflate
to nothing. zlib, not an ANS model of its own: a delta is a few kilobytes at most
beside a tile's hundreds, and deflate is everywhere."""

from __future__ import annotations

import zlib
from typing import Mapping

import numpy as np

MAX_MULTIPLE = 127
# the steps a delta may use: 2**-30 .. 2**-1 (finer changes nothing a fixed-point grid keeps)
MIN_LOG2_STEP, MAX_LOG2_STEP = -30, -1


def encode(base: Mapping[str, np.ndarray], adapted: Mapping[str, np.ndarray], log2_steps: Mapping[str, int]) -> bytes:
    """The delta taking ``base`` to (nearly) ``adapted``, each tensor's change rounded to its
    step (``log2_steps``; a tensor missing there is unchanged) and clipped to MAX_MULTIPLE steps."""
    names = sorted(base)
    header, multiples = bytearray(), []
    for name in names:
        log2 = int(log2_steps.get(name, MAX_LOG2_STEP))
        if not MIN_LOG2_STEP <= log2 <= MAX_LOG2_STEP:
            raise ValueError(f"step 2**{log2} outside 2**{MIN_LOG2_STEP}..2**{MAX_LOG2_STEP}")
        header += log2.to_bytes(1, "little", signed=True)
        change = np.zeros(base[name].size) if name not in log2_steps else \
            (np.asarray(adapted[name], np.float64) - base[name]).reshape(-1) * 2.0**-log2
        multiples.append(np.clip(np.round(change), -MAX_MULTIPLE, MAX_MULTIPLE).astype(np.int8))
    return bytes(header) + zlib.compress(np.concatenate(multiples).tobytes() if multiples else b"", 9)


def apply(base: Mapping[str, np.ndarray], payload: bytes) -> dict[str, np.ndarray]:
    """``base``'s tensors plus the delta ``payload`` (float64); ValueError for a payload that
    is not a delta of these tensors (its size is checked before anything is inflated)."""
    names = sorted(base)
    total = sum(base[n].size for n in names)
    if len(payload) < len(names):
        raise ValueError("weight delta shorter than its header")
    log2 = np.frombuffer(payload[: len(names)], np.int8).astype(np.int64)
    if log2.size and (log2.min() < MIN_LOG2_STEP or log2.max() > MAX_LOG2_STEP):
        raise ValueError("weight delta step out of range")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(payload[len(names):], total + 1)
    except zlib.error:
        raise ValueError("weight delta does not inflate") from None
    if len(raw) != total or not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise ValueError("weight delta does not match the model's tensors")
    multiples = np.frombuffer(raw, np.int8)
    if multiples.size and np.abs(multiples.astype(np.int64)).max() > MAX_MULTIPLE:
        raise ValueError("weight delta multiple out of range")
    out, at = {}, 0
    for name, step in zip(names, log2):
        tensor = base[name]
        out[name] = tensor.astype(np.float64) + multiples[at : at + tensor.size].reshape(tensor.shape) * 2.0**int(step)
        at += tensor.size
    return out
