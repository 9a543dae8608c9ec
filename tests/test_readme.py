"""README.md and docs/: the result tables are generated from the JSON in results/, never
typed in; every relative link resolves; the commands and Python snippets they show work."""

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import click
import invcodec
import numpy as np
import pytest
from PIL import Image

from invcodec.registry import DEFAULT_MODEL
from invcodec_benchmarks import readme

ROOT = Path(__file__).resolve().parents[1]  # the checkout (not the installed package)
RESULTS = ROOT / "results"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CARDS = sorted((ROOT / "invcodec" / "weights").rglob("*.md"))


def _fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def _copy_docs(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / "docs").mkdir()
    for path in (ROOT / "docs").glob("*.md"):
        shutil.copy(path, tmp_path / "docs" / path.name)
    return tmp_path


def test_tables_match_the_results_json() -> None:
    assert readme.main(["--check", "--root", str(ROOT), "--results", str(RESULTS)]) == 0


def test_check_fails_when_a_table_drifts_and_the_rewrite_restores_it(tmp_path, capsys) -> None:
    root = _copy_docs(tmp_path)
    results_md = root / "docs" / "RESULTS.md"
    original = results_md.read_text()
    assert "| invcodec (photo-v4) | 2.945 |" in original  # the Kodak row, as generated
    results_md.write_text(original.replace("| invcodec (photo-v4) | 2.945 |", "| invcodec (photo-v4) | 2.845 |"))
    assert readme.main(["--check", "--root", str(root), "--results", str(RESULTS)]) == 1
    assert "docs/RESULTS.md" in capsys.readouterr().err
    assert readme.main(["--root", str(root), "--results", str(RESULTS)]) == 0
    assert results_md.read_text() == original


def test_check_fails_when_a_json_changes(tmp_path) -> None:
    root = _copy_docs(tmp_path)
    results = tmp_path / "results"
    shutil.copytree(RESULTS, results, ignore=shutil.ignore_patterns("*.png"))
    report = json.loads((results / "hostile.json").read_text())
    report["counts"]["traceback"] += 1
    (results / "hostile.json").write_text(json.dumps(report))
    assert readme.main(["--check", "--root", str(root), "--results", str(results)]) == 1


@pytest.mark.parametrize("name", sorted(readme.HOMES))
def test_each_block_lives_in_its_home_only(tmp_path, name, capsys) -> None:
    root = _copy_docs(tmp_path)
    home = root / readme.HOMES[name]
    text = home.read_text()
    block = re.search(rf"<!-- generated:{name} -->\n.*?<!-- /generated:{name} -->\n", text, re.S).group(0)
    home.write_text(text.replace(block, ""))  # moved out: missing from its home ...
    assert readme.main(["--check", "--root", str(root), "--results", str(RESULTS)]) == 1
    assert f"no <!-- generated:{name} --> block" in capsys.readouterr().err
    other = root / ("docs/RELIABILITY.md" if readme.HOMES[name] != "docs/RELIABILITY.md" else "README.md")
    home.write_text(text)
    other.write_text(other.read_text() + "\n" + block)  # ... or copied into another file
    assert readme.main(["--check", "--root", str(root), "--results", str(RESULTS)]) == 1
    assert f"block {name} belongs in {readme.HOMES[name]}" in capsys.readouterr().err


def test_headline_is_read_from_the_kodak_runs() -> None:
    """The lossless row from the default model's latest run at every effort beside the
    baselines: the smallest effort's figures in bold, the default effort's beside them."""
    runs = {name: json.loads((RESULTS / folder / "results.json").read_text())
            for name, folder in (("lossless", "kodak-lossless-efforts"), ("rd", "kodak-rd"), ("restore", "kodak-restore"))}
    headline = readme.blocks(RESULTS)["headline"]
    best = runs["lossless"]["codecs"][f"invcodec ({DEFAULT_MODEL}, effort 9)"]["mean"]
    default = runs["lossless"]["codecs"][f"invcodec ({DEFAULT_MODEL})"]["mean"]
    assert (f"**{best['bpsp']:.3f}** ({DEFAULT_MODEL}, effort 9); {default['bpsp']:.3f} ({DEFAULT_MODEL}, default effort)"
            in headline)
    assert f"{best['encode_s']:.2f} / {best['decode_s']:.2f}; {default['encode_s']:.2f} / {default['decode_s']:.2f}" in headline
    jxl = runs["lossless"]["codecs"]["JPEG-XL lossless (effort 7)"]["mean"]["bpsp"]
    assert f"JPEG-XL e7 {jxl:.3f}" in headline
    avif = runs["rd"]["bd_rate"]["tests"]["invcodec (photo-lossy-v7)"]["AVIF"]["psnr"]
    vtm = runs["rd"]["published"]["vs"]["VTM"]["invcodec (photo-lossy-v7)"]["psnr"]
    assert f"vs AVIF {avif:+.1f} %" in headline and f"vs VTM {vtm:+.1f} %" in headline
    bm3d = [s["psnr"] for s in runs["restore"]["summary"] if s["task"] == "denoise" and s["method"] == "BM3D"]
    assert "BM3D " + " / ".join(f"{v:.2f}" for v in bm3d) in headline


def test_generated_blocks_replace_only_their_markers() -> None:
    text = "intro\n<!-- generated:bpd -->\nold\n<!-- /generated:bpd -->\noutro\n"
    out = readme.render(text, {"bpd": "new\n", "rd": "ignored\n"})
    assert out == "intro\n<!-- generated:bpd -->\nnew\n<!-- /generated:bpd -->\noutro\n"


def test_blocks_read_reports_before_and_after_the_torch_free_runtime(tmp_path) -> None:
    """results/ keeps reports that record torch threads; new ones record BLAS and coding threads."""
    for name in ("kodak-lossless", "kodak-rd"):
        (tmp_path / name).mkdir()
        report = json.loads((RESULTS / name / "results.json").read_text())
        machine = report["machine"]
        if "torch_threads" not in machine:  # a report of today, written back in 0.1.0's schema
            report["machine"] = {k: v for k, v in machine.items() if k not in ("blas", "coding_threads")} | {"torch_threads": 1}
        (tmp_path / name / "results.json").write_text(json.dumps(report))
    old = readme.blocks(tmp_path)
    assert "torch threads: 1)" in old["lossless"] and "x 1 thread)" in old["rd"]
    for name, settings in (("kodak-lossless", {}), ("kodak-rd", {"threads_per_job": 2})):
        path = tmp_path / name / "results.json"
        report = json.loads(path.read_text())
        del report["machine"]["torch_threads"]
        report["machine"] |= {"blas": [{"internal_api": "openblas", "num_threads": 2}], "coding_threads": 2}
        report.setdefault("settings", {}).update(settings)
        path.write_text(json.dumps(report))
    new = readme.blocks(tmp_path)
    assert "threads: 2)" in new["lossless"] and "torch" not in new["lossless"] and "x 2 threads)" in new["rd"]
    assert new["lossless"].splitlines()[2:] == old["lossless"].splitlines()[2:]  # the table itself is unchanged


def test_readme_opens_with_the_setup_that_ci_runs() -> None:
    """.ci/run executes the README's first sh block: it must stay the install and the test command."""
    first = _fenced((ROOT / "README.md").read_text(), "sh")[0]
    commands = [line.split("#")[0].strip() for line in first.splitlines()]
    assert commands == ['pip install -e ".[test]"', "python -m pytest -q"]


def _anchors(markdown: str) -> Iterator[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        yield slug if seen[slug] == 0 else f"{slug}-{seen[slug]}"


def _relative_links(markdown: str) -> list[str]:
    prose = re.sub(r"`[^`]*`", "", re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M))
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", prose) if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("path", DOCS + CARDS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for link in _relative_links(path.read_text()):
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            broken.append(link)
        elif anchor and file.suffix == ".md" and anchor not in set(_anchors(file.read_text())):
            broken.append(link)
    assert not broken, f"{path.name}: {broken}"


def test_link_checker_sees_broken_links_and_anchors() -> None:
    text = "# Top\n\n[a](README.md) [b](missing.md) [c](#top) [d](#nowhere) `[e](no.md)` [f](https://x.org/y)\n"
    assert _relative_links(text) == ["README.md", "missing.md", "#top", "#nowhere"]
    assert set(_anchors("# Lossless, Kodak (24 images, 768×512)\n## A\n## A\n")) == {
        "lossless-kodak-24-images-768512", "a", "a-1"}


def _invocations(markdown: str) -> Iterator[tuple[str, list[str]]]:
    """Each `invcodec ...` command in the sh blocks, as its arguments."""
    for block in _fenced(markdown, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split, lexer.commenters = True, "#"
            words: list[str] = []
            for token in [*lexer, ";"]:
                if set(token) <= set("();<>|&"):
                    while words and re.fullmatch(r"\w+=\S*", words[0]):  # OMP_NUM_THREADS=1 ...
                        words.pop(0)
                    if words and words[0] == "invcodec":
                        yield line, words[1:]
                    words = []
                else:
                    words.append(token)


def _unknown(command: click.Command, words: list[str]) -> list[str]:
    """What the command would not take: an unknown subcommand, benchmark or option."""
    while isinstance(command, click.Group):
        if not words or words[0] not in command.commands:
            return words[:1] or ["(no subcommand)"]
        command, words = command.commands[words[0]], words[1:]
    if command.context_settings.get("ignore_unknown_options"):  # bench, train: their options belong to another parser
        choices = [p.type.choices for p in command.params if isinstance(p, click.Argument) and isinstance(p.type, click.Choice)]
        return [w for w in words[:1] if choices and w not in choices[0] and w not in ("-h", "--help")]
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    flags = (w.strip("[]").split("=")[0] for w in words)
    return [f for f in flags if f.startswith("-") and f != "-" and f not in options]


def test_documented_invcodec_commands_exist() -> None:
    app = next(e for e in entry_points(group="console_scripts") if e.name == "invcodec").load()
    seen, wrong = 0, []
    for path in DOCS:
        for line, words in _invocations(path.read_text()):
            seen += 1
            if _unknown(app, words):
                wrong.append(f"{path.name}: {line.strip()} ({_unknown(app, words)})")
    assert seen > 40 and not wrong, wrong
    assert _unknown(app, ["compress", "a.png", "--no-such-flag"]) == ["--no-such-flag"]
    assert _unknown(app, ["bench", "no-such-benchmark"]) == ["no-such-benchmark"]
    assert _unknown(app, ["no-such-command"]) == ["no-such-command"]


def test_python_snippets_run(tmp_path, monkeypatch) -> None:
    """The README's and docs' Python examples, run on small images named as they name them."""
    rng = np.random.default_rng(0)
    photo = np.clip(np.add.outer(np.arange(48), np.arange(64))[..., None] * [2, 1, 3] + rng.integers(0, 8, (48, 64, 3)),
                    0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(photo).save(tmp_path / "photo.jpg", quality=30)
    Image.fromarray(np.clip(photo + rng.normal(0, 25, photo.shape), 0, 255).astype(np.uint8)).save(tmp_path / "noisy.png")
    holes = np.zeros(photo.shape[:2], np.uint8)
    holes[10:20, 20:30] = 255
    Image.fromarray(holes).save(tmp_path / "holes.png")
    (tmp_path / "photo.inv").write_bytes(invcodec.compress(Image.fromarray(photo)))
    monkeypatch.chdir(tmp_path)
    snippets = [(path.name, code) for path in DOCS for code in _fenced(path.read_text(), "python")]
    assert {"README.md", "RESTORE.md"} <= {name for name, _ in snippets}
    for name, code in snippets:
        scope: dict = {}
        exec(compile(code, name, "exec"), scope)  # noqa: S102 - our own documentation
        assert scope.get("image") is not None or scope.get("out") is not None, name
