"""Batches on a Dask cluster (``invcodec.distributed``), on a local cluster of two worker
processes: the bytes of a local run, the manifest (reruns skip what is done and still
holds, verify leftovers), one line per failed file, and the CLI's --cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from invcodec import distributed
from invcodec.codec import compress_samples, decompress_samples
from invcodec.distributed import MANIFEST_NAME, Manifest, compress_files, decompress_files

from .conftest import smooth_image

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

COUNT = 12


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(COUNT):
        channels = (1, 3, 4)[i % 3]
        samples = smooth_image(16 + i, 24, channels, seed=i)
        Image.fromarray(samples[..., 0] if channels == 1 else samples).save(folder / f"im{i:02d}.png")
    return folder


def _samples(path: Path) -> np.ndarray:
    a = np.asarray(Image.open(path))
    return a[..., None] if a.ndim == 2 else a


def test_a_batch_writes_the_bytes_of_a_local_run_and_records_each_file(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = compress_files([images], out, cluster=client, progress=False)
    assert (report.total, report.coded, report.skipped, report.verified, report.failed) == (COUNT, COUNT, 0, 0, [])
    for path in sorted(images.iterdir()):
        data = (out / (path.stem + ".inv")).read_bytes()
        assert data == compress_samples(_samples(path), threads=1)[0]
        assert np.array_equal(decompress_samples(data), _samples(path))
    lines = [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]
    assert lines[0] == {"invcodec_manifest": 1, "settings": {"command": "compress", "quality": None, "model": None, "tune": "psnr"}}
    records = [r for r in lines if "output" in r]
    assert len(records) == COUNT and {Path(r["output"]).name for r in records} == {p.stem + ".inv" for p in images.iterdir()}

    decoded = tmp_path / "decoded"
    decoded.mkdir()
    report = decompress_files([out], decoded, cluster=client, progress=False)
    assert report.coded == COUNT and not report.failed
    for path in images.iterdir():
        assert np.array_equal(_samples(decoded / (path.stem + ".png")), _samples(path))


def test_a_rerun_skips_what_holds_and_codes_what_changed(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    compress_files([images], out, cluster=client, quality=60, progress=False)
    inodes = {p.name: p.stat().st_ino for p in out.glob("*.inv")}
    again = compress_files([images], out, cluster="no-cluster-is-needed", quality=60, progress=False)
    assert (again.skipped, again.coded) == (COUNT, 0)  # nothing to do: no cluster is even reached
    (out / "im03.inv").write_bytes(b"damaged")
    Image.fromarray(smooth_image(20, 20, seed=99)).save(images / "im05.png")  # an input changed
    third = compress_files([images], out, cluster=client, quality=60, progress=False)
    assert (third.skipped, third.coded, third.verified) == (COUNT - 2, 2, 0)  # the damaged one failed its verify
    assert {p.name for p in out.glob("*.inv") if p.stat().st_ino != inodes[p.name]} == {"im03.inv", "im05.inv"}
    with pytest.raises(ValueError, match="written for other settings"):
        compress_files([images], out, cluster=client, quality=61, progress=False)


def test_a_leftover_of_an_interrupted_run_is_verified_not_coded_again(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    compress_files([images], out, cluster=client, progress=False)
    manifest = out / MANIFEST_NAME
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join(line for line in lines if "im07" not in line or '"owns"' in line) + "\n")
    inode = (out / "im07.inv").stat().st_ino
    report = compress_files([images], out, cluster=client, progress=False)
    assert (report.skipped, report.verified, report.coded) == (COUNT - 1, 1, 0)
    assert (out / "im07.inv").stat().st_ino == inode


def test_each_failed_file_is_one_line_and_the_others_are_done(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (out / "im01.inv").write_bytes(b"someone else's file")
    lines = []
    report = distributed.run(
        lambda i, o, overwrite: distributed._compress_file(i, o, overwrite, None, None, "psnr"),
        [(p, out / (p.stem + ".inv")) for p in sorted(images.iterdir())], client, out / MANIFEST_NAME, {"k": 1},
        progress=False, on_failure=lambda i, line: lines.append(line))
    assert report.coded == COUNT - 1 and len(report.failed) == 2 == len(lines)
    assert all("\n" not in line for line in lines)
    assert any("broken.png" in line for line in lines) and any("im01.inv: exists" in line for line in lines)
    assert (out / "im01.inv").read_bytes() == b"someone else's file"


def test_a_line_torn_by_a_killed_client_is_cut_and_its_file_verified(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    compress_files([images], out, cluster=client, progress=False)
    manifest = out / MANIFEST_NAME
    manifest.write_text(manifest.read_text()[:-40])  # the last record, half written
    report = compress_files([images], out, cluster=client, progress=False)
    assert (report.skipped, report.verified, report.coded) == (COUNT - 1, 1, 0)
    assert all(json.loads(line) for line in manifest.read_text().splitlines())


def test_a_scheduler_address_is_a_cluster_and_an_unreachable_one_is_one_line(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = compress_files([images], out, cluster=client.scheduler.address, progress=False)
    assert report.coded == COUNT and not report.failed
    with pytest.raises(ValueError, match="^cannot reach the Dask scheduler at tcp://127.0.0.1:9: "):
        distributed.connect("tcp://127.0.0.1:9")


def test_a_missing_input_fails_in_one_line(client, images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = compress_files([images / "im00.png", images / "gone.png"], out, cluster=client, progress=False)
    assert report.coded == 1 and [p.name for p, _ in report.failed] == ["gone.png"]
    assert "gone.png" in report.failed[0][1] and "\n" not in report.failed[0][1]


def test_a_manifest_that_is_no_manifest_and_bad_clusters_are_one_line(images, tmp_path) -> None:
    for text in ('{"something": "else"}\n', "not json\n", "[1]\n"):
        (tmp_path / "m.jsonl").write_text(text)
        with pytest.raises(ValueError, match="not an invcodec manifest"):
            Manifest(tmp_path / "m.jsonl", {})
    for cluster in ("local:0", "local:x", "", 3):
        with pytest.raises(ValueError, match="local:"):
            distributed.connect(cluster)
    with pytest.raises(ValueError, match="no such folder"):
        compress_files([images], tmp_path / "missing", cluster="local:1", progress=False)


def test_the_cli_runs_a_batch_on_a_local_cluster_and_resumes(images, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (images / "broken.png").write_bytes(b"not an image")

    def invcodec(*args: str):
        return subprocess.run([sys.executable, "-m", "invcodec_cli.main", *args], capture_output=True, text=True)

    first = invcodec("compress", str(images), "-o", f"{out}/", "--cluster", "local:2", "-q", "50")
    assert first.returncode == 1
    errors = [line for line in first.stderr.splitlines() if line.startswith("invcodec: error:")]
    assert len(errors) == 1 and "broken.png" in errors[0] and "Traceback" not in first.stderr
    assert f"invcodec: {COUNT + 1} files: {COUNT} coded, 0 already done, 0 verified, 1 failed" in first.stderr
    (images / "broken.png").unlink()
    second = invcodec("compress", str(images), "-o", f"{out}/", "--cluster", "local:2", "-q", "50")
    assert second.returncode == 0 and f"{COUNT} files: 0 coded, {COUNT} already done" in second.stderr
    for path in images.iterdir():
        assert (out / (path.stem + ".inv")).read_bytes() == compress_samples(_samples(path), quality=50, threads=1)[0]
    refused = invcodec("compress", str(images), "-o", f"{out}/", "--cluster", "local:2", "-q", "51")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "written for other settings" in refused.stderr
    stdin = invcodec("compress", "-", "--cluster", "local:2")
    assert stdin.returncode == 1 and stdin.stderr.count("\n") == 1 and "--cluster" in stdin.stderr
