"""streamkit's benchmark harness (see docs/benchmarks.md and /BENCHMARKS.md).

Run it with ``python -m tests.benchmarks run``. It is a program, not a test suite:
pytest does not collect it (see ``conftest.py``); ``tests/benchmarks_smoke`` proves it
works on a tiny input.
"""
