"""Package exports match their public names, and every config default loads without input."""

from __future__ import annotations

import importlib

import pytest

from shopstream.show.config import ShowMachineryConfig


@pytest.mark.parametrize("name", ["shopstream.outbox", "shopstream.replies", "shopstream.show"])
def test_all_lists_only_real_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported)
    public = {n for n in vars(module) if not n.startswith("_") and n != "annotations"}
    submodules = {n for n in public if type(getattr(module, n)).__name__ == "module"}
    assert public - submodules == exported


def test_defaults_need_no_settings_and_reject_unknown_keys() -> None:
    config = ShowMachineryConfig()
    assert config.outbox.max_attempts >= 1
    assert config.templates.override_dir is None
    with pytest.raises(ValueError):
        ShowMachineryConfig.model_validate({"outbox": {"max_atempts": 3}})
    with pytest.raises(ValueError):
        config.model_validate({"cooldowns": {"claim_burst": 0}})
