"""The README's result tables are generated from the JSON in results/, never typed in."""

import json
from pathlib import Path

from invcodec_benchmarks import readme

REPO = Path(__file__).resolve().parents[1]  # the checkout (not the installed package)
RESULTS = REPO / "results"


def test_readme_tables_match_the_results_json() -> None:
    assert readme.main(["--check", "--readme", str(REPO / "README.md"), "--results", str(RESULTS)]) == 0


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
