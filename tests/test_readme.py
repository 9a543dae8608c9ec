"""The README's result tables are generated from the JSON in results/, never typed in."""

from invcodec_benchmarks import readme


def test_readme_tables_match_the_results_json() -> None:
    assert readme.main(["--check"]) == 0


def test_generated_blocks_replace_only_their_markers() -> None:
    text = "intro\n<!-- generated:bpd -->\nold\n<!-- /generated:bpd -->\noutro\n"
    out = readme.render(text, {"bpd": "new\n", "rd": "ignored\n"})
    assert out == "intro\n<!-- generated:bpd -->\nnew\n<!-- /generated:bpd -->\noutro\n"
