"""16-bit lossless: invcodec vs PNG (optimize), TIFF-deflate and JPEG-XL on real 16-bit images.

    invcodec bench 16-bit --out results/16bit-lossless.json [--folder DIR_OF_16_BIT_PNG_OR_TIFF]

The set: the 16-bit images among pydicom's test files (installed with pydicom, the bench
extra; MIT-licensed package whose README says the files may be used so; not copied into
this repository): CT, MR and NM slices, and one synthetic 16-bit RGB test pattern. Signed
samples are shifted by their minimum into 0..65535 (the order and every difference kept),
as a 16-bit PNG must hold them. Sizes are whole files; every file is decoded and compared
with its source. PNG: Pillow's optimize for grey, OpenCV's libpng at level 9 for colour
(Pillow cannot hold 16-bit colour). TIFF: tifffile, deflate level 9 with the horizontal
predictor. JPEG-XL: pillow-jxl-plugin, lossless, grey only (it takes Pillow images, and
Pillow has no 16-bit colour mode)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from invcodec import pixels
from invcodec.codec import compress_samples, decompress_samples
from invcodec.registry import DEFAULT_MODEL

from .report import check_model, emit

PYDICOM_FILES = {  # file -> what it is (pydicom/data/test_files)
    "CT_small.dcm": "CT slice 128x128", "MR_small.dcm": "MR slice 64x64", "693_J2KI.dcm": "CT slice 512x512",
    "J2K_pixelrep_mismatch.dcm": "CT slice 512x512", "JPEG2000.dcm": "NM 256x1024", "examples_overlay.dcm": "MR 484x300",
    "SC_rgb_rle_16bit.dcm": "synthetic RGB test pattern 100x100",
}


def pydicom_images() -> dict[str, tuple[np.ndarray, str]]:
    import warnings

    import pydicom

    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    images = {}
    for name, what in PYDICOM_FILES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = pydicom.dcmread(folder / name).pixel_array.astype(np.int64)
        arr = arr - min(0, int(arr.min()))
        images[name] = (arr.astype(np.uint16).reshape(arr.shape[0], arr.shape[1], -1), what)
    return images


def _png(samples: np.ndarray) -> bytes:
    if samples.shape[2] == 1:
        buf = io.BytesIO()
        Image.fromarray(samples[:, :, 0]).save(buf, "PNG", optimize=True)
        return buf.getvalue()
    import cv2

    order = [2, 1, 0, 3][: samples.shape[2]]  # OpenCV's BGR(A)
    ok, data = cv2.imencode(".png", np.ascontiguousarray(samples[:, :, order]), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return data.tobytes()


def _tiff(samples: np.ndarray) -> bytes:
    import tifffile

    buf = io.BytesIO()
    channels = samples.shape[2]
    tifffile.imwrite(buf, samples if channels > 1 else samples[:, :, 0], photometric="rgb" if channels >= 3 else "minisblack",
                     compression="zlib", compressionargs={"level": 9}, predictor=True, metadata=None)
    return buf.getvalue()


def _tiff_read(data: bytes) -> np.ndarray:
    import tifffile

    arr = tifffile.imread(io.BytesIO(data))
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


def _jxl_installed() -> bool:
    try:
        import pillow_jxl  # noqa: F401 - registers JPEG-XL with Pillow
    except ImportError:
        return False
    return True


def _jxl(samples: np.ndarray) -> bytes | None:
    if samples.shape[2] != 1 or not _jxl_installed():
        return None
    buf = io.BytesIO()
    Image.fromarray(samples[:, :, 0]).save(buf, "JXL", lossless=True, effort=7)
    return buf.getvalue()


def _read_back(data: bytes) -> np.ndarray:
    return pixels.intake(io.BytesIO(data), "bench").samples


def codecs(model: str) -> dict[str, tuple[Callable, Callable]]:
    """name -> (encode samples to bytes or None when it cannot, decode bytes to samples)."""
    return {
        "invcodec": (lambda s: compress_samples(s, model, threads=1)[0], lambda d: decompress_samples(d, threads=1)),
        "PNG (optimize)": (_png, _read_back),
        "TIFF-deflate": (_tiff, _tiff_read),
        "JPEG-XL lossless": (_jxl, _read_back),
    }


def run(model: str, folder: Path | None, images: dict[str, tuple[np.ndarray, str]] | None = None) -> dict:
    """Every codec on ``images`` (name -> (samples, what); default: pydicom's) and the folder's."""
    images = pydicom_images() if images is None else dict(images)
    if folder:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".png", ".tif", ".tiff"):
                images[path.name] = (pixels.intake(path, "bench").samples, f"from {folder}")
    rows, exact = {}, True
    for name, (samples, what) in images.items():
        row = {"what": what, "shape": list(samples.shape), "max": int(samples.max()), "bytes": {}}
        for codec, (encode, decode) in codecs(model).items():
            data = encode(samples)
            if data is None:
                row["bytes"][codec] = None
                continue
            back = decode(data)
            exact &= bool(back.shape == samples.shape and np.array_equal(back, samples))
            row["bytes"][codec] = len(data)
        rows[name] = row
    larger = [n for n, r in rows.items() if r["bytes"]["invcodec"] > r["bytes"]["PNG (optimize)"]]
    totals = {c: sum(r["bytes"][c] for r in rows.values()) if all(r["bytes"][c] for r in rows.values()) else None
              for c in codecs(model)}
    return {"model": model, "folder": str(folder) if folder else None, "images": rows, "summary": {"all_exact": exact, "larger_than_png": larger, "total_bytes": totals,
                                                         "pydicom_version": _version("pydicom")}}


def _version(package: str) -> str | None:
    """The installed version of ``package``; None without it (images given by a caller)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def markdown(report: dict) -> str:
    names = list(report["summary"]["total_bytes"])
    lines = ["| image | what | bits | " + " | ".join(names) + " | invcodec / PNG |", "|---|---|---:|" + "---:|" * (len(names) + 1)]
    for name, r in report["images"].items():
        sizes = r["bytes"]
        best = min(v for v in sizes.values() if v)
        cells = ["n/a" if sizes[c] is None else f"**{sizes[c]}**" if sizes[c] == best else str(sizes[c]) for c in names]
        bits = int(r["max"]).bit_length()
        lines.append(f"| {name} | {r['what']} | {bits} | " + " | ".join(cells) +
                     f" | {sizes['invcodec'] / sizes['PNG (optimize)']:.2f} |")
    s = report["summary"]
    lines += ["", f"invcodec ({report['model']}) larger than PNG on {len(s['larger_than_png'])} of {len(report['images'])} "
              f"images; every round trip exact: {'yes' if s['all_exact'] else 'NO'}. Bytes; bits: the largest sample's. "
              f"JPEG-XL n/a: pillow-jxl-plugin takes Pillow images, which have no 16-bit colour mode"
              f"{'' if _jxl_installed() else ' (and it is not installed here)'}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench 16-bit", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name or file [default: %(default)s]")
    p.add_argument("--folder", type=Path, default=None, help="also code the 16-bit PNG and TIFF files of this folder")
    p.add_argument("--out", type=Path, default=None, help="results JSON (the Markdown table beside it, .md)")
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    report = run(args.model, args.folder)
    emit("16-bit", {**report, "markdown": markdown(report)}, args.out, coding_threads=1)
    if args.out:
        args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    return 0 if report["summary"]["all_exact"] and not report["summary"]["larger_than_png"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
