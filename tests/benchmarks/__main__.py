"""Command line: ``python -m tests.benchmarks run [options]`` (see docs/benchmarks.md).

``python -m tests.benchmarks case SPEC_JSON`` is the child side of one measurement,
started by the harness itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tests.benchmarks.environment import describe
from tests.benchmarks.latency import LATENCY_S, LATENCY_WORKLOADS
from tests.benchmarks.measurement import RESULT_PREFIX, CaseSpec
from tests.benchmarks.report import DOCS_PATH, RESULTS_DIR, write_json, write_markdown
from tests.benchmarks.runner import Session, log, run_case_here, run_session
from tests.benchmarks.workloads import BACKENDS, GUARANTEES, WORKLOADS

DEV_KAFKA_FILE = Path("/tmp/streamkit-dev-kafka")


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _per_workload(value: str) -> dict[str, int]:
    pairs = [p.split("=", 1) for p in _csv(value)]
    if any(len(p) != 2 or not p[1].strip().isdigit() for p in pairs):
        raise argparse.ArgumentTypeError(f"expected WORKLOAD=COUNT[,…], got {value!r}")
    return {w.strip(): int(n) for w, n in pairs}


def _default_bootstrap() -> str | None:
    if os.environ.get("STREAMKIT_KAFKA_BOOTSTRAP"):
        return os.environ["STREAMKIT_KAFKA_BOOTSTRAP"]
    if DEV_KAFKA_FILE.exists():
        return DEV_KAFKA_FILE.read_text().strip() or None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run benchmarks and write results")
    run.add_argument("--workloads", type=_csv, default=["B6", "B1", "B2", "B3", "W1", "W2"],
                     help=f"comma-separated, of {','.join(WORKLOADS)} (default B6,B1,B2,B3,W1,W2)")
    run.add_argument("--backends", type=_csv, default=list(BACKENDS))
    run.add_argument("--guarantees", type=_csv, default=list(GUARANTEES))
    run.add_argument("--events", type=int, default=1_000_000, help="inputs per case")
    run.add_argument("--events-for", type=_per_workload, default={},
                     help="per-workload override, e.g. B2=100000,B3=100000")
    run.add_argument("--latency-rate", type=_per_workload, default={},
                     help="also measure latency at this input rate (events/s) per workload, "
                          "e.g. B1=2000,B3=1000 (B1 and B3 only)")
    run.add_argument("--latency-seconds", type=float, default=LATENCY_S,
                     help=f"seconds of input per latency case (default {LATENCY_S:g})")
    run.add_argument("--latency-only", action="store_true",
                     help="with --latency-rate: measure only latency")
    run.add_argument("--repeats", type=int, default=3)
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--kafka", default=None,
                     help="bootstrap host:port (default $STREAMKIT_KAFKA_BOOTSTRAP, then "
                          "/tmp/streamkit-dev-kafka)")
    run.add_argument("--case-timeout", type=float, default=None,
                     help="seconds before one measurement is killed (default 120 + events/500)")
    run.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    run.add_argument("--docs", type=Path, default=DOCS_PATH,
                     help="Markdown file whose results section is rewritten")
    run.add_argument("--no-docs", action="store_true", help="write only the JSON results")
    report = sub.add_parser("report", help="rewrite the docs table from a results JSON file")
    report.add_argument("results", type=Path)
    report.add_argument("--docs", type=Path, default=DOCS_PATH)
    case = sub.add_parser("case", help=argparse.SUPPRESS)
    case.add_argument("spec")
    args = parser.parse_args(argv)

    if args.command == "case":
        result = run_case_here(CaseSpec.from_json(args.spec))
        print(RESULT_PREFIX + json.dumps(result.to_dict()), flush=True)
        return 0

    if args.command == "report":
        write_markdown(Session.from_dict(json.loads(args.results.read_text())), args.docs)
        log(f"table: {args.docs}")
        return 0

    unknown = [w for w in args.workloads if w not in WORKLOADS]
    unknown += [b for b in args.backends if b not in BACKENDS]
    unknown += [g for g in args.guarantees if g not in GUARANTEES]
    unknown += [w for w in args.latency_rate if w not in LATENCY_WORKLOADS]
    if unknown:
        parser.error(f"unknown workload/backend/guarantee {unknown}: choose from "
                     f"{list(WORKLOADS)}, {list(BACKENDS)}, {list(GUARANTEES)}")
    bootstrap = args.kafka or _default_bootstrap()
    if "kafka" in args.backends and not bootstrap:
        log("no Kafka broker configured: Kafka cases will be listed as not measured "
            "(start one with deploy/kafka/kafka start)")
    session = run_session(
        workloads=args.workloads, backends=args.backends, guarantees=args.guarantees,
        events=args.events, events_for=args.events_for, repeats=args.repeats, seed=args.seed,
        kafka_bootstrap=bootstrap, environment=describe(), case_timeout_s=args.case_timeout,
        latency_rates={w: float(r) for w, r in args.latency_rate.items()},
        latency_s=args.latency_seconds, throughput=not args.latency_only,
    )
    path = write_json(session, args.results_dir)
    log(f"results: {path}")
    if not args.no_docs:
        write_markdown(session, args.docs)
        log(f"table: {args.docs}")
    failed = [r for r in session.results if not r.ok]
    for r in failed:
        log(f"FAILED {r.spec.label} r{r.spec.repeat}: {r.error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
