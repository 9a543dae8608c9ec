import json

import pytest

from invcodec import model_file, spec
from invcodec.architectures import ARCHITECTURES, parse_spec
from invcodec.registry import shipped_models


@pytest.mark.parametrize("name", sorted(shipped_models()))
def test_every_shipped_config_reads_and_writes_back_exactly(name: str) -> None:
    """The spec's JSON is hashed into the model id: what a spec writes must be the very
    text the file holds, or a re-export would change every file's model id."""
    meta, _ = model_file.read(shipped_models()[name])
    parsed = parse_spec(meta["config"])
    assert parsed.to_json() == meta["config"]
    assert type(parsed) is ARCHITECTURES[json.loads(meta["config"]).get("architecture", "lifting")].spec


def test_fields_added_after_the_first_release_are_left_out_at_their_default() -> None:
    assert json.loads(spec.LiftingSpec().to_json()) == {
        "coupling_blocks": 1, "coupling_hidden": 32, "head_hidden": 32, "levels": 4, "prior_blocks": 2,
        "prior_features": 32, "prior_hidden": 64, "top_hidden": 16}
    assert json.loads(spec.LiftingSpec(checkerboard=True, numeric="int8").to_json())["checkerboard"] is True
    assert json.loads(spec.AutoregressiveSpec(hidden=64).to_json()) == {
        "architecture": "autoregressive", "hidden": 64, "numeric": "fixed-point-float64"}
    assert json.loads(spec.AutoregressiveSpec(hidden=64, online="lms").to_json())["online"] == "lms"


@pytest.mark.parametrize("text, message", [
    ("not json", "not JSON"),
    ("[1]", "not a JSON object"),
    ('{"architecture": "transformer"}', "unknown model architecture 'transformer'"),
    ('{"levels": 3, "wings": 2}', "fields this release does not know: wings"),
    ('{"architecture": "autoregressive", "levels": 3}', "autoregressive model config has fields .* levels"),
    ('{"levels": 0}', "'levels' is 0, outside 1..8"),
    ('{"levels": 9}', "outside 1..8"),
    ('{"levels": "4"}', "'levels' must be int"),
    ('{"checkerboard": 1}', "'checkerboard' must be bool"),
    ('{"levels": true}', "'levels' must be int"),
    ('{"numeric": "int4"}', "'numeric' is 'int4', not one of fixed64, int8"),
    ('{"architecture": "autoregressive", "numeric": "int8"}', "not one of fixed-point-float64"),
    ('{"architecture": "autoregressive", "online": "rls"}', "'online' is 'rls', not one of none, lms"),
])
def test_a_config_this_release_cannot_use_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(spec.ConfigError, match=message) as caught:
        parse_spec(text)
    assert "\n" not in str(caught.value)


def test_the_anchor_order_puts_the_levels_position_first() -> None:
    assert spec.anchor_order(0) == list(range(12))
    assert spec.anchor_order(1)[:3] == [3, 4, 5] and sorted(spec.anchor_order(3)) == list(range(12))
