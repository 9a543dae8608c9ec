"""``decompress --scale``: the smaller image written, the report line says how it was
made, and a scale not offered is refused before anything is read."""

import numpy as np
import pytest
from PIL import Image

from invcodec.codec import compress_samples, decode_scaled
from invcodec.registry import get_model

from .conftest import smooth_image
from .test_cli import run_in_process


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    samples = smooth_image(48, 72, seed=11)
    (folder / "lossy.inv").write_bytes(compress_samples(samples, get_model("photo-lossy-v7"), quality=40)[0])
    (folder / "lossless.inv").write_bytes(compress_samples(samples, get_model("photo-v4"))[0])
    return folder


@pytest.mark.parametrize("scale, size", [("1/2", (36, 24)), ("1/4", (18, 12)), ("1/8", (9, 6))])
def test_decompress_scale_writes_the_reduced_image_of_the_api(files, tmp_path, scale, size) -> None:
    r = run_in_process("decompress", "--scale", scale, str(files / "lossy.inv"), str(files / "lossless.inv"),
                       "-o", str(tmp_path) + "/")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert f"at {scale} (from its coarse levels)" in lines[0]
    assert f"at {scale} (decoded in full and box-reduced: an autoregressive model" in lines[1]
    for name in ("lossy", "lossless"):
        image = Image.open(tmp_path / f"{name}.png")
        assert image.size == size
        expected = decode_scaled((files / f"{name}.inv").read_bytes(), scale).samples
        assert np.array_equal(np.asarray(image), expected)


@pytest.mark.parametrize("scale", ["1/3", "2", "0.25"])
def test_a_scale_not_offered_is_refused_with_the_choices(files, tmp_path, scale) -> None:
    r = run_in_process("decompress", "--scale", scale, str(files / "lossy.inv"), "-o", str(tmp_path / "x.png"))
    assert r.exit_code == 2
    assert "Error: Invalid value for '--scale'" in r.output and "'1/2', '1/4', '1/8'" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "x.png").exists()
