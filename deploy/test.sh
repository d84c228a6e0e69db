#!/usr/bin/env bash
# The one command that sets up a fresh clone and runs the whole test suite against a
# real Kafka:
#
#   bash deploy/test.sh [PYTEST ARGS...]
#
# 1. creates .venv (python3 -m venv) if missing and installs streamkit[test,bench] into it;
# 2. unless STREAMKIT_KAFKA_BOOTSTRAP is set, fetches and starts a local Kafka with
#    deploy/kafka/kafka (Java 17 + Maven) and stops it on exit;
# 3. runs pytest (without the `soak` tests unless the arguments select them) in
#    STREAMKIT_TEST_WORKERS processes (pytest-xdist; default 2, 0 runs them in this
#    one), lists the 15 slowest tests so that CI shows where the suite's time
#    goes, and exits with pytest's status.
#
# The tests share the one broker and each uses topics of its own; most of their time
# is spent waiting (on the broker, on session timeouts, on killed workers), so two
# processes on a 2-core machine take a little over half as long as one.
#
# Environment: STREAMKIT_VENV (default .venv), STREAMKIT_KAFKA_BOOTSTRAP, STREAMKIT_TEST_WORKERS,
# STREAMKIT_KAFKA_HOME (broker state, default .cache/kafka-test), CI=true (Kafka tests
# then fail rather than skip when no broker can be had).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${STREAMKIT_VENV:-.venv}"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "test.sh: creating $VENV" >&2
    python3 -m venv "$VENV"
fi
PYTHON="$(cd "$VENV/bin" && pwd)/python"
export PYTHON
echo "test.sh: installing streamkit[test,bench] into $VENV" >&2
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[test,bench]"

if [[ -z "${STREAMKIT_KAFKA_BOOTSTRAP:-}" ]]; then
    export STREAMKIT_KAFKA_HOME="${STREAMKIT_KAFKA_HOME:-$PWD/.cache/kafka-test}"
    trap 'bash deploy/kafka/kafka stop || true' EXIT
    start_s=$SECONDS
    STREAMKIT_KAFKA_BOOTSTRAP="$(bash deploy/kafka/kafka start | tail -n 1)"
    export STREAMKIT_KAFKA_BOOTSTRAP
    echo "test.sh: Kafka at $STREAMKIT_KAFKA_BOOTSTRAP (ready in $((SECONDS - start_s)) s)" >&2
else
    echo "test.sh: using Kafka at $STREAMKIT_KAFKA_BOOTSTRAP" >&2
fi

set +e
"$PYTHON" -m pytest -m "not soak" -n "${STREAMKIT_TEST_WORKERS:-2}" --durations=15 "$@"
status=$?
set -e
exit "$status"
