"""The shared context: alpha planes are coded in its lossless form."""

from __future__ import annotations

from invcodec.streams.base import StreamContext


def test_the_lossless_context_drops_only_the_lossy_parameters(lossless, lossy) -> None:
    assert lossless.lossless() is lossless
    plain = lossy.lossless()
    assert plain.lossy is None and lossy.lossy is not None
    assert (plain.model, plain.adaptive, plain.classic) == (lossy.model, lossy.adaptive, lossy.classic)
    assert StreamContext(None, None, adaptive=False).classic  # the classic path is allowed unless the encoder says not
