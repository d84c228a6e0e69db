"""Every docstring example in ``streamkit`` and ``operators`` runs, so the
examples users read (and the error messages they quote) stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import operators
import streamkit


def modules_with_examples() -> list[str]:
    names = [package.__name__ for package in (streamkit, operators)
             if any(test.examples for test in doctest.DocTestFinder().find(package))]
    for package in (streamkit, operators):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.endswith(".__main__"):
                continue  # runs the CLI when imported
            tests = doctest.DocTestFinder().find(importlib.import_module(info.name))
            if any(test.examples for test in tests):
                names.append(info.name)
    return names


MODULES = modules_with_examples()


def test_the_modules_with_examples_are_found() -> None:
    assert {"operators.agg", "streamkit.processor", "streamkit.dsl.functions",
            "streamkit.serde.json_serde", "operators.key_cache"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
