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


def test_sampling_the_autoregressive_model_loads_no_torch(tmp_path) -> None:
    import subprocess
    import sys

    code = ("import sys; from invcodec_cli.main import main; "
            f"sys.argv = ['invcodec', 'sample', '-m', 'photo-v4', '-n', '1', '--size', '16', '-o', r'{tmp_path / 's.png'}']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == "False", r.stderr
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
