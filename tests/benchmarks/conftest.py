"""The harness is a program run with ``python -m tests.benchmarks``, not a test suite."""

collect_ignore_glob = ["*.py", "apps/*.py"]
