"""The Python snippets of docs/windows.md run and their assertions hold."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "windows.md"
SNIPPETS = [textwrap.dedent(snippet)  # some are indented under a list item
            for snippet in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)]


def test_the_doc_has_snippets() -> None:
    assert len(SNIPPETS) >= 2


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.splitlines()[0][:40])
def test_doc_snippet_runs(snippet: str) -> None:
    exec(compile(snippet, str(DOC), "exec"), {"__name__": "docs_windows"})  # noqa: S102
