"""Turns a session into a JSON results file and the Markdown results section of
docs/benchmarks.md (everything between the two ``RESULTS`` markers is rewritten)."""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from tests.benchmarks.latency import WARM_UP
from tests.benchmarks.measurement import COMMIT_INTERVAL_S, PARTITIONS, CaseResult
from tests.benchmarks.workloads import WORKLOADS

if TYPE_CHECKING:
    from tests.benchmarks.runner import Session

RESULTS_DIR = Path(__file__).parent / "results"
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
START_MARKER = "<!-- RESULTS:START (written by python -m tests.benchmarks run) -->"
END_MARKER = "<!-- RESULTS:END -->"

Key = tuple[str, str, str, str]  # workload, system, backend, guarantee


def write_json(session: Session, results_dir: Path) -> Path:
    """Write the full session (every repeat) to ``results_dir``; return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = results_dir / f"bench-{stamp}-{session.settings['run_id']}.json"
    data = session.to_dict()
    data["medians"] = {"/".join(k): v for k, v in medians(session.results).items()}
    path.write_text(json.dumps(data, indent=2))
    return path


def medians(results: list[CaseResult]) -> dict[Key, dict[str, float]]:
    """Per case: the median of each metric and of peak RSS over its successful
    repeats, plus how many repeats ran and succeeded."""
    grouped: dict[Key, list[CaseResult]] = defaultdict(list)
    for r in results:
        s = r.spec
        grouped[(s.kind, s.system, s.backend, s.guarantee)].append(r)
    out: dict[Key, dict[str, float]] = {}
    for key, runs in grouped.items():
        good = [r for r in runs if r.ok]
        row: dict[str, float] = {"runs": len(runs), "ok": len(good),
                                 "events": runs[0].spec.events}
        if good:
            for metric in good[0].metrics:
                values = [r.metrics[metric] for r in good]
                row[metric] = statistics.median(values)
                row[f"{metric}_min"], row[f"{metric}_max"] = min(values), max(values)
            row["peak_rss_mib"] = statistics.median(r.peak_rss_bytes for r in good) / 2**20
        out[key] = row
    return out


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f} %"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _spread(row: dict[str, float], metric: str) -> str:
    """The range of ``metric`` over the repeats, as ± percent of the median."""
    if metric not in row or not row[metric]:
        return "—"
    low, high = row[f"{metric}_min"], row[f"{metric}_max"]
    return f"−{(1 - low / row[metric]) * 100:.0f}/+{(high / row[metric] - 1) * 100:.0f} %"


def _ratio(a: float | None, b: float | None, suffix: str = "") -> str:
    if a is None or not b:
        return "—"
    return f"{a / b:.2f}{suffix}"


def _b6_section(table: dict[Key, dict[str, float]]) -> list[str]:
    rows = {(k[1], k[2]): v for k, v in table.items() if k[0] == "B6"}
    if not rows:
        return []
    events = int(next(iter(rows.values()))["events"])
    floor = rows.get(("floor", "kafka"), {})
    lines = [
        f"### B6 — {WORKLOADS['B6'].title} ({events:,} records)",
        "",
        (
            "| system | backend | produce rec/s | spread | consume rec/s | spread | "
            "produce / floor | consume / floor | peak RSS MiB | ok runs |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (system, backend), v in sorted(rows.items()):
        lines.append(
            f"| {system} | {backend} | {_rate(v.get('produce_rps'))} | "
            f"{_spread(v, 'produce_rps')} | {_rate(v.get('consume_rps'))} | "
            f"{_spread(v, 'consume_rps')} | "
            f"{_ratio(v.get('produce_rps'), floor.get('produce_rps'))} | "
            f"{_ratio(v.get('consume_rps'), floor.get('consume_rps'))} | "
            f"{v.get('peak_rss_mib', 0):.0f} | {v['ok']:.0f}/{v['runs']:.0f} |"
        )
    emb, kafka = rows.get(("streamkit", "embedded"), {}), rows.get(("streamkit", "kafka"), {})
    lines += [
        "",
        (
            "streamkit embedded / streamkit Kafka: produce "
            f"{_ratio(emb.get('produce_rps'), kafka.get('produce_rps'), '×')}, consume "
            f"{_ratio(emb.get('consume_rps'), kafka.get('consume_rps'), '×')}. "
            "Embedded / raw confluent-kafka floor: produce "
            f"{_ratio(emb.get('produce_rps'), floor.get('produce_rps'), '×')}, consume "
            f"{_ratio(emb.get('consume_rps'), floor.get('consume_rps'), '×')}. "
            "Peak RSS includes the pre-generated records held in memory by the producing "
            "process."
        ),
        "",
    ]
    return lines


def _processing_section(workload: str, table: dict[Key, dict[str, float]]) -> list[str]:
    rows = {k[1:]: v for k, v in table.items() if k[0] == workload}
    if not rows:
        return []
    events = int(next(iter(rows.values()))["events"])
    # B2 has a second floor that re-keys through a topic, as the frameworks do.
    repartitioning = any(system == "floor-repartition" for system, _, _ in rows)
    # B2: the share of the inputs its written counts add up to (the rest were late).
    counting = any("counted_share" in v for v in rows.values())
    lines = [
        f"### {workload} — {WORKLOADS[workload].title} ({events:,} events)",
        "",
        (
            "| system | backend | guarantee | events/s | spread | fraction of floor | "
            + ("fraction of floor-repartition | " if repartitioning else "")
            + "multiple of Quix | "
            + ("inputs counted | " if counting else "")
            + "peak RSS MiB | ok runs |"
        ),
        "|---|---|---|---:|---:|---:|" + ("---:|" if repartitioning else "")
        + ("---:|" if counting else "") + "---:|---:|---:|",
    ]
    for (system, backend, guarantee), v in sorted(rows.items()):
        floor = rows.get(("floor", backend, guarantee), {}).get("events_per_s")
        floor_rp = rows.get(("floor-repartition", backend, guarantee), {}).get("events_per_s")
        quix = rows.get(("quix", backend, guarantee), {}).get("events_per_s")
        mine = v.get("events_per_s")
        lines.append(
            f"| {system} | {backend} | {guarantee} | {_rate(mine)} | "
            f"{_spread(v, 'events_per_s')} | "
            f"{'1.00' if system == 'floor' and mine else _ratio(mine, floor)} | "
            + (f"{_ratio(mine, floor_rp)} | " if repartitioning else "")
            + f"{'1.00×' if system == 'quix' and mine else _ratio(mine, quix, '×')} | "
            + (f"{_percent(v.get('counted_share'))} | " if counting else "")
            + f"{v.get('peak_rss_mib', 0):.0f} | {v['ok']:.0f}/{v['runs']:.0f} |"
        )
    lines.append("")
    if counting:
        lines += [
            ("*Inputs counted*: the share of the inputs that the written counts add up "
             "to; the others were dropped as late (or are in windows still open at the "
             "end). A system that drops an input as late does less work for it."),
            "",
        ]
    return lines


def _latency_section(table: dict[Key, dict[str, float]]) -> list[str]:
    rows = {k: v for k, v in table.items() if k[0].endswith(" latency")}
    if not rows:
        return []
    lines = [
        "### Latency — p50/p99 from append to output at a fixed input rate",
        "",
        (
            "Each case appends its inputs at the rate shown while the system runs and "
            "reads the outputs as they become visible (`read_committed`); the first "
            f"{WARM_UP:.0%} of the inputs (start-up) are left out. See "
            "`tests/benchmarks/latency.py`."
        ),
        "",
        "| workload | system | backend | guarantee | inputs/s | p50 ms | p99 ms | p99 spread | peak RSS MiB | ok runs |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (kind, system, backend, guarantee), v in sorted(rows.items()):
        lines.append(
            f"| {kind.split()[0]} | {system} | {backend} | {guarantee} | "
            f"{_rate(v.get('input_per_s'))} | {_ms(v.get('latency_p50_ms'))} | "
            f"{_ms(v.get('latency_p99_ms'))} | {_spread(v, 'latency_p99_ms')} | "
            f"{v.get('peak_rss_mib', 0):.0f} | {v['ok']:.0f}/{v['runs']:.0f} |"
        )
    lines.append("")
    return lines


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def render(session: Session) -> str:
    """The Markdown results section for ``session``."""
    env, settings = session.environment, session.settings
    table = medians(session.results)
    lines = [
        f"## Results — {env['date']}",
        "",
        (
            f"Machine: {env['cpus']} CPUs ({env['cpu_model']}), {env['memory_gib']} GiB memory, "
            f"{env['os']}. Python {env['python']}, confluent-kafka {env['confluent_kafka']}, "
            f"librdkafka {env['librdkafka']}, Apache Kafka {env['kafka']} (single local KRaft "
            f"broker), quixstreams {env['quixstreams']}, orjson {env['orjson']}, streamkit at "
            f"{env['streamkit_commit']}."
        ),
        "",
        (
            f"Median of {settings['repeats']} repeats per case, run "
            f"interleaved (A B C … A B C …), seed {settings['seed']}, {PARTITIONS} partitions per "
            f"topic, commit interval {COMMIT_INTERVAL_S:g} s for every system that commits. "
            "Fractions and multiples compare medians from this same run; *spread* is the "
            "range of the repeats around the median. The machine is a virtual machine on "
            "shared hardware: treat differences within the spread as noise."
        ),
        "",
    ]
    lines += _b6_section(table)
    for workload in ("B1", "B2", "B3", "W1", "W2", "B4", "B5"):
        lines += _processing_section(workload, table)
    lines += _latency_section(table)
    failures = [r for r in session.results if not r.ok]
    if failures:
        lines += ["### Failed runs", ""]
        lines += [f"- {r.spec.label} repeat {r.spec.repeat}: {r.error}" for r in failures]
        lines.append("")
    lines += ["### Not measured in this run", ""]
    lines += [f"- {s['workload']} {s['system']} on {s['backend']}: {s['reason']}"
              for s in session.skipped]
    not_run = [w for w in WORKLOADS if w not in settings["workloads"]]
    if not_run:
        lines.append(f"- not requested in this run: {', '.join(not_run)}")
    if not settings.get("latency_rates"):
        lines.append("- latency: not requested in this run (`--latency-rate`).")
    lines.append("")
    return "\n".join(lines)


def write_markdown(session: Session, path: Path) -> None:
    """Replace the results section of ``path`` (creating the file if needed)."""
    section = f"{START_MARKER}\n{render(session)}\n{END_MARKER}"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START_MARKER}\n{END_MARKER}\n"
    if START_MARKER in text and END_MARKER in text:
        before = text.split(START_MARKER, 1)[0]
        after = text.split(END_MARKER, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
