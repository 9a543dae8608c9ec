"""Regenerate the result tables of README.md and docs/ from the benchmark JSON in results/.

    python -m invcodec_benchmarks.readme            # rewrite the tables in place
    python -m invcodec_benchmarks.readme --check    # exit 1 if a table is out of date, missing or misplaced

Each generated block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``
in the one file that HOMES names for it; everything else in those files is prose and is
left alone."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from . import distributed_resume, lossless, rd, reduced_decode

ROOT = Path(__file__).resolve().parent.parent

HOMES = {  # generated block -> the file (relative to the repository) that holds it
    "headline": "README.md",
    "bpd": "docs/RESULTS.md",
    "lossless": "docs/RESULTS.md",
    "synthetic": "docs/RESULTS.md",
    "16-bit": "docs/RESULTS.md",
    "rd": "docs/RESULTS.md",
    "restore": "docs/RESULTS.md",
    "hostile": "docs/RELIABILITY.md",
    "reduced-decode": "docs/SCALE.md",
    "distributed-resume": "docs/DISTRIBUTED.md",
}
MARKER = re.compile(r"^<!-- generated:([\w-]+) -->$", re.M)

HEADLINE_LOSSLESS = {"JPEG-XL lossless (effort 7)": "JPEG-XL e7", "JPEG-XL lossless (effort 9)": "JPEG-XL e9",
                     "WebP lossless": "WebP", "PNG (optimize)": "PNG"}
HEADLINE_LOSSY = ("AVIF", "JPEG-XL")  # measured in the run; VTM's curve is the published one


def _bpd_table(results: Path) -> str:
    lines = ["| model | data | images | model NLL bpd | streams under the model's prior bpd | gap | "
             "streams with the encoder's corrections bpd | whole .inv files bpd |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for path in sorted(results.glob("*-bpd.json")):
        r = json.loads(path.read_text())
        lines.append(f"| {r['model']} | {r['data']} | {r['images']} | {r['nll_bpd']:.3f} | {r['stream_bpd']:.3f} | "
                     f"{r['stream_gap_percent']:+.2f} % | {r['adapted_stream_bpd']:.3f} | {r['file_bpd']:.3f} |")
    return "\n".join(lines) + "\n"


def _hostile_table(report: dict) -> str:
    from .hostile import DEFECTS, VERDICTS

    c = report["counts"]
    lines = [f"Hostile-input suite, {c['cases']} cases (git {report['git']}, slowest case {report['seconds']['slowest_case']:.1f} s, "
             f"peak memory of any command {report['peak_rss_mb_any_command']:.0f} MB)", "",
             "| kind | cases | exact | refused (one line) | stopped (signal) | defects |", "|---|---:|---:|---:|---:|---:|"]
    for kind, n in sorted(report["by_kind"].items()):
        defects = sum(v for k, v in n.items() if k not in VERDICTS)
        lines.append(f"| {kind} | {sum(n.values())} | {n.get('exact', 0)} | {n.get('refused', 0)} | {n.get('stopped', 0)} "
                     f"| {defects} |")
    lines += ["", "Defects: " + ", ".join(f"{k.replace('_', ' ')} {c.get(k, 0)}" for k in DEFECTS)]
    if report.get("budgeted"):
        lines += ["", "Crafted .inv files, each command's CPU seconds and peak memory against its budget (a command's "
                  "peak counts the suite runner's own high-water mark when it forked: an upper bound; the crafted "
                  "class run alone, above, shows the commands' own):", "",
                  "| case | verdict | CPU s | peak MB | budget s / MB |", "|---|---|---:|---:|---:|"]
        lines += [f"| {r['case']} | {r['verdict']} | {r['cpu_s']:.2f} | {r['peak_rss_mb']:.0f} | "
                  f"{r['budget_cpu_s']:.0f} / {r['budget_mb']:.0f} |" for r in report["budgeted"]]
    return "\n".join(lines) + "\n"


def _headline_table(lossless_run: dict, rd_run: dict, restore_run: dict) -> str:
    """The README's one table: the default models against the codecs and the denoiser people compare with."""
    codecs = lossless_run["codecs"]
    ours = min((n for n in codecs if n.startswith("invcodec")), key=lambda n: codecs[n]["mean"]["bpsp"])
    # the same model at the default effort, when the run also measured a higher one
    default = next((n for n in codecs if n.startswith("invcodec") and "effort" not in n and n != ours
                    and "effort" in ours and n == ours.rsplit(",", 1)[0] + ")"), None)
    model = lambda codec: codec.removeprefix("invcodec (").removesuffix(")")  # noqa: E731
    secs = lambda m: f"{m['encode_s']:.2f} / {m['decode_s']:.2f}"  # noqa: E731
    lossy = next(iter(rd.bd_tables(rd_run)))  # the run's first model: the default for -q
    bd = rd.bd_tables(rd_run)[lossy]
    curve = lambda name: rd_run["codecs"][name]["curve"]  # noqa: E731
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    lossy_secs = lambda name: f"{mean(curve(name)['encode_s']):.2f} / {mean(curve(name)['decode_s']):.3f}"  # noqa: E731
    published = rd_run["published"]["vs"]["VTM"][lossy]["psnr"]
    denoise = {(s["method"], s["level"]): s for s in restore_run["summary"] if s["task"] == "denoise"}
    levels = restore_run["levels"]["denoise"]
    row = lambda method, key, fmt: " / ".join(fmt.format(denoise[method, lv][key]) for lv in levels)  # noqa: E731
    lines = [f"Kodak, {lossless_run['images']} images, one CPU thread "
             f"(git {lossless_run['git']} / {rd_run['git']} / {restore_run['git']})", "",
             "| | invcodec | against |", "|---|---|---|",
             f"| lossless, bits/sub-pixel | **{codecs[ours]['mean']['bpsp']:.3f}** ({model(ours)})"
             + (f"; {codecs[default]['mean']['bpsp']:.3f} ({model(default)}, default effort)" if default else "") + " | "
             + ", ".join(f"{short} {codecs[n]['mean']['bpsp']:.3f}" for n, short in HEADLINE_LOSSLESS.items()) + " |",
             f"| lossless, s per image, encode / decode | {secs(codecs[ours]['mean'])}"
             + (f"; {secs(codecs[default]['mean'])} (default effort)" if default else "") + " | "
             + ", ".join(f"{short} {secs(codecs[n]['mean'])}" for n, short in HEADLINE_LOSSLESS.items()) + " |",
             f"| lossy, BD-rate at equal PSNR (+ = invcodec needs more bits) | {model(lossy)} | "
             + ", ".join(f"vs {n} {bd[n]['psnr']:+.1f} %" for n in HEADLINE_LOSSY)
             + f", vs VTM {published:+.1f} % (its published curve) |",
             f"| lossy, s per image, encode / decode (mean of {len(curve(lossy)['quality'])} qualities) | "
             f"{lossy_secs(lossy)} | " + ", ".join(f"{n} {lossy_secs(n)}" for n in HEADLINE_LOSSY) + " |",
             f"| denoise, one pass, PSNR dB at σ {' / '.join(map(str, levels))} | {row('invcodec', 'psnr', '{:.2f}')} | "
             f"BM3D {row('BM3D', 'psnr', '{:.2f}')} |",
             f"| denoise, s per image at σ {' / '.join(map(str, levels))} | {row('invcodec', 'seconds', '{:.1f}')} | "
             f"BM3D {row('BM3D', 'seconds', '{:.1f}')} |"]
    return "\n".join(lines) + "\n"


def blocks(results: Path) -> dict[str, str]:
    out = {"bpd": _bpd_table(results)}
    if (results / "synthetic-lossless.json").exists():
        report = json.loads((results / "synthetic-lossless.json").read_text())
        out["synthetic"] = f"Synthetic set, {report['summary']['images']} images (git {report['git']}; bytes, whole files)\n\n" \
            + report["markdown"]
    if (results / "16bit-lossless.json").exists():
        report = json.loads((results / "16bit-lossless.json").read_text())
        out["16-bit"] = f"{len(report['images'])} images: pydicom {report['summary']['pydicom_version']}'s 16-bit test " \
            f"files{' and those of ' + report['folder'] if report.get('folder') else ''} (git {report['git']}; bytes, " \
            "whole files)\n\n" + report["markdown"]
    if (results / "hostile.json").exists():
        out["hostile"] = _hostile_table(json.loads((results / "hostile.json").read_text()))
    for name, module in (("reduced-decode", reduced_decode), ("distributed-resume", distributed_resume)):
        if (results / f"{name}.json").exists():
            out[name] = module.table(json.loads((results / f"{name}.json").read_text()))
    runs = {}
    # the headline's lossless row: the default model's latest run beside the baselines, if there is one
    for name, folder in (("restore", "kodak-restore"), ("lossless", "kodak-lossless"), ("rd", "kodak-rd"),
                         ("lossless-default", "kodak-lossless-efforts")):
        path = results / folder / "results.json"
        if path.exists():
            runs[name] = json.loads(path.read_text())
    if "restore" in runs:
        from . import restore

        report = runs["restore"]
        out["restore"] = (f"Kodak, {report['images']} images (git {report['git']}; every method on one thread, "
                          f"{report['workers']} images at a time; {report['machine']['cpus']}-core CPU)\n\n"
                          + restore.markdown(report))
    for name, render_run in (("lossless", lossless.markdown), ("rd", rd.markdown)):
        if name in runs:
            out[name] = render_run(runs[name])
    if {"lossless", "rd", "restore"} <= set(runs):
        out["headline"] = _headline_table(runs.get("lossless-default", runs["lossless"]), runs["rd"], runs["restore"])
    return out


def render(text: str, generated: dict[str, str]) -> str:
    for name, body in generated.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    return text


def misplaced(root: Path) -> list[str]:
    """Blocks that are missing from their home, or that sit in another file of README.md and docs/."""
    problems = [f"{home}: no <!-- generated:{name} --> block" for name, home in HOMES.items()
                if f"<!-- generated:{name} -->" not in (root / home).read_text()]
    for path in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        relative = path.relative_to(root).as_posix()
        problems += [f"{relative}: block {name} belongs in {HOMES.get(name, 'no file (unknown block)')}"
                     for name in MARKER.findall(path.read_text()) if HOMES.get(name) != relative]
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=ROOT, help="the repository: README.md and docs/ [default: this one]")
    p.add_argument("--results", type=Path, default=None, help="the benchmark JSON [default: ROOT/results]")
    p.add_argument("--check", action="store_true", help="only report whether every table is up to date")
    args = p.parse_args(argv)
    problems = misplaced(args.root)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    generated = blocks(args.results or args.root / "results")
    stale = []
    for home in sorted(set(HOMES.values())):
        path = args.root / home
        current = path.read_text()
        updated = render(current, {name: body for name, body in generated.items() if HOMES[name] == home})
        if updated == current:
            continue
        if args.check:
            stale.append(home)
        else:
            path.write_text(updated)
    if stale:
        print(f"out of date: {', '.join(stale)}: run python -m invcodec_benchmarks.readme", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
