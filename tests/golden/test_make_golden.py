"""The golden generator's table: every set's sources are the images its files were written from."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from .make_golden import GOLDEN, SETS, sources


def test_every_golden_folder_is_a_set_of_the_table() -> None:
    assert {p.parent.name for p in GOLDEN.glob("*/MANIFEST.json")} == set(SETS)


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_table_makes_each_sets_sources_and_nothing_else(name: str) -> None:
    """What ``--check`` rewrites starts from the same inputs: each case's image has the
    source hash its file's manifest entry records (the set's files, no more, no fewer)."""
    made = sources(name)
    entries = json.loads((GOLDEN / name / "MANIFEST.json").read_text())["files"]
    assert sorted(made) == sorted(e["name"] for e in entries)
    for entry in entries:
        assert hashlib.sha256(np.ascontiguousarray(made[entry["name"]]).tobytes()).hexdigest() == entry["source_sha256"], entry["name"]
