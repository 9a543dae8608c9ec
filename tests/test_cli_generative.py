"""sample, interpolate and score with every shipped model: each works, or refuses in one
line that names the model and why (lossy models have no density; an autoregressive model
has no latent space to interpolate in)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from invcodec import generative
from invcodec.registry import get_model, shipped_models
from invcodec_cli.main import main

TOOLS = ("sample", "interpolate", "score")


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _refusal(name: str, tool: str) -> str | None:
    model = get_model(name)
    return model.architecture.generative(model.spec).refused.get(tool)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(40), np.arange(48))[..., None] * [2, 1, 3] % 256
    Image.fromarray(ramp.astype(np.uint8)).save(folder / "ramp.png")
    Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(folder / "noise.png")
    return folder


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("name", sorted(shipped_models()))
def test_every_shipped_model_runs_each_tool_or_says_why_not(name: str, tool: str, pictures, tmp_path) -> None:
    reason = _refusal(name, tool)
    if reason is None and get_model(name).architecture.generative(get_model(name).spec).needs_torch:
        pytest.importorskip("torch")
    out = tmp_path / "out.png"
    if tool == "sample":
        r = _run("sample", "-m", name, "-n", "2", "--size", "16", "-t", "0.5", "-o", str(out))
    elif tool == "interpolate":
        r = _run("interpolate", str(pictures / "ramp.png"), str(pictures / "noise.png"), "-m", name, "--steps", "3",
                 "--size", "16", "-o", str(out))
    else:
        r = _run("score", str(pictures), "-m", name, "--size", "16", "--json")
    if reason is not None:
        assert r.exit_code == 1 and not out.exists()
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0] == "invcodec: error: " + reason.format(name=name)
        return
    assert r.exit_code == 0, r.output
    if tool == "score":
        ranked = json.loads(r.stdout)
        assert [x["image"].rsplit("/", 1)[-1] for x in ranked] == ["ramp.png", "noise.png"]  # noise is least typical
    else:
        width = 2 * 16 + 2 if tool == "sample" else 3 * 16 + 2 * 2
        assert Image.open(out).size[0] == width


def test_lossy_models_refuse_every_tool_and_the_autoregressive_one_only_interpolation() -> None:
    refusals = {name: {t for t in TOOLS if _refusal(name, t)} for name in shipped_models()}
    assert refusals["photo-lossy-v7"] == set(TOOLS) and refusals["photo-lossy-v1"] == set(TOOLS)
    assert refusals["photo-v4"] == {"interpolate"}
    assert refusals["photo-v3"] == refusals["faces-v3"] == refusals["cifar10-v1"] == set()


def _loads_torch(*args: str) -> bool:
    """Whether the command ``invcodec ARGS``, run in a fresh interpreter, imports torch."""
    import subprocess
    import sys

    code = ("import sys; from invcodec_cli.main import main; "
            f"sys.argv = ['invcodec', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] in ("True", "False"), r.stderr
    return r.stdout.strip().splitlines()[-1] == "True"


def test_sampling_the_autoregressive_model_loads_no_torch(tmp_path) -> None:
    assert not _loads_torch("sample", "-m", "photo-v4", "-n", "1", "--size", "16", "-o", str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").exists()
    assert generative.image_grid(np.zeros((1, 4, 4, 3), np.uint8)).size == (4, 4)


@pytest.mark.parametrize("args, name, message", [
    (["sample", "-m", "photo-v4", "-n", "1", "-t", "nan"], "s.png", "temperature must be a number in 0..2, not nan"),
    (["sample", "-m", "photo-v4", "-n", "1"], "s.jpg", "s.jpg: the grid is written as PNG"),
    (["interpolate", "RAMP", "RAMP", "-m", "photo-v4"], "i.webp", "i.webp: the grid is written as PNG"),
])
def test_nonsense_is_refused_in_one_line_and_writes_nothing(args, name, message, pictures, tmp_path) -> None:
    args = [str(pictures / "ramp.png") if a == "RAMP" else a for a in args]
    r = _run(*args, "-o", str(tmp_path / name))
    assert r.exit_code == 1 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_huge_seed_is_refused_by_the_option(tmp_path) -> None:
    r = _run("sample", "-m", "photo-v4", "-n", "1", "--seed", str(2**70), "-o", str(tmp_path / "s.png"))
    assert r.exit_code == 2 and "--seed" in r.stderr and not (tmp_path / "s.png").exists()


def test_score_goes_on_past_an_unreadable_image_and_exits_1(pictures, tmp_path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    r = _run("score", str(pictures / "ramp.png"), str(broken), str(pictures / "noise.png"), "-m", "photo-v4", "--json")
    assert r.exit_code == 1
    assert [x["image"].rsplit("/", 1)[-1] for x in json.loads(r.stdout)] == ["ramp.png", "noise.png"]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("invcodec: error: ") and "broken.png" in lines[0]


def test_a_size_the_model_cannot_make_names_the_option(pictures, tmp_path) -> None:
    r = _run("sample", "-m", "cifar10-v1", "-n", "1", "--size", "20", "-o", str(tmp_path / "s.png"))
    assert r.exit_code == 1 and r.stderr.strip() == "invcodec: error: --size 20 must be a multiple of 8 for cifar10-v1"
    r = _run("interpolate", str(pictures / "ramp.png"), str(pictures / "ramp.png"), "-m", "photo-v3", "--size", "24",
             "-o", str(tmp_path / "i.png"))
    assert r.exit_code == 1 and "--size 24 must be a multiple of 16 for photo-v3" in r.stderr
    assert not list(tmp_path.iterdir())


def test_score_with_a_reference_adds_the_corrected_score_and_sorts_by_it(pictures) -> None:
    r = _run("score", str(pictures), "-m", "photo-v4", "--reference", "png", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["reference"] for x in rows] == ["PNG (optimize)"] * 2
    for x in rows:
        assert x["corrected"] == pytest.approx(x["bits_per_dim"] - x["reference_bits_per_dim"], abs=2e-4)
    assert rows[0]["corrected"] <= rows[1]["corrected"]
    text = _run("score", str(pictures / "ramp.png"), "-m", "photo-v4", "--reference", "photo-v4")
    header, line = text.stdout.splitlines()
    assert "ref: photo-v4" in header and line.split()[2] == "0.0000"  # a model corrected by itself: nothing left


def test_score_writes_surprise_maps_the_size_of_the_image(pictures, tmp_path) -> None:
    r = _run("score", str(pictures), "-m", "photo-v4", "--map", str(tmp_path / "maps"), "--json")
    assert r.exit_code == 0, r.output
    rows = {x["image"].rsplit("/", 1)[-1]: x for x in json.loads(r.stdout)}
    noise, ramp = (np.asarray(Image.open(rows[n]["surprise_map"])) for n in ("noise.png", "ramp.png"))
    assert noise.shape == ramp.shape == (40, 48, 3)
    assert noise.mean() > ramp.mean()  # noise costs more: brighter
    again = _run("score", str(pictures / "ramp.png"), "-m", "photo-v4", "--map", str(tmp_path / "maps"))
    assert again.exit_code == 1 and len(again.stderr.strip().splitlines()) == 1 and "--force" in again.stderr
    assert _run("score", str(pictures / "ramp.png"), "-m", "photo-v4", "--map", str(tmp_path / "maps"), "-f").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["--reference", "gzip"], "invcodec: error: --reference: unknown reference 'gzip': png, jpeg-xl, or a lossless model"),
    (["--reference", "photo-lossy-v7"], "invcodec: error: --reference: photo-lossy-v7 is a lossy model"),
    (["-m", "photo-lossy-v7", "--map", "MAPS"], "invcodec: error: photo-lossy-v7 is a lossy model"),
])
def test_score_refuses_a_reference_or_a_map_it_cannot_make_in_one_line(args, message, pictures, tmp_path) -> None:
    args = [str(tmp_path / "maps") if a == "MAPS" else a for a in args]
    r = _run("score", str(pictures / "ramp.png"), *(["-m", "photo-v4"] if "-m" not in args else []), *args)
    assert r.exit_code == 1 and r.stderr.startswith(message) and len(r.stderr.strip().splitlines()) == 1
    assert not r.stdout and not (tmp_path / "maps").exists()


def test_corrected_scores_and_surprise_maps_of_the_autoregressive_model_load_no_torch(pictures, tmp_path) -> None:
    assert not _loads_torch("score", str(pictures / "ramp.png"), "-m", "photo-v4", "--reference", "photo-v4",
                            "--map", str(tmp_path))
    assert (tmp_path / "ramp-surprise.png").exists()
