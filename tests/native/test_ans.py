"""The native ANS decoder (``invcodec.native.AnsDecoder``) decodes every stream exactly as
constriction 0.5's ``AnsCoder.decode`` under ``QuantizedLaplace(-4096, 4095)`` does, the
coder the encoder writes with and the reference here: the same symbols and the same
emptiness after every chunk, for streams constriction encoded (chunks of any length, means
anywhere on the 1/16 grid, every scale of the grid, symbols from the model and from its far
tails) and for arbitrary words (any quantile: the leaky tails, past the end of the data).
About 2.3 million symbols compared with constriction a run."""

from __future__ import annotations

import threading

import constriction
import numpy as np
import pytest

from invcodec import native
from invcodec.entropy import ans, grid

FAMILY = ans.FAMILY


def _payload(words: np.ndarray) -> bytes:
    return np.asarray(words, dtype="<u4").tobytes()


def _native(payload: bytes, chunks: list[tuple[np.ndarray, np.ndarray]],
            cache: bool = True) -> tuple[list[np.ndarray], list[bool]]:
    """Each chunk's symbols, and whether the coder is empty after it."""
    coder = native.AnsDecoder(payload, grid.SCALES, cache=cache)
    symbols, empty = [], []
    for mean, index in chunks:
        out = np.empty(mean.size)
        coder.decode(mean, index, out)
        symbols.append(out)
        empty.append(coder.exhausted())
    return symbols, empty


def _constriction(payload: bytes, chunks: list[tuple[np.ndarray, np.ndarray]]) -> tuple[list[np.ndarray], list[bool]]:
    coder = constriction.stream.stack.AnsCoder(np.frombuffer(payload, dtype="<u4").astype(np.uint32))
    symbols, empty = [], []
    for mean, index in chunks:
        symbols.append(coder.decode(FAMILY, mean, grid.SCALES[index]).astype(np.float64))
        empty.append(coder.is_empty())
    return symbols, empty


def _assert_same(payload: bytes, chunks: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """The native decoder, with its cache of cumulatives and without, against constriction."""
    theirs, their_empty = _constriction(payload, chunks)
    uncached, uncached_empty = _native(payload, chunks, cache=False)
    assert all(np.array_equal(a, b) for a, b in zip(uncached, theirs)) and uncached_empty == their_empty
    mine, mine_empty = _native(payload, chunks)
    for k, (a, b) in enumerate(zip(mine, theirs)):
        if not np.array_equal(a, b):
            i = int(np.argmax(a != b))
            mean, index = chunks[k][0][i], chunks[k][1][i]
            raise AssertionError(f"chunk {k} symbol {i}: {a[i]} != constriction's {b[i]} (mean {mean}, scale index {index})")
    assert mine_empty == their_empty
    return mine


def _means(rng: np.random.Generator, n: int) -> np.ndarray:
    """Means on the 1/16 grid: near 0, anywhere in the support, at and past its ends; a few
    off the grid (the decoder's cache does not hold them)."""
    kind = rng.integers(0, 4, n)
    near = rng.integers(-64, 65, n)
    anywhere = rng.integers(ans.SYMBOL_MIN * 16, ans.SYMBOL_MAX * 16 + 1, n)
    ends = np.where(rng.random(n) < 0.5, ans.SYMBOL_MIN * 16, ans.SYMBOL_MAX * 16) + rng.integers(-40, 41, n)
    beyond = rng.integers(-5000 * 16, 5000 * 16, n)
    off = rng.random(n) < 0.02
    return np.where(off, rng.uniform(-64, 64, n), np.choose(kind, [near, anywhere, ends, beyond]) / 16.0)


def _symbols(rng: np.random.Generator, mean: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Mostly drawn from the model; some from its far tails, the support's ends among them."""
    drawn = np.round(rng.laplace(mean, grid.SCALES[index]))
    tail = rng.integers(ans.SYMBOL_MIN, ans.SYMBOL_MAX + 1, mean.size)
    ends = np.where(rng.random(mean.size) < 0.5, ans.SYMBOL_MIN, ans.SYMBOL_MAX)
    kind = rng.random(mean.size)
    symbols = np.where(kind < 0.9, drawn, np.where(kind < 0.97, tail, ends))
    return np.clip(symbols, ans.SYMBOL_MIN, ans.SYMBOL_MAX)


def _encode(chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> bytes:
    encoder = ans.LatentEncoder()
    for symbols, mean, index in chunks:
        encoder.push(symbols, mean, index)
    return encoder.finish()


@pytest.mark.parametrize("seed", range(8))
def test_encoded_streams_decode_as_constriction(seed: int) -> None:
    """Streams as the codec writes them: chunks of 0 to thousands of latents, each with its
    own parameters, decoded in the order pushed; every symbol back, and empty at the end."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        chunks = []
        for _ in range(int(rng.integers(1, 8))):
            n = int(rng.choice([0, 1, 2, 3, int(rng.integers(4, 100)), int(rng.integers(100, 6000))]))
            mean, index = _means(rng, n), rng.integers(0, grid.N_SCALES, n)
            chunks.append((_symbols(rng, mean, index), mean, index))
        payload = _encode(chunks)
        decoded = _assert_same(payload, [(mean, index) for _, mean, index in chunks])
        for (symbols, _, _), got in zip(chunks, decoded):
            assert np.array_equal(got, symbols)
        assert native.AnsDecoder(payload, grid.SCALES).exhausted() == (len(payload) == 0)


def test_every_scale_at_every_kind_of_mean() -> None:
    """Each scale of the grid with means near 0, off the grid's integers, and at the
    support's ends, coding the extreme symbols and the mode."""
    means = np.array([0.0, 0.5, -0.5, 0.0625, -1000.9375, 2047.5, -4096.0, -4095.9375, -4095.5, 4095.0, 4094.5,
                      4095.0625, -4096.0625, 6000.0, -6000.0])
    symbols = np.array([ans.SYMBOL_MIN, ans.SYMBOL_MIN + 1, -1, 0, 1, ans.SYMBOL_MAX - 1, ans.SYMBOL_MAX], dtype=np.float64)
    chunks = []
    for index in range(grid.N_SCALES):
        mean = np.repeat(means, symbols.size + 1)
        sym = np.concatenate([np.append(symbols, np.clip(np.round(m), ans.SYMBOL_MIN, ans.SYMBOL_MAX)) for m in means])
        chunks.append((sym, mean, np.full(mean.size, index)))
    decoded = _assert_same(_encode(chunks), [(mean, index) for _, mean, index in chunks])
    assert all(np.array_equal(got, sym) for (sym, _, _), got in zip(chunks, decoded))


@pytest.mark.parametrize("seed", range(4))
def test_arbitrary_words_decode_as_constriction(seed: int) -> None:
    """Words nobody encoded put every quantile in play (the leaky tails included), and the
    decoder goes on past the end of the data as constriction does."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(20):
        words = rng.integers(0, 2**32, int(rng.integers(1, 3000)), dtype=np.uint64).astype(np.uint32)
        words[-1] = max(int(words[-1]), 1)
        chunks = []
        for _ in range(int(rng.integers(1, 5))):
            n = int(rng.integers(0, 20000))
            chunks.append((_means(rng, n), rng.integers(0, grid.N_SCALES, n)))
        _assert_same(_payload(words), chunks)


def test_truncated_and_damaged_streams_fail_or_decode_as_constriction() -> None:
    """A stream cut short, or with a word changed, decodes to constriction's symbols; the
    codec's decoder (LatentDecoder) stops with ValueError where the coder is empty with
    latents to come."""
    rng = np.random.default_rng(9)
    mean = _means(rng, 3000)
    index = rng.integers(0, grid.N_SCALES, 3000)
    payload = _encode([(_symbols(rng, mean, index), mean, index)])
    words = np.frombuffer(payload, dtype="<u4").copy()
    chunks = [(mean[i:i + 100], index[i:i + 100]) for i in range(0, 3000, 100)]
    cases = [words[:k] for k in (1, 2, 5, words.size // 2, words.size - 1)]
    cases += [words[k:] for k in (1, 3, words.size // 3)]
    for k in rng.integers(0, words.size - 1, 10):
        damaged = words.copy()
        damaged[k] ^= np.uint32(1 << int(rng.integers(0, 32)))
        cases.append(damaged)
    ended = 0
    for case in cases:
        if case.size and case[-1] == 0:
            continue
        _assert_same(_payload(case), chunks)
        decoder = ans.LatentDecoder(_payload(case))
        try:
            for m, i in chunks:
                decoder.pull(m, i)
        except ValueError as error:
            assert "ended before" in str(error)
            ended += 1
    assert ended >= 3  # the shortest cuts run dry


def test_stream_checks() -> None:
    with pytest.raises(ValueError, match="zero word"):
        native.AnsDecoder(_payload([5, 0]), grid.SCALES)
    with pytest.raises(ValueError, match="multiple of 4"):
        native.AnsDecoder(b"\x01\x02\x03", grid.SCALES)
    assert native.AnsDecoder(b"", grid.SCALES).exhausted()
    # an empty coder still decodes (the codec's LatentDecoder refuses to ask it)
    assert _assert_same(b"", [(np.zeros(3), np.array([0, 100, 224]))])[0].tolist() == [ans.SYMBOL_MIN] * 3


def test_arguments_are_checked() -> None:
    coder = native.AnsDecoder(_payload([7, 9, 11]), grid.SCALES)
    out = np.empty(2)
    with pytest.raises(ValueError, match="scale index"):
        coder.decode(np.zeros(2), np.array([0, grid.N_SCALES]), out)
    with pytest.raises(ValueError, match="scale index"):
        coder.decode(np.array([0.0, np.nan]), np.zeros(2, dtype=np.int64), out)
    with pytest.raises(ValueError, match="mean"):
        coder.decode(np.zeros(3), np.zeros(2, dtype=np.int64), out)
    with pytest.raises(ValueError, match="scale_index"):
        coder.decode(np.zeros(2), np.zeros(2, dtype=np.int32), out)
    with pytest.raises(TypeError):
        coder.decode(np.zeros(2), np.zeros(2, dtype=np.int64), b"readonly")
    with pytest.raises(ValueError, match="positive"):
        native.AnsDecoder(b"", np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="scales"):
        native.AnsDecoder(b"", np.zeros(0))
    # nothing was decoded by the refused calls
    assert np.array_equal(_native(_payload([7, 9, 11]), [(np.zeros(2), np.zeros(2, dtype=np.int64))])[0][0],
                          (coder.decode(np.zeros(2), np.zeros(2, dtype=np.int64), out), out)[1])


def test_threads_decode_side_by_side() -> None:
    """The decoder runs without the GIL: streams decoded in parallel threads come out as
    decoded alone."""
    rng = np.random.default_rng(5)
    mean = _means(rng, 200_000)
    index = rng.integers(0, grid.N_SCALES, 200_000)
    payloads = [_encode([(_symbols(rng, mean, index), mean, index)]) for _ in range(3)]
    alone = [_native(p, [(mean, index)])[0][0] for p in payloads]
    results: list[np.ndarray | None] = [None] * 3

    def run(k: int) -> None:
        results[k] = _native(payloads[k], [(mean, index)])[0][0]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None and np.array_equal(r, a) for r, a in zip(results, alone))
