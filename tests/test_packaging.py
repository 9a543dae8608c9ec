"""What ``pip install .`` ships: every package of the source tree (a package left out of
pyproject's list installs without it, and only a codec user's install would notice)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "invcodec").rglob("__init__.py")}
    for name, folder in config["package-dir"].items():
        folders |= {name + "".join("." + part for part in p.parent.relative_to(ROOT / folder).parts)
                    for p in (ROOT / folder).rglob("__init__.py")}
    assert folders == listed
