"""invcodec's integer kernels, compiled from this folder's C files at install (setup.py).

``ArNet``: an autoregressive model's plane nets (``runtime.autoregressive``) with integer
weights; ``ArNet.plane_params`` gives a whole plane's priors (the encoder),
``ArNet.decoder`` a tile's decoding state, filled a schedule step at a time or, off an
``AnsDecoder`` (an ANS stream decoded exactly as constriction decodes it), all at once
(``run``). Every size,
type and range is checked at this boundary; the loops run without the GIL, so tiles decode
in parallel threads. docs/NATIVE.md says why C and how to check it under sanitizers."""

try:
    from ._kernel import AnsDecoder, ArNet, Int8Conv
except ImportError as error:  # a source checkout that was never built
    raise ImportError("invcodec's native kernel is not built: install the package (pip install .), which needs a C compiler") from error

__all__ = ["AnsDecoder", "ArNet", "Int8Conv"]
