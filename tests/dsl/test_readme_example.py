"""The README's example app runs and counts words as it says."""

from __future__ import annotations

import re
from pathlib import Path

from streamkit.testing import TestDriver

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_app_counts_words() -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert code is not None, "the README should show an app"
    namespace: dict[str, object] = {}
    exec(code.group(1), namespace)  # noqa: S102 - our own README
    with TestDriver(namespace["app"]) as driver:
        driver.pipe("lines", {"text": "to be or not to be"}, key="1", timestamp=0)
        last = {key: value for key, value, _ts in driver.read("word-counts")}
    assert last == {"to": {"word": "to", "count": 2}, "be": {"word": "be", "count": 2},
                    "or": {"word": "or", "count": 1}, "not": {"word": "not", "count": 1}}
