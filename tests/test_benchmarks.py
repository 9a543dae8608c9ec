"""Smoke tests that keep the benchmark scripts from rotting (tiny inputs, seconds), and
the one report schema they share. Every test names its model: the registry's default
may not be shipped yet."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from invcodec_benchmarks import conv_speed, file_hashes, fuzz, import_time, lossless, rd, report, thread_scaling

from .conftest import one_thread, smooth_image, tiny_model_file


def _machine_is_new_schema(machine: dict, threads: int | None) -> None:
    assert "torch_threads" not in machine and machine["coding_threads"] == threads
    assert machine["blas"] and all(lib["internal_api"] and lib["num_threads"] >= 1 for lib in machine["blas"])


def test_lossless_benchmark_on_two_tiny_images(tmp_path) -> None:
    for i in range(2):
        Image.fromarray(smooth_image(24, 32, 3, seed=i)).save(tmp_path / f"{i}.png")
    out = lossless.run(tmp_path, limit=None, models=["photo-v1", "cifar10-v1"], threads=1)
    assert out["images"] == 2 and out["settings"]["models"] == ["photo-v1", "cifar10-v1"] and out["settings"]["threads"] == 1
    assert "invcodec (cifar10-v1)" in out["codecs"]  # several models side by side
    _machine_is_new_schema(out["machine"], 1)
    assert "invcodec (photo-v1)" in out["codecs"] and len(out["codecs"]) >= 4  # and PNG, WebP, JPEG2000
    for name, entry in out["codecs"].items():
        assert entry["all_exact"] and 0 < entry["mean"]["bpsp"] < 8, name
    table = lossless.markdown(out)
    assert "| invcodec (photo-v1) |" in table and "threads: 1)" in table and "torch" not in table
    row = next(line for line in table.splitlines() if line.startswith("| invcodec (photo-v1) |")).split(" | ")
    slowest = [max(r[k] for r in out["codecs"]["invcodec (photo-v1)"]["images"].values()) for k in ("encode_s", "decode_s")]
    assert row[4] == f"{slowest[0]:.2f} / {slowest[1]:.2f}"  # the slowest image beside the means


def test_codec_names_are_the_loaded_models(tmp_path) -> None:
    from invcodec.registry import DEFAULT_LOSSY_MODEL, get_model
    from invcodec_benchmarks.codecs import invcodec_codec, invcodec_lossy_codec

    path = str(tiny_model_file("tiny-lossy", tmp_path))
    assert invcodec_codec(path).name == f"invcodec ({get_model(path).name})" == "invcodec (tiny-lossy)"
    assert invcodec_lossy_codec(None).name == f"invcodec ({DEFAULT_LOSSY_MODEL})"  # the registry's lossy default
    codec = invcodec_lossy_codec(path, [30], threads=2)
    samples = smooth_image(40, 24, 3)
    decoded = codec.decode(codec.encode(samples, 30))
    assert decoded.shape == samples.shape and not np.array_equal(decoded, samples)
    tuned = invcodec_lossy_codec(path, [30], tune="ms-ssim")
    assert tuned.name == "invcodec (tiny-lossy, tune ms-ssim)"
    assert tuned.encode(samples, 30) != codec.encode(samples, 30)  # the tuning reaches the encoder
    assert invcodec_lossy_codec(path, [30], tune="ms-ssim", effort=9).name == "invcodec (tiny-lossy, tune ms-ssim, effort 9)"


def test_markdown_reads_old_and_new_reports() -> None:
    """results/ holds reports from before the torch-free runtime (machine.torch_threads)."""
    assert report.threads_label({"torch_threads": 1}) == "torch threads: 1"
    assert report.threads_label({"coding_threads": 2, "blas": []}) == "threads: 2"
    assert report.threads_label({"coding_threads": None}) == "threads: default"
    entry = {"version": "x", "all_exact": True, "mean": {"bpsp": 3.0, "encode_s": 1.0, "decode_s": 1.0}}
    old = {"images": 1, "folder": "f", "git": "abc", "machine": {"torch_threads": 1}, "codecs": {"c": entry}}
    new = {**old, "machine": {"coding_threads": 2, "blas": []}}
    assert "torch threads: 1)" in lossless.markdown(old) and "threads: 2)" in lossless.markdown(new)
    curve = {k: [1.0] for k in ("bpp", "psnr", "ms_ssim", "encode_s", "decode_s")} | {"quality": [50]}
    rd_old = {"images": 1, "folder": "f", "git": "abc", "settings": {"jobs": 2, "threads_per_job": 1},
              "codecs": {"c": {"curve": curve}}, "bd_rate": {"test": "c", "vs": {}}}
    rd_new = {**rd_old, "settings": {"jobs": 1, "threads_per_job": 2}}
    assert "2 parallel jobs x 1 thread)" in rd.markdown(rd_old) and "1 parallel jobs x 2 threads)" in rd.markdown(rd_new)


def test_rd_report_has_a_bd_table_per_model() -> None:
    """Several models in one run: each gets its BD-rates against every other codec of the
    run; a run saved before that (one ``test``) still renders."""
    curve = {"quality": [1, 2, 3, 4], "bpp": [0.1, 0.2, 0.4, 0.8], "psnr": [28.0, 30.0, 32.0, 34.0],
             "ms_ssim": [0.9, 0.93, 0.96, 0.98], "encode_s": [1.0] * 4, "decode_s": [1.0] * 4}
    cheaper = curve | {"bpp": [0.9 * b for b in curve["bpp"]]}
    report = {"images": 1, "folder": "f", "git": "abc", "settings": {"jobs": 1, "threads_per_job": 1},
              "codecs": {"a": {"curve": cheaper}, "b": {"curve": curve}, "JPEG": {"curve": curve}}}
    report["bd_rate"] = {"tests": {t: {n: rd._bd(report["codecs"][n]["curve"], report["codecs"][t]["curve"])
                                       for n in report["codecs"] if n != t} for t in ("a", "b")}}
    assert rd.bd_tables(report)["a"]["b"]["psnr"] == pytest.approx(-10.0)
    assert rd.bd_tables(report)["b"]["a"]["psnr"] == pytest.approx(100 / 9)
    table = rd.markdown(report)
    assert "BD-rate of a (" in table and "BD-rate of b (" in table and "| JPEG | -10.0 % |" in table
    old = report | {"bd_rate": {"test": "a", "vs": report["bd_rate"]["tests"]["a"]}}
    assert rd.bd_tables(old) == {"a": report["bd_rate"]["tests"]["a"]} and "BD-rate of b (" not in rd.markdown(old)


def test_environment_records_blas_and_threads_without_torch() -> None:
    import subprocess

    code = ("import json, sys; from invcodec_benchmarks.report import environment; "
            "print(json.dumps(environment(3))); assert 'torch' not in sys.modules, 'torch imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)
    _machine_is_new_schema(env["machine"], 3)
    assert env["git"]


def test_fuzz_smoke() -> None:
    out = fuzz.run(cases=40, seed=1, timeout=30.0, model="photo-v1", lossy_model="photo-lossy-v1")
    assert out["cases"] == 40 and out["models"] == {"lossless": "photo-v1", "lossy": "photo-lossy-v1"}
    assert out["crashes"] == out["hangs"] == out["wrong_pixels"] == 0
    assert out["rejected"] > 0 and out["rejected"] + out["decoded_exact"] == 40


def test_fuzz_corpus_holds_the_adaptive_prior_corrections() -> None:
    """One seed has bands large enough for corrections: with its flag cleared it no longer decodes."""
    from invcodec import container
    from invcodec.codec import decompress_samples
    from invcodec.errors import InvalidFileError

    name, pixels, data, model = next(seed for seed in fuzz.seeds("photo-v2", "photo-lossy-v1") if seed[0] == "corrected")
    header, streams = container.unpack(data)
    assert header.adaptive_prior and np.array_equal(decompress_samples(data, model), pixels)
    header.adaptive_prior = False
    with pytest.raises(InvalidFileError):
        decompress_samples(container.pack(header, streams), model)


def test_fuzz_with_a_model_file(tmp_path) -> None:
    """A model that is not shipped is handed to the decoder (it cannot be found by id)."""
    path = str(tiny_model_file("tiny-lossy", tmp_path))
    out = fuzz.run(cases=18, seed=2, timeout=30.0, model=path, lossy_model=path)
    assert out["crashes"] == out["hangs"] == out["wrong_pixels"] == 0 and out["rejected"] > 0


@pytest.mark.torch
def test_bpd_on_a_tiny_npz(tmp_path) -> None:
    from invcodec_benchmarks import bpd

    np.savez(tmp_path / "x.npz", x_test=np.stack([smooth_image(32, 32, 3, seed=i) for i in range(2)]))
    bpd.main(["--model", "photo-v1", "--npz", str(tmp_path / "x.npz"), "--out", str(tmp_path / "r.json")])
    out = json.loads((tmp_path / "r.json").read_text())
    assert out["benchmark"] == "bpd" and out["model"] == "photo-v1" and out["images"] == 2
    assert 0 < out["nll_bpd"] < 8
    # the torch model's NLL and the runtime's real streams are the same model: a small gap
    assert abs(out["stream_gap_percent"]) < 5 and out["header_bpd"] > 0
    assert out["file_bpd"] == pytest.approx(out["adapted_stream_bpd"] + out["header_bpd"], abs=2e-4)
    _machine_is_new_schema(out["machine"], 1)


@pytest.mark.torch
def test_interpolation_benchmark_on_two_pairs(tmp_path) -> None:
    from invcodec_benchmarks import interpolation

    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(smooth_image(40, 48, 3, seed=i)[:, :: 1 if i % 2 else -1]).save(folder / f"{i}.png")
    with one_thread():
        interpolation.main(["--model", "photo-v1", "--folder", str(folder), "--square", "32", "--pairs", "2",
                            "--out", str(tmp_path / "r.json")])
    out = json.loads((tmp_path / "r.json").read_text())
    assert out["benchmark"] == "interpolation" and out["pairs"] == 2 and set(out["spaces"]) == {"prior", "latents"}
    latents, prior = out["spaces"]["latents"], out["spaces"]["prior"]
    assert latents["rms_to_cross_fade"] < prior["rms_to_cross_fade"]  # the linear latent mix is nearly a cross-fade
    assert 0 < out["cross_fade_sharpness_vs_ends"] < 1 and 0 < out["ends_bpd"] < 8
    with pytest.raises(SystemExit, match="fewer than 3 pairs"):
        interpolation.main(["--model", "photo-v1", "--folder", str(folder), "--square", "32", "--pairs", "3"])


def test_unknown_model_is_one_line(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        lossless.main([str(tmp_path), "--model", "no-such-model", "--out", str(tmp_path / "out")])
    assert "unknown model 'no-such-model'" in str(e.value.code) and "\n" not in str(e.value.code)


def test_lossy_tuning_with_no_image_large_enough_is_one_line(tmp_path, capsys) -> None:
    from invcodec_benchmarks import lossy_tuning

    Image.fromarray(smooth_image(40, 48, 3, seed=0)).save(tmp_path / "0.png")
    with pytest.raises(SystemExit) as e:
        lossy_tuning.main([str(tmp_path), "--model", "photo-lossy-v1", "--crop", "64"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("no validation image is at least 64x64") and "Traceback" not in "\n".join(err)


def test_lossy_tuning_on_two_crops(tmp_path) -> None:
    from invcodec_benchmarks import lossy_tuning

    for i in range(2):
        Image.fromarray(smooth_image(40, 48, 3, seed=i)).save(tmp_path / f"{i}.png")
    out_path = tmp_path / "t.json"
    lossy_tuning.main([str(tmp_path), "--model", "photo-lossy-v1", "--crop", "32", "--qualities", "20", "40", "60", "80",
                       "--deadzones", "0", "0.3", "--rdo-weights", "10", "--offsets", "0", "32", "--out", str(out_path)])
    out = json.loads(out_path.read_text())
    assert out["model"] == "photo-lossy-v1" and out["images"] == 2 and len(out["rows"]) == 6
    assert {(r["rdo_weight"], r["deadzone"]) for r in out["rows"]} == {(0.0, 0.0), (0.0, 0.3), (10.0, 0.0)}
    plain = next(r for r in out["rows"] if (r["rdo_weight"], r["deadzone"], r["recon_offset"]) == (0.0, 0.0, 0))
    assert plain["bd_rate_vs_plain"] == pytest.approx(0.0, abs=1e-9)
    assert plain["bpp"] == sorted(plain["bpp"]) and plain["bpp"][0] > 0  # higher quality, more bits
    assert out["best"]["bd_rate_vs_plain"] <= 0


@pytest.mark.torch  # MS-SSIM
def test_lossy_tuning_scores_level_shifts_in_psnr_and_ms_ssim(tmp_path) -> None:
    from invcodec_benchmarks import lossy_tuning

    for i in range(2):  # MS-SSIM's 5 scales need sides above 160 px
        Image.fromarray(smooth_image(176, 176, 3, seed=i)).save(tmp_path / f"{i}.png")
    out_path = tmp_path / "t.json"
    lossy_tuning.main([str(tmp_path), "--model", "photo-lossy-v4", "--crop", "176", "--first", "1", "--qualities", "20",
                       "40", "60", "80", "--level-shifts", "32,8", "--out", str(out_path)])
    out = json.loads(out_path.read_text())
    assert out["images"] == 1 and out["first"] == 1  # the second image only
    none, shifted = out["level_shift_rows"]
    assert (none["level_shifts"], shifted["level_shifts"]) == ([], [32, 8])
    assert none["bd_rate_psnr_vs_none"] == pytest.approx(0.0, abs=1e-9) == none["bd_rate_ms_ssim_vs_none"]
    assert all(a < b for a, b in zip(shifted["bpp"], none["bpp"]))  # coarser finest levels: fewer bits at every quality
    assert all(0 < v <= 1 for v in shifted["ms_ssim"]) and isinstance(shifted["bd_rate_ms_ssim_vs_none"], float)
    with pytest.raises(SystemExit):
        lossy_tuning.main([str(tmp_path), "--level-shifts", "fine"])


@pytest.mark.torch  # MS-SSIM
def test_rd_runs_each_model_with_each_tune(tmp_path) -> None:
    Image.fromarray(smooth_image(168, 176, 3, seed=0)).save(tmp_path / "0.png")
    out = rd.run(tmp_path, limit=None, models=["photo-lossy-v4"], qualities=[40], jobs=1, only_invcodec=True, threads=1,
                 tunes=["psnr", "ms-ssim"])
    names = ["invcodec (photo-lossy-v4)", "invcodec (photo-lossy-v4, tune ms-ssim)"]
    assert list(out["bd_rate"]["tests"]) == names and out["settings"]["tunes"] == ["psnr", "ms-ssim"]
    plain, tuned = (out["codecs"][n]["curve"] for n in names)
    assert tuned["bpp"][0] < plain["bpp"][0] and tuned["psnr"][0] < plain["psnr"][0]


@pytest.mark.torch  # MS-SSIM, and effort 8's latent search
def test_rd_runs_each_model_at_each_effort(tmp_path, monkeypatch) -> None:
    from invcodec.training import latent_search

    monkeypatch.setitem(latent_search.PLANS, 8, latent_search.Plan(2, 0.05))
    (tmp_path / "images").mkdir()
    Image.fromarray(smooth_image(168, 176, 3, seed=0)).save(tmp_path / "images" / "0.png")  # MS-SSIM needs > 160
    path = str(tiny_model_file("tiny-top-ar", tmp_path))
    out = rd.run(tmp_path / "images", limit=None, models=[path], qualities=[40], jobs=1, only_invcodec=True, threads=1,
                 efforts=[7, 8])
    names = ["invcodec (tiny-top-ar)", "invcodec (tiny-top-ar, effort 8)"]
    assert list(out["bd_rate"]["tests"]) == names and out["settings"]["efforts"] == [7, 8]
    assert all(out["codecs"][n]["curve"]["bpp"][0] > 0 for n in names)


@pytest.mark.slow
@pytest.mark.torch  # MS-SSIM
def test_rd_benchmark_on_two_small_images(tmp_path) -> None:
    for i in range(2):  # MS-SSIM's 5 scales need sides above 160 px
        Image.fromarray(smooth_image(168, 176, 3, seed=i)).save(tmp_path / f"{i}.png")
    out = rd.run(tmp_path, limit=None, models=["photo-lossy-v1"], qualities=[10, 40, 70, 95], jobs=1, threads=1)
    assert list(out["bd_rate"]["tests"]) == ["invcodec (photo-lossy-v1)"] and out["settings"]["threads_per_job"] == 1
    _machine_is_new_schema(out["machine"], 1)
    ours = out["codecs"]["invcodec (photo-lossy-v1)"]["curve"]
    assert ours["bpp"] == sorted(ours["bpp"]) and ours["psnr"] == sorted(ours["psnr"])
    for name, entry in out["codecs"].items():
        assert len(entry["images"]) == 2 and all(0 < m <= 1 for m in entry["curve"]["ms_ssim"]), name
    assert set(out["bd_rate"]["tests"]["invcodec (photo-lossy-v1)"]) >= {"JPEG", "WebP", "AVIF", "AVIF 4:4:4 speed 2"}
    assert "BD-rate" in rd.markdown(out) and "1 parallel jobs x 1 thread)" in rd.markdown(out)


def test_rd_rescore_adds_bd_rates_against_published_curves(tmp_path) -> None:
    """A codec whose curve is a published one at 0.8x the rate is -20 % against it (MS-SSIM
    only where the publication has it); --rescore keeps the run's own header."""
    pub = {"bpp": [0.1, 0.2, 0.4, 0.8, 1.6], "psnr": [27.0, 29.5, 32.0, 35.0, 38.5]}
    curve = {"quality": [1, 2, 3, 4, 5], "bpp": [0.8 * b for b in pub["bpp"]], "psnr": pub["psnr"],
             "ms_ssim": [0.9, 0.95, 0.97, 0.98, 0.99], "encode_s": [1.0] * 5, "decode_s": [1.0] * 5}
    saved = {"benchmark": "rd", "folder": "kodak", "images": 24, "git": "abc123", "settings": {"jobs": 2},
             "codecs": {"ours": {"curve": curve}}, "bd_rate": {"test": "ours", "vs": {}}}
    reference = {"curves": {"Pub": pub, "PubSSIM": pub | {"ms_ssim": curve["ms_ssim"]}}}
    (tmp_path / "results.json").write_text(json.dumps(saved))
    (tmp_path / "ref.json").write_text(json.dumps(reference))
    rd.main(["--rescore", str(tmp_path / "results.json"), "--reference", str(tmp_path / "ref.json"), "--out", str(tmp_path / "out")])
    out = json.loads((tmp_path / "out" / "results.json").read_text())
    assert out["git"] == "abc123" and out["published"]["curves"] == reference["curves"]
    assert out["published"]["vs"]["Pub"]["ours"] == {"psnr": pytest.approx(-20.0)}
    assert out["published"]["vs"]["PubSSIM"]["ours"]["ms_ssim"] == pytest.approx(-20.0)
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| vs Pub (PSNR) | vs PubSSIM (PSNR) | vs PubSSIM (MS-SSIM) |" in table and "| ours | -20.0 % | -20.0 % | -20.0 % |" in table
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(SystemExit):
        rd.main(["--rescore", str(tmp_path / "bad.json"), "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):  # neither a folder nor a saved run
        rd.main(["--out", str(tmp_path / "x")])


@pytest.mark.torch
@pytest.mark.usefixtures("single_thread_test")
def test_continuity_power_iteration_finds_the_jacobians_largest_singular_value() -> None:
    """On a small image the dense Jacobians are cheap: power iteration must reach their
    spectral norm from below, for the encoder and for one level of the decoder."""
    import torch

    from invcodec.registry import model_path

    from invcodec.training.weights import load_model
    from invcodec_benchmarks import continuity

    net = load_model(model_path("cifar10-v1")).double()
    side = net.block_size
    image = smooth_image(side, side, 3, seed=4)
    x = torch.from_numpy(image.transpose(2, 0, 1)[None].astype(np.float64))
    flow = continuity._Flow(net, image.shape[:2])
    zs = flow.latents(x)
    decode_level1 = lambda z1: flow.decode([z1 if k == 1 else z for k, z in enumerate(zs)]).flatten()  # noqa: E731
    for f, at in ((flow.encode_flat, x), (decode_level1, zs[1])):
        dense = torch.autograd.functional.jacobian(f, at, vectorize=True, strategy="forward-mode").reshape(-1, at.numel())
        exact = torch.linalg.matrix_norm(dense, ord=2).item()
        sigma, v, _ = flow.spectral_norm(f, at, iterations=60, seed=0)
        assert sigma <= exact * (1 + 1e-9) and sigma == pytest.approx(exact, rel=0.01)
        assert (dense @ v.flatten()).norm().item() == pytest.approx(sigma, rel=1e-6)


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.usefixtures("single_thread_test")
def test_continuity_report_on_given_images(tmp_path) -> None:
    from invcodec_benchmarks import continuity

    images = np.stack([smooth_image(16, 16, 3, seed=i) for i in range(2)])
    m = continuity.measure_model("cifar10-v1", "cifar", None, images, 2, samples=1, iterations=3, probes=2, bpd_images=2)
    assert list(m["sets"]) == ["test images", "samples T=0.7"] and m["sets"]["test images"]["images"] == 2
    assert m["model"] == "cifar10-v1" and m["training"]["jacobian_penalty"] == 0.0  # from the model card
    assert m["bits_per_dim"]["images"] == 2 and 0 < m["bits_per_dim"]["nll"] < 8
    gain = m["sets"]["test images"]["decoder_mean_squared_gain"]
    assert len(gain["per_image"]) == 2 and gain["median"] > m["fixed_lifting"]["decoder_mean_squared_gain"]["median"]
    q = m["sets"]["test images"]["quantities"]
    assert list(q)[0] == "encoder" and list(q)[-1] == "decoder top" and len(q) == 1 + net_levels("cifar10-v1") + 1
    for key, entry in q.items():
        assert 0 < entry["relaxed"]["median"] <= entry["relaxed"]["max"] < 1e4, key
        assert entry["integer_unit"]["max"] > 0, key  # a step of one moves something: the map is injective
    fixed = m["fixed_lifting"]["quantities"]  # the Haar-like lifting alone: a different map, same shape of report
    assert list(fixed) == list(q) and fixed["decoder level 0"]["relaxed"]["max"] != q["decoder level 0"]["relaxed"]["max"]
    report = {"git": "x", "settings": {"iterations": 3, "probes": 2}, "models": [m]}
    table = continuity.markdown(report)
    assert "| cifar10-v1 | test images (2) | decoder top |" in table
    assert "| cifar10-v1 | fixed lifting only, test images (2) | decoder top |" in table
    assert f"| cifar10-v1 | 0 | {m['bits_per_dim']['nll']:.3f} (2) |" in table  # the with / without summary
    regularised = {**m, "model": "cifar10-v1-jac0.1", "training": {**m["training"], "jacobian_penalty": 0.1}}
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({**report, "models": [m, regularised]}))
    continuity.main(["--replot", str(saved), "--out", str(tmp_path / "again")])
    again = (tmp_path / "again" / "results.md").read_text()
    assert "| cifar10-v1-jac0.1 | 0.1 |" in again and json.loads((tmp_path / "again" / "results.json").read_text())["models"][1] == regularised
    if continuity.pyplot() is not None:
        assert (tmp_path / "again" / "tradeoff.png").stat().st_size > 0
    saved.write_text("{}")
    with pytest.raises(SystemExit):
        continuity.main(["--replot", str(saved), "--out", str(tmp_path / "bad")])
    with pytest.raises(SystemExit):
        continuity.main(["--out", str(tmp_path / "bad")])


@pytest.fixture
def single_thread_test():
    with one_thread():  # tiny torch work: threads only wait on each other on a busy machine
        yield


def net_levels(name: str) -> int:
    from invcodec.registry import model_path
    from invcodec.training.weights import load_model

    return load_model(model_path(name)).level_count


@pytest.mark.torch
def test_conv_speed_agrees_with_torch_on_a_small_image(tmp_path) -> None:
    rows = conv_speed.measure(width=24, height=16, repeats=1)
    expected = [(name, 24 * 16 * cin * cout * k * k, d) for name, cin, cout, k in conv_speed.LAYERS for d in conv_speed.DTYPES]
    assert [(r["layer"], r["macs"], r["dtype"]) for r in rows] == expected
    for r in rows:
        assert r["numpy_gmac_s"] > 0 and r["torch_gmac_s"] > 0
        assert r["same_as_torch"], r  # the runtime's exact conv gives torch's numbers on exact inputs
    out = tmp_path / "c.json"
    assert conv_speed.main(["--size", "24x16", "--repeats", "1", "--no-torch", "--out", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["benchmark"] == "conv_speed" and saved["torch"] is None and (saved["width"], saved["height"]) == (24, 16)
    assert all("torch_s" not in r for r in saved["rows"])


def test_importtime_output_is_parsed() -> None:
    stderr = ("import time: self [us] | cumulative | imported package\n"
              "import time:       120 |        120 |   torch._C\n"
              "import time:        50 |        170 | torch\n"
              "import time:        10 |         10 | torchvision_like_name\n"
              "some other line\n")
    names = import_time.imported_modules(stderr)
    assert names == ["torch._C", "torch", "torchvision_like_name"]
    assert [n for n in names if import_time.is_torch(n)] == ["torch._C", "torch"]


@pytest.mark.slow
@pytest.mark.torch  # it finds torch where a command loads it
def test_startup_benchmark(tmp_path) -> None:
    out = tmp_path / "s.json"
    status = import_time.main(["--model", "photo-v1", "--repeats", "1", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert status == 0 and saved["benchmark"] == "startup" and saved["round_trip_exact"]
    assert saved["claims"]["no_torch"] and all(a["status"] == 0 for a in saved["after_command"].values())
    for name, c in saved["commands"].items():
        assert c["wall_s"] > 0 and c["modules_imported"] > 0 and c["torch_in_importtime"] == [], name
    # both checks find torch where it is: a command that needs it, a plain import
    Image.fromarray(smooth_image(32, 32, 3)).save(tmp_path / "a.png")
    assert "torch" in import_time.modules_after(["score", str(tmp_path / "a.png"), "-m", "photo-v1"])["torch_modules"]
    assert "torch" in import_time.timed([sys.executable, "-c", "import torch"], 1)["torch_in_importtime"]


def test_cli_roundtrip_benchmark(tmp_path, monkeypatch, capsys) -> None:
    from invcodec_benchmarks import cli_roundtrip

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    Image.fromarray(smooth_image(20, 28, 3)).save(tmp_path / "a.png")
    assert cli_roundtrip.main([str(tmp_path), "--model", "photo-v1", "--threads", "1"]) == 0
    assert "1/1 images round-tripped bit-exact" in capsys.readouterr().out


def test_hostile_suite_has_every_kind_and_over_a_thousand_cases() -> None:
    from invcodec_benchmarks.hostile_inputs import all_cases

    cases = all_cases()
    assert len(cases) >= 1000 and len({c.name for c in cases}) == len(cases)
    assert {c.kind for c in cases} == {"mode", "png-depth", "colour-key", "icc", "exif", "frames", "huge", "truncated",
                                       "mutated", "garbage", "clobber", "stdio", "signal", "crafted"}


_FAKE_CLI = '''
import shutil, sys
from pathlib import Path
args = [a for a in sys.argv[1:] if a not in ("-t", "1", "-f")]
behaviour = Path("{behaviour}").read_text()
if behaviour == "traceback":
    print("Traceback (most recent call last):\\n  boom", file=sys.stderr); sys.exit(1)
if args[0] == "compress":
    if behaviour == "clobber":
        for p in Path(".").iterdir():
            if p.is_file(): p.write_bytes(b"x")
    if behaviour == "partial":
        Path("out.inv").write_bytes(b"half"); print("invcodec: error: in.png: failed", file=sys.stderr); sys.exit(1)
    shutil.copy(args[1], args[args.index("-o") + 1] if "-o" in args else Path(args[1]).with_suffix(".inv"))
else:  # decompress: a black image of the input's size ("silent loss")
    from PIL import Image
    Image.new("RGB", Image.open(args[1]).size).save(args[args.index("-o") + 1], "PNG")
'''


@pytest.mark.parametrize("behaviour, verdict", [("silent", "silent_loss"), ("traceback", "traceback"),
                                                ("clobber", "clobbered"), ("partial", "partial")])
def test_hostile_judge_catches_each_defect(tmp_path, monkeypatch, behaviour, verdict) -> None:
    # The judge itself must be able to fail: a fake command with each defect is caught.
    from invcodec_benchmarks import hostile
    from invcodec_benchmarks.hostile_inputs import Case

    (tmp_path / "behaviour").write_text(behaviour)
    fake = tmp_path / "fake_cli.py"
    fake.write_text(_FAKE_CLI.format(behaviour=tmp_path / "behaviour"))
    monkeypatch.setattr(hostile, "_command", lambda: [sys.executable, str(fake)])
    buf = __import__("io").BytesIO()
    Image.fromarray(smooth_image(6, 5, 3)).save(buf, "PNG")
    files = {"in.png": buf.getvalue()} | ({"keep.txt": b"precious"} if behaviour == "clobber" else {})
    case = Case("t/" + behaviour, "mode", files, ["in.png", "-o", "out.inv"])
    result = hostile.judge(case, tmp_path / "cases", timeout=60, memory=4 << 30)
    assert result["verdict"] == verdict, result


_FAKE_BATCH = '''
import signal, subprocess, sys, time
from pathlib import Path
behaviour = sys.argv[1]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
Path("out/a.inv").write_bytes(b"done")
if behaviour == "half-written":
    Path("out/.b.inv.tmp").write_bytes(b"half")
if behaviour == "late":  # a worker the parent leaves behind
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2); open('out/c.inv', 'wb').write(b'late')"],
                     start_new_session=True)
print("in/a.png -> out/a.inv: done", flush=True)
time.sleep(60)
'''


@pytest.mark.parametrize("behaviour, verdict", [("stop", "stopped"), ("half-written", "partial"), ("late", "late")])
def test_hostile_judge_of_a_signal_catches_a_partial_or_late_file(tmp_path, monkeypatch, behaviour, verdict) -> None:
    import signal

    from invcodec_benchmarks import hostile
    from invcodec_benchmarks.hostile_inputs import Case

    fake = tmp_path / "fake_batch.py"
    fake.write_text(_FAKE_BATCH)
    monkeypatch.setattr(hostile, "_command", lambda: [sys.executable, str(fake), behaviour])
    case = Case("t/" + behaviour, "signal", {}, ["in", "-o", "out", "-j", "2"], setup=lambda d: (d / "out").mkdir(),
                output=None, outputs=("out/a.inv", "out/b.inv", "out/c.inv"), signal=signal.SIGTERM)
    result = hostile.judge(case, tmp_path / "cases", timeout=60, memory=4 << 30)
    assert result["verdict"] == verdict, result


def test_hostile_judge_counts_a_command_over_its_budget(tmp_path, monkeypatch) -> None:
    from invcodec_benchmarks import hostile
    from invcodec_benchmarks.hostile_inputs import Case

    monkeypatch.setattr(hostile, "_command", lambda: [sys.executable, "-c", "sum(range(10**6)); print('streams: 2 ')"])
    case = Case("t/budget", "crafted", {}, ["in.inv"], output=None, command="info", check=lambda d, out: None)
    assert hostile.judge(case, tmp_path / "ok", timeout=60, memory=4 << 30)["verdict"] == "exact"
    case.budget = (0.0, 1e6)  # no CPU time at all
    assert hostile.judge(case, tmp_path / "over", timeout=60, memory=4 << 30)["verdict"] == "over_budget"


@pytest.mark.slow
def test_hostile_suite_sample_has_no_defects(tmp_path) -> None:
    out = tmp_path / "hostile.json"
    # in a process of its own, as `invcodec bench hostile` runs: a command's peak RSS (wait4's
    # ru_maxrss) starts at what its parent held when it forked, and pytest's process is big
    status = subprocess.run([sys.executable, "-m", "invcodec_benchmarks.hostile", "--cases", "60", "--out", str(out),
                             "--timeout", "60"], stdout=subprocess.DEVNULL).returncode
    report_ = json.loads(out.read_text())
    counts = report_["counts"]
    assert status == 0 and counts["cases"] == 60, report_["defects"]
    assert counts["exact"] > 0 and counts["refused"] > 0 and counts["exact"] + counts["refused"] + counts["stopped"] == 60


def _restore_bench_on_one_image(tmp_path, h: int, w: int, seed: int, *args: str) -> tuple[dict, Path]:
    """``invcodec bench restore`` with ``args`` on a folder of one smooth image: (its report, its output folder)."""
    from invcodec_benchmarks import restore as restore_bench

    folder = tmp_path / "img"
    folder.mkdir()
    Image.fromarray(smooth_image(h, w, seed=seed)).save(folder / "a.png")
    out = tmp_path / "out"
    assert restore_bench.main([str(folder), *args, "--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text()), out


@pytest.mark.skipif(importlib.util.find_spec("cv2") is None, reason="needs the baselines (pip install .[restore-baselines])")
def test_restore_benchmark_on_one_small_image(tmp_path) -> None:
    report, out = _restore_bench_on_one_image(tmp_path, 64, 80, 7)
    methods = {(s["task"], s["level"], s["method"]) for s in report["summary"]}
    for sigma in (15, 25, 50):
        assert {("denoise", sigma, m) for m in ("degraded input", "invcodec", "BM3D", "NL-means")} <= methods
    assert {("denoise", 25, "invcodec --passes 32"), ("denoise", 50, "invcodec --passes 8"),
            ("jpeg", 10, "invcodec --passes 8")} <= methods
    assert {("jpeg", 10, "degraded input"), ("jpeg", 30, "invcodec"), ("inpaint", 10, "OpenCV Telea"),
            ("inpaint", 10, "OpenCV Navier-Stokes")} <= methods
    score = {(s["task"], s["level"], s["method"]): s for s in report["summary"]}
    assert score["denoise", 50, "invcodec"]["psnr"] > score["denoise", 50, "degraded input"]["psnr"] + 3
    assert 0.05 < score["inpaint", 10, "invcodec"]["missing"] < 0.25
    assert len(report["verdicts"]) == 8 and all(isinstance(v["met"], bool) for v in report["verdicts"].values())
    assert report["parameters"]["denoise"] > 0 and report["machine"]["coding_threads"] == 1
    assert Image.open(out / "crops.png").size[0] > 4 * 64
    assert "BM3D" in (out / "results.md").read_text() and not list(out.glob("*.jpg"))


def test_restore_verdicts_are_the_v2_bars() -> None:
    from invcodec_benchmarks import restore as restore_bench

    def row(task, level, method, psnr, **extra):
        return {"task": task, "level": level, "method": method, "psnr": psnr, **extra}

    summary = [row("denoise", 15, "invcodec", 34.0), row("denoise", 15, "BM3D", 34.2),
               row("denoise", 50, "invcodec", 28.0), row("denoise", 50, "BM3D", 27.3),
               row("jpeg", 10, "degraded input", 26.0), row("jpeg", 10, "invcodec", 27.49),
               row("jpeg", 10, "invcodec --passes 8", 27.5),
               row("inpaint", 10, "invcodec", 30.0, psnr_hole=21.0), row("inpaint", 10, "OpenCV Telea", 30.0, psnr_hole=20.5)]
    met = {name: v["met"] for name, v in restore_bench.verdicts(summary).items()}
    assert met == {"denoise sigma 15: invcodec >= BM3D": False, "denoise sigma 50: invcodec >= BM3D": True,
                   "jpeg q10: invcodec >= plain decoding + 1.5 dB": False,
                   "jpeg q10: invcodec --passes 8 >= plain decoding + 1.5 dB": True,
                   "inpaint: hole PSNR invcodec >= Telea": True}


@pytest.mark.skipif(importlib.util.find_spec("skimage") is None, reason="SSIM needs scikit-image (pip install .[restore-baselines])")
def test_restore_benchmark_cbsd68_table_runs_only_the_one_pass_at_the_asked_sigmas(tmp_path) -> None:
    from invcodec_benchmarks import restore as restore_bench

    report, out = _restore_bench_on_one_image(tmp_path, 48, 64, 8, "--tasks", "denoise", "--sigmas", "30", "50",
                                              "--one-pass", "--no-baselines")
    assert {(s["level"], s["method"]) for s in report["summary"]} == {(30, "degraded input"), (30, "invcodec"),
                                                                     (50, "degraded input"), (50, "invcodec")}
    assert report["verdicts"] == {} and report["levels"] == {"denoise": [30, 50]}
    ours = next(s for s in report["summary"] if (s["level"], s["method"]) == (30, "invcodec"))
    table = (out / "results.md").read_text()
    assert f"| invcodec, one pass (this run) | {report['parameters']['denoise']:,} | {ours['psnr']:.2f} |" in table
    assert "| DRUNet (published) | 32 M | 30.81 | 28.51 | |" in table
    with pytest.raises(SystemExit):
        restore_bench.main([str(tmp_path / "img"), "--tasks", "denoise", "--sigmas", "0", "--out", str(out)])


def test_rd_reports_the_slowest_image_and_the_codings_over_the_runtime_bar() -> None:
    timing = lambda enc, dec: {"encode_s": enc, "decode_s": dec}  # noqa: E731
    entry = {"images": {"a.png": {"10": timing(1.2, 0.9), "50": timing(1.6, 1.0)},
                        "b.png": {"10": timing(1.1, 1.7), "50": timing(2.1, 1.4)}}}
    assert rd.per_image_speed(entry) == {"codings": 4, "slowest_encode": 2.1, "slowest_decode": 1.7,
                                         "encodes_over_bar": 2, "decodes_over_bar": 1}


def _folder(tmp_path, count: int, size: int):
    for i in range(count):
        Image.fromarray(smooth_image(size, size, seed=i)).save(tmp_path / f"im{i}.png")
    return tmp_path


def test_file_hashes_compare_what_two_runs_write(tmp_path, capsys) -> None:
    (tmp_path / "images").mkdir()
    folder = _folder(tmp_path / "images", 2, 40)
    out = tmp_path / "h.json"
    assert file_hashes.main([str(folder), "--qualities", "30", "--out", str(out)]) == 0
    hashes = json.loads(out.read_text())["hashes"]
    assert set(hashes) == {"im0.png", "im1.png"} and set(hashes["im0.png"]) == {"lossless", "q30"}
    assert file_hashes.main([str(folder), "--qualities", "30", "--compare", str(out)]) == 0
    assert "4 files compared: 0 differ" in capsys.readouterr().out
    report = json.loads(out.read_text())
    report["hashes"]["im1.png"]["q30"][0] = "0" * 64  # another version's file
    out.write_text(json.dumps(report))
    assert file_hashes.main([str(folder), "--qualities", "30", "--compare", str(out)]) == 1
    assert "1 differ, 0 images missing (im1.png q30)" in capsys.readouterr().out


def test_thread_scaling_decodes_a_four_tile_mosaic_exactly(tmp_path, capsys) -> None:
    (tmp_path / "images").mkdir()
    folder = _folder(tmp_path / "images", 4, 512)
    assert thread_scaling.four_tiles(folder).shape == (1024, 1024, 3)
    out = tmp_path / "t.json"
    assert thread_scaling.main([str(folder), "--model", "photo-v4", "--repeats", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["best_seconds"]) == {"1", "2"} and report["speedup"] > 0
    assert np.isfinite(report["speedup"])


def test_lossless_benchmark_names_each_effort(tmp_path) -> None:
    Image.fromarray(smooth_image(24, 32, 3, seed=3)).save(tmp_path / "a.png")
    out = lossless.run(tmp_path, limit=None, models=["photo-v4"], only_invcodec=True, efforts=[7, 6])
    assert set(out["codecs"]) == {"invcodec (photo-v4)", "invcodec (photo-v4, effort 6)"}
    assert out["settings"]["efforts"] == [7, 6] and all(e["all_exact"] for e in out["codecs"].values())


@pytest.mark.torch
def test_adaptation_benchmark_on_two_tiny_images(tmp_path) -> None:
    from invcodec_benchmarks import adaptation

    for i in range(2):
        Image.fromarray(smooth_image(24, 32, 3, seed=i)).save(tmp_path / f"{i}.png")
    out = adaptation.run(tmp_path, 2, ["head"], [5], [-8, -6], "photo-v4")
    assert out["images"] == 2 and [c["log2_step"] for c in out["choices"]] != [] and len(out["choices"]) == 2
    totals = [c["total_bpsp"] for c in out["choices"]]
    assert totals == sorted(totals) and out["plain_bpsp"] > 0
    for c in out["choices"]:
        assert abs(c["model_bpsp"] + c["delta_bpsp"] - c["total_bpsp"]) < 2e-4 and c["delta_bpsp"] > 0


@pytest.mark.slow
def test_thread_scaling_restores_four_tiles_with_the_same_pixels_on_1_and_2_threads(tmp_path, monkeypatch) -> None:
    from invcodec import restore

    (tmp_path / "images").mkdir()
    folder = _folder(tmp_path / "images", 4, 512)
    seen = []
    denoise = restore.denoise
    monkeypatch.setattr(restore, "denoise", lambda *a, **k: seen.append(k["threads"]) or denoise(*a, **k))
    out = tmp_path / "t.json"
    assert thread_scaling.main([str(folder), "--restore", "--repeats", "1", "--out", str(out)]) == 0  # same pixels
    report = json.loads(out.read_text())
    assert report["task"] == "restore denoise" and seen == [1, 2] and report["image"].startswith("2048x2048")


@pytest.mark.skipif(importlib.util.find_spec("cv2") is None, reason="needs the baselines (pip install .[restore-baselines])")
def test_16_bit_benchmark_codes_every_image_exactly_and_reports_png_as_the_bar(tmp_path) -> None:
    from invcodec_benchmarks import sixteen_bit

    grey = (smooth_image(24, 20, 1).astype(np.uint16) << 4) | 9
    rgba = smooth_image(16, 12, 4).astype(np.uint16) * 257
    report = sixteen_bit.run("photo-v1", None, {"grey": (grey, "12-bit grey"), "rgba": (rgba, "16-bit RGBA")})
    assert report["summary"]["all_exact"] and set(report["images"]) == {"grey", "rgba"}
    sizes = report["images"]["rgba"]["bytes"]
    assert sizes["JPEG-XL lossless"] is None and all(sizes[c] > 0 for c in ("invcodec", "PNG (optimize)", "TIFF-deflate"))
    assert "| grey | 12-bit grey | 12 |" in sixteen_bit.markdown(report)


def test_reduced_decode_benchmark_on_two_small_images(tmp_path) -> None:
    from invcodec_benchmarks import reduced_decode

    for i in range(2):
        Image.fromarray(smooth_image(64, 96, seed=i)).save(tmp_path / f"im{i}.png")
    out = tmp_path / "r.json"
    assert reduced_decode.main([str(tmp_path), "--repeats", "1", "--lossless-models", "photo-v3",
                                "--lossless-images", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [r["scales"]["1/4"]["size"] for r in report["images"]] == [[16, 24]] * 2
    assert all(r["scales"][s]["psnr_vs_full_reduced"] > 25 for r in report["images"] for s in ("1/2", "1/4", "1/8"))
    assert len(report["lossless_coarse_psnr"]["photo-v3"]["1/4"]) == 1
    assert "| 1/4 |" in out.with_suffix(".md").read_text()


@pytest.mark.slow
def test_distributed_resume_benchmark_on_forty_files(tmp_path) -> None:
    pytest.importorskip("distributed")
    from invcodec_benchmarks import distributed_resume

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(smooth_image(256, 256, seed=1)).save(photos / "a.png")
    out = tmp_path / "d.json"  # files big enough that the first run is still going when half are done
    assert distributed_resume.main([str(photos), "--files", "40", "--side", "128", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["passed"] and report["first_run"]["exit"] == 130 and all(report["checks"].values())
