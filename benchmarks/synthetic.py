"""Non-photographic content: invcodec lossless vs PNG (optimize), WebP lossless and
JPEG-XL on a synthetic set made here from a seed.

    invcodec bench synthetic --out results/synthetic-lossless.json [--photos ../shared/data/kodak] [--keep DIR]

The set: text screenshots, a code editor, UI mock-ups, charts, a flat colour, gradients,
pixel art (palette), a 1-bit scan, an RGBA icon, a grey dialog, and letterboxed photos
(from --photos if given, else a synthetic texture). Every codec gets the image in its
own mode, as a user's file would have it (the scan stays 1-bit for PNG, the pixel art a
palette); sizes are whole files; every invcodec file is decoded and checked exact. The
report says on how many images invcodec is larger than PNG, and its size against
WebP-lossless's two ways: the mean of the per-image ratios (each image counts the same:
the issue's measure of "not a disaster on any kind of content") and the ratio of the
total bytes (which the three images holding a photo dominate)."""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import invcodec
from invcodec.registry import DEFAULT_MODEL, get_model

from .report import check_model, emit


def _text_screen(w: int, h: int, lines: int, seed: int, dark: bool = False) -> Image.Image:
    rng = np.random.default_rng(seed)
    bg, fg = ((30, 30, 36), (220, 220, 210)) if dark else ((250, 250, 250), (25, 25, 25))
    image = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w, 18), fill=(45, 70, 140))
    draw.text((6, 4), "invcodec - synthetic window", fill=(255, 255, 255))
    words = ["lossless", "flow", "prior", "tile", "stream", "def", "return", "image", "codec", "0x1f", "{", "}"]
    for i in range(lines):
        text = " ".join(rng.choice(words, rng.integers(3, 9)))
        colour = tuple(int(v) for v in rng.choice([fg, (180, 40, 40), (30, 110, 40), (40, 60, 170)]))
        draw.text((8 + 12 * int(rng.integers(0, 4)), 24 + 12 * i), text, fill=colour)
    return image


def _ui(w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (w, h), (236, 238, 242))
    draw = ImageDraw.Draw(image)
    top = np.linspace(0, 1, w)[None, :, None] * np.array([40, 80, 160]) + np.array([30, 60, 90])
    image.paste(Image.fromarray(np.repeat(top, 40, axis=0).astype(np.uint8)), (0, 0))
    draw.rectangle((0, 40, 150, h), fill=(250, 250, 252), outline=(200, 200, 210))
    for i in range(8):
        draw.text((14, 56 + 26 * i), f"Menu item {i}", fill=(40, 40, 60))
    for i in range(6):
        x, y = 180 + (i % 3) * 140, 70 + (i // 3) * 120
        draw.rounded_rectangle((x, y, x + 120, y + 95), 8, fill=(255, 255, 255), outline=(190, 195, 205))
        colour = tuple(int(v) for v in rng.integers(60, 220, 3))
        draw.ellipse((x + 10, y + 10, x + 40, y + 40), fill=colour)
        draw.text((x + 10, y + 55), f"Card {i}", fill=(30, 30, 30))
        draw.rectangle((x + 10, y + 72, x + 80, y + 86), fill=(70, 120, 220))
    return image


def _chart(w: int, h: int, seed: int, kind: str) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for y in range(40, h - 30, 40):
        draw.line((50, y, w - 20, y), fill=(225, 225, 225))
    draw.line((50, 20, 50, h - 30), fill=(0, 0, 0))
    draw.line((50, h - 30, w - 20, h - 30), fill=(0, 0, 0))
    values = rng.uniform(0.1, 1.0, 12)
    step = (w - 80) / len(values)
    if kind == "bars":
        for i, v in enumerate(values):
            x = 60 + i * step
            draw.rectangle((x, h - 30 - v * (h - 60), x + step * 0.7, h - 31), fill=(66, 133, 244))
    else:
        for series, colour in enumerate([(219, 68, 55), (15, 157, 88), (244, 180, 0)]):
            ys = np.cumsum(rng.normal(0, 12, 60)) + h / 2
            pts = [(55 + i * (w - 80) / 59, float(np.clip(y, 25, h - 35))) for i, y in enumerate(ys)]
            draw.line(pts, fill=colour, width=2)
    for i in range(len(values)):
        draw.text((58 + i * step, h - 24), f"{i + 1}", fill=(60, 60, 60))
    return image


def _gradient(w: int, h: int, radial: bool) -> Image.Image:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    t = np.hypot(xx - w / 2, yy - h / 2) / np.hypot(w / 2, h / 2) if radial else xx / (w - 1)
    rgb = np.stack([255 * t, 80 + 100 * (1 - t), 200 - 150 * t], 2)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _pixel_art(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (8, 3), dtype=np.uint8)
    sprite = rng.integers(0, 8, (16, 16))
    sprite = np.maximum(sprite, sprite[:, ::-1])  # symmetric, like a sprite
    image = Image.fromarray(palette[np.kron(sprite, np.ones((12, 12), int))])
    return image.quantize(colors=8, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def _scan(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for i in range(60):
        draw.text((40, 30 + 12 * i), " ".join(["lorem", "ipsum", "dolor", "sit"][j % 4] for j in range(i % 9 + 3)), fill=0)
    arr = np.asarray(image).copy()
    specks = rng.random(arr.shape) < 0.002
    arr[specks] = 0
    return Image.fromarray(arr).convert("1", dither=Image.Dither.NONE)


def _icon(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 120, 120), fill=tuple(int(v) for v in rng.integers(40, 220, 3)) + (255,))
    draw.rectangle((44, 44, 84, 84), fill=(255, 255, 255, 200))
    return image


def _photo(photos: Path | None, seed: int) -> Image.Image:
    paths = sorted(photos.glob("*.png")) if photos else []
    if paths:
        return Image.open(paths[seed % len(paths)]).convert("RGB")
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (24, 36, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((512, 341), Image.Resampling.BICUBIC)


def _letterboxed(photo: Image.Image, w: int, h: int) -> Image.Image:
    canvas = Image.new("RGB", (w, h), (0, 0, 0))
    photo = photo.copy()
    photo.thumbnail((w, h - 2 * (h // 8)))
    canvas.paste(photo, ((w - photo.width) // 2, (h - photo.height) // 2))
    return canvas


def synthetic_set(photos: Path | None = None) -> dict[str, Image.Image]:
    grey_dialog = _ui(420, 300, 5).convert("L")
    return {
        "text-screenshot-320x200": _text_screen(320, 200, 14, 0),
        "code-editor-dark-800x600": _text_screen(800, 600, 46, 1, dark=True),
        "ui-mockup-640x400": _ui(640, 400, 2),
        "bar-chart-480x320": _chart(480, 320, 3, "bars"),
        "line-chart-480x320": _chart(480, 320, 4, "lines"),
        "flat-colour-256": Image.new("RGB", (256, 256), (52, 101, 164)),
        "gradient-linear-256": _gradient(256, 256, radial=False),
        "gradient-radial-300x200": _gradient(300, 200, radial=True),
        "pixel-art-192-palette": _pixel_art(6),
        "scan-1bit-600x800": _scan(7),
        "icon-rgba-128": _icon(8),
        "dialog-grey-420x300": grey_dialog,
        "letterboxed-photo-640x480": _letterboxed(_photo(photos, 0), 640, 480),
        "letterboxed-photo-1024x576": _letterboxed(_photo(photos, 1), 1024, 576),
        "screenshot-with-photo-800x500": _with_inset(_text_screen(800, 500, 30, 9), _photo(photos, 2)),
    }


def _with_inset(screen: Image.Image, photo: Image.Image) -> Image.Image:
    photo = photo.copy()
    photo.thumbnail((360, 240))
    screen.paste(photo, (screen.width - photo.width - 20, 40))
    return screen


def _size(image: Image.Image, fmt: str, **params) -> int:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return len(buf.getvalue())


def _baselines(image: Image.Image) -> dict[str, int]:
    sizes = {"PNG (optimize)": _size(image, "PNG", optimize=True)}
    webp_source = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA" if "A" in image.mode else "RGB")
    sizes["WebP lossless"] = _size(webp_source, "WEBP", lossless=True, method=6, exact=True)
    try:
        import pillow_jxl  # noqa: F401  (registers JXL with Pillow; the bench extra)

        sizes["JPEG-XL lossless (effort 7)"] = _size(webp_source, "JXL", lossless=True, effort=7)
    except ImportError:
        pass
    return sizes


def run(model: str | None, photos: Path | None, keep: Path | None) -> dict:
    coding = get_model(model)
    images = {}
    for name, image in synthetic_set(photos).items():
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            image.save(keep / f"{name}.png")
        t0 = time.perf_counter()
        data = invcodec.compress(image, coding, threads=1)
        seconds = time.perf_counter() - t0
        back = invcodec.decompress(data, coding, threads=1)
        expected = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else
                                 ("L" if image.mode in ("1", "L") else "RGB"))
        exact = back.size == expected.size and np.array_equal(np.asarray(back), np.asarray(expected))
        sizes = {"invcodec": len(data), **_baselines(image)}
        images[name] = {"mode": image.mode, "size": list(image.size), "bytes": sizes, "exact": exact,
                        "encode_s": round(seconds, 3),
                        "invcodec_over_png": round(sizes["invcodec"] / sizes["PNG (optimize)"], 3)}
    larger = [n for n, r in images.items() if r["bytes"]["invcodec"] > r["bytes"]["PNG (optimize)"]]
    totals = {codec: sum(r["bytes"][codec] for r in images.values()) for codec in next(iter(images.values()))["bytes"]}
    ratio_webp = float(np.mean([r["bytes"]["invcodec"] / r["bytes"]["WebP lossless"] for r in images.values()]))
    return {"model": coding.name, "photos": str(photos) if photos else "synthetic texture", "images": images,
            "summary": {"images": len(images), "all_exact": all(r["exact"] for r in images.values()),
                        "larger_than_png": larger, "total_bytes": totals,
                        "mean_size_vs_webp_lossless": round(ratio_webp, 3),
                        "total_bytes_vs_webp_lossless": round(totals["invcodec"] / totals["WebP lossless"], 3)}}


def markdown(report: dict) -> str:
    codecs = list(report["summary"]["total_bytes"])
    lines = ["| image | mode | " + " | ".join(codecs) + " |", "|---|---|" + "---:|" * len(codecs)]
    for name, r in report["images"].items():
        best = min(r["bytes"].values())
        cells = [f"**{r['bytes'][c]}**" if r["bytes"][c] == best else str(r["bytes"][c]) for c in codecs]
        lines.append(f"| {name} | {r['mode']} | " + " | ".join(cells) + " |")
    lines.append("| total | | " + " | ".join(str(report["summary"]["total_bytes"][c]) for c in codecs) + " |")
    s = report["summary"]
    lines += ["", f"invcodec ({report['model']}) larger than PNG on {len(s['larger_than_png'])} of {s['images']} images"
              f"{': ' + ', '.join(s['larger_than_png']) if s['larger_than_png'] else ''}; size against WebP-lossless's: "
              f"{s['mean_size_vs_webp_lossless']:.2f}× on average over the images, {s['total_bytes_vs_webp_lossless']:.2f}× "
              f"in total bytes; every decode exact: {'yes' if s['all_exact'] else 'NO'}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench synthetic", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name or file [default: %(default)s]")
    p.add_argument("--photos", type=Path, default=None, help="folder of PNG photos for the letterboxed images")
    p.add_argument("--keep", type=Path, default=None, help="also write the set as PNG files here")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    report = run(args.model, args.photos, args.keep)
    emit("synthetic", {**report, "markdown": markdown(report)}, args.out, coding_threads=1)
    print(markdown(report))
    return 0 if report["summary"]["all_exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
