"""The harness is imported as ``tests.benchmarks``, as ``python -m tests.benchmarks``
does from the repository root; make that import work however pytest was started."""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
