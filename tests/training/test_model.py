import dataclasses

import pytest
import torch

from invcodec import spec
from invcodec.training.model import IntegerFlowModel

from ..fixtures.make_models import TINY_CONFIG, TINY_INT8_CONFIG


@pytest.mark.parametrize("config", [TINY_CONFIG, TINY_INT8_CONFIG], ids=["fixed64", "int8"])
def test_the_torch_modules_are_named_as_the_spec_says_the_runtime_reads_them(config) -> None:
    """The runtime finds its tensors by the spec's names; the torch model makes them."""
    names = IntegerFlowModel(config).state_dict().keys()
    for level in range(config.levels):
        for prefix in (spec.predict_net(level), spec.update_net(level), spec.level_prior(level)):
            assert any(n.startswith(prefix + ".") for n in names), prefix
    for colour in range(spec.COLOURS):
        assert any(n.startswith(spec.top_head(colour) + ".") for n in names)


def test_the_torch_model_refuses_specs_it_does_not_build() -> None:
    with pytest.raises(ValueError, match="trained apart"):
        IntegerFlowModel(dataclasses.replace(TINY_CONFIG, top_autoregressive=True))
    with pytest.raises(ValueError, match="not an autoregressive one"):
        IntegerFlowModel(spec.AutoregressiveSpec())


def test_the_levels_permutation_is_the_spec_anchor_order() -> None:
    model = IntegerFlowModel(TINY_CONFIG)
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    squeezed = model.levels[1].flow[0](x)
    assert torch.equal(model.levels[1].flow[1](squeezed), squeezed[:, spec.anchor_order(1)])
