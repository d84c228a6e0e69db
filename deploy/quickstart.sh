#!/usr/bin/env bash
# Quickstart: install streamkit in .venv, feed a few lines to the word-count example
# on the embedded log (./.streamkit, no infrastructure), run it until idle, print counts.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet -e .
export PATH="$PWD/.venv/bin:$PATH"

streamkit topics create lines --partitions 2 2>/dev/null || true
printf '%s\n' \
    '{"text": "the quick brown fox"}' \
    '{"text": "jumps over the lazy dog"}' \
    '{"text": "the end"}' | streamkit produce lines

streamkit run examples/wordcount.py --until-idle 3 --quiet

echo "word counts (one line per update; the last per word is its count):"
streamkit consume word-counts --from-beginning --timeout 2
