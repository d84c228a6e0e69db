"""The examples in the serde docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["streamkit.serde", "streamkit.serde.errors", "streamkit.serde.primitive",
           "streamkit.serde.json_serde", "streamkit.serde.avro_serde",
           "streamkit.serde.registry_avro", "streamkit.serde.resolve"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
