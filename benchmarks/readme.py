"""Regenerate the README's result tables from the benchmark JSON in results/.

    python -m invcodec_benchmarks.readme            # rewrite README.md in place
    python -m invcodec_benchmarks.readme --check    # exit 1 if README.md is out of date

Each generated block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``;
everything else in the README is prose and is left alone."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from . import lossless, rd

ROOT = Path(__file__).resolve().parent.parent


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
    c = report["counts"]
    lines = [f"Hostile-input suite, {c['cases']} cases (git {report['git']}, slowest case {report['seconds']['slowest_case']:.1f} s, "
             f"peak memory of any command {report['peak_rss_mb_any_command']:.0f} MB)", "",
             "| kind | cases | exact | refused (one line) | defects |", "|---|---:|---:|---:|---:|"]
    for kind, n in sorted(report["by_kind"].items()):
        defects = sum(v for k, v in n.items() if k not in ("exact", "refused"))
        lines.append(f"| {kind} | {sum(n.values())} | {n.get('exact', 0)} | {n.get('refused', 0)} | {defects} |")
    lines += ["", "Defects: " + ", ".join(f"{k.replace('_', ' ')} {c[k]}" for k in
                                          ("traceback", "hang", "silent_loss", "clobbered", "partial", "unclear_error"))]
    return "\n".join(lines) + "\n"


def blocks(results: Path) -> dict[str, str]:
    out = {"bpd": _bpd_table(results)}
    if (results / "synthetic-lossless.json").exists():
        report = json.loads((results / "synthetic-lossless.json").read_text())
        out["synthetic"] = f"Synthetic set, {report['summary']['images']} images (git {report['git']}; bytes, whole files)\n\n" \
            + report["markdown"]
    if (results / "hostile.json").exists():
        out["hostile"] = _hostile_table(json.loads((results / "hostile.json").read_text()))
    restored = results / "kodak-restore" / "results.json"
    if restored.exists():
        from . import restore

        report = json.loads(restored.read_text())
        out["restore"] = (f"Kodak, {report['images']} images (git {report['git']}; every method on one thread, "
                          f"{report['workers']} images at a time; {report['machine']['cpus']}-core CPU)\n\n"
                          + restore.markdown(report))
    for name, folder, render in (("lossless", "kodak-lossless", lossless.markdown), ("rd", "kodak-rd", rd.markdown)):
        path = results / folder / "results.json"
        if path.exists():
            out[name] = render(json.loads(path.read_text()))
    return out


def render(readme: str, generated: dict[str, str]) -> str:
    for name, body in generated.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        readme = pattern.sub(lambda m: m.group(1) + body + m.group(2), readme)
    return readme


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--readme", type=Path, default=ROOT / "README.md")
    p.add_argument("--results", type=Path, default=ROOT / "results")
    p.add_argument("--check", action="store_true", help="only report whether the README is up to date")
    args = p.parse_args(argv)
    current = args.readme.read_text()
    updated = render(current, blocks(args.results))
    if args.check:
        if updated != current:
            print(f"{args.readme} is out of date: run python -m invcodec_benchmarks.readme", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
