"""bench anomaly: its detection measures against hand-computed cases, and a whole run on a
tiny stand-in of the shared data folder."""

import json

import numpy as np
import pytest
from PIL import Image

from invcodec.registry import DEFAULT_MODEL
from invcodec_benchmarks import anomaly

pytest.importorskip("scipy")  # (the AUROC is scipy's Mann-Whitney U: the bench and test extras bring it)

from .conftest import one_thread, smooth_image


def test_auroc_counts_the_pairs_an_outside_score_wins_ties_half() -> None:
    # outside 2 beats inside 1, ties 2, loses to 3: 1.5 of 3; outside 4 beats all three: 3 of 3
    assert anomaly.auroc(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0])) == pytest.approx(4.5 / 6)
    assert anomaly.auroc(np.array([1.0, 2.0]), np.array([3.0, 5.0])) == 1.0
    assert anomaly.auroc(np.array([3.0, 5.0]), np.array([1.0, 2.0])) == 0.0  # the likelihood paradox at its worst


def test_fpr_at_95_tpr_is_the_share_of_inside_scores_at_the_threshold_that_flags_95_percent() -> None:
    outside = np.arange(1.0, 21.0)  # 20 scores: the threshold 2 flags 19 of them (95 %), 3 only 90 %
    assert anomaly.fpr_at_tpr(np.array([0.0, 1.5, 2.0, 3.0]), outside) == 0.5  # 2.0 and 3.0 are flagged
    assert anomaly.fpr_at_tpr(np.array([0.0, 1.0]), outside) == 0.0
    assert anomaly.fpr_at_tpr(np.array([5.0]), np.array([1.0, 9.0])) == 1.0  # with two, 95 % needs both: threshold 1


def _stand_in_data(root):
    """The shared data folder's layout, a few small images in each place the bench reads."""
    faces = root / "celeba" / "img_align_celeba"
    faces.mkdir(parents=True)
    rows = ["filename,split,group"]
    for i in range(4):
        Image.fromarray(smooth_image(218, 178, 3, seed=i)).save(faces / f"{i:06d}.jpg", quality=95)
        rows.append(f"{i:06d}.jpg,{'test' if i < 3 else 'train'},celeb_{i}")
    (root / "celeba" / "split.csv").write_text("\n".join(rows) + "\n")
    (root / "cifar10").mkdir()
    np.savez(root / "cifar10" / "cifar10_partial.npz", x_test=np.stack([smooth_image(32, 32, 3, seed=9 + i) for i in range(3)]))
    (root / "kodak").mkdir()
    for name in ("kodim01", "kodim23"):
        Image.fromarray(smooth_image(512, 768, 3, seed=len(name))).save(root / "kodak" / f"{name}.png")


@pytest.mark.torch
@pytest.mark.slow
def test_a_run_on_a_stand_in_data_folder_writes_the_table_the_histograms_and_the_maps(tmp_path) -> None:
    _stand_in_data(tmp_path / "data")
    references = ["photo-v4", "png"]  # (JPEG-XL's plugin is in the bench extra, not the test one)
    with one_thread():
        assert anomaly.main(["--data", str(tmp_path / "data"), "--count", "3", "--out", str(tmp_path / "out"),
                             *(a for r in references for a in ("--reference", r))]) == 0
    report = json.loads((tmp_path / "out" / "results.json").read_text())
    assert report["benchmark"] == "anomaly" and report["count_per_set"] == 3
    assert [(s["model"], len(s["pairs"])) for s in report["setups"]] == [("faces-v3", 7), ("cifar10-v1", 2)]
    for setup in report["setups"]:
        for pair in setup["pairs"]:
            assert set(pair) == {"outside", "bits_per_dim", *references}
            assert all(0 <= pair[k]["auroc"] <= 1 and 0 <= pair[k]["fpr95"] <= 1 for k in pair if k != "outside")
        for scores in setup["scores"].values():
            assert all(len(v) == 3 for v in scores.values())
    faces = report["setups"][0]
    noise = next(p for p in faces["pairs"] if p["outside"] == "noise")
    assert noise["bits_per_dim"]["auroc"] == 1.0  # noise costs more than any face, to every score
    assert report["faces_bpd"]["images"] == 3 and len(report["faces_bpd"]) == 4  # model, images, two preprocessings
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| faces-v3 | celeba-test | noise | 1.000" in table and "Raw likelihood fails (AUROC < 0.5) on:" in table
    assert "RealNVP (crop [40:188, 15:163], bilinear to 64x64)" in table
    assert Image.open(tmp_path / "out" / "histograms.png").size == (3 * anomaly.PANEL[0] + 10, 9 * anomaly.PANEL[1] + 30)
    assert Image.open(tmp_path / "out" / "surprise-face-patch-faces-v3.png").size == (4 * (3 * 64 + 2 * 2), 4 * 64)
    assert Image.open(tmp_path / "out" / f"surprise-kodim23-{DEFAULT_MODEL}.png").size == (2 * 256 + 2, 256)


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count must be at least 1"),
    (["--data", "NOWHERE"], "no celeba/split.csv here; give the shared data folder with --data"),
])
def test_bad_arguments_are_one_line(args, message, tmp_path) -> None:
    args = [str(tmp_path / "nowhere") if a == "NOWHERE" else a for a in args]
    with pytest.raises(SystemExit, match=message) as e:
        anomaly.main([*args, "--out", str(tmp_path / "out")])
    assert "\n" not in str(e.value.code) and not (tmp_path / "out").exists()
