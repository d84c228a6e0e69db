"""Window specifications: what ``stream.window(spec)`` takes.

Each spec implements :class:`streamkit.processor.WindowedAggregation`: given an
aggregation, it builds the processor and declares its window store (retention =
size + grace, so a window outlives its close by at least its own length).
"""

from __future__ import annotations

from dataclasses import dataclass

from operators.agg import require_merge
from operators.errors import InvalidWindowSpec
from operators.results import WindowResultSerde
from operators.window_views import pane_windows, window_results
from operators.windows.assign import fixed_windows, is_closed
from streamkit.processor import Aggregator, OperatorPlan, StoreKind, StoreSpec, WindowView


def _window_store(name: str, retention_ms: int, view: WindowView | None = None) -> StoreSpec:
    return StoreSpec(name=name, kind=StoreKind.WINDOW, retention_ms=retention_ms, view=view)


def _check_grace_and_idle_timeout(grace_ms: int, idle_timeout_ms: int | None) -> None:
    if grace_ms < 0:
        raise InvalidWindowSpec(f"grace must be >= 0, got {grace_ms} ms")
    if idle_timeout_ms is not None and idle_timeout_ms <= 0:
        raise InvalidWindowSpec(
            f"idle_timeout must be positive, got {idle_timeout_ms} ms; leave it out "
            "to close windows on stream time only"
        )


@dataclass(frozen=True, slots=True)
class TimeWindows:
    """Epoch-aligned windows of ``size_ms`` starting every ``step_ms``:
    tumbling when ``step_ms == size_ms``, hopping when smaller."""

    size_ms: int
    step_ms: int
    grace_ms: int = 0
    idle_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        if self.size_ms <= 0:
            raise InvalidWindowSpec(f"window size must be positive, got {self.size_ms} ms")
        if not 0 < self.step_ms <= self.size_ms:
            raise InvalidWindowSpec(
                f"hopping step must satisfy 0 < step <= size, got step {self.step_ms} ms "
                f"for size {self.size_ms} ms; use tumbling(size) for step == size"
            )
        _check_grace_and_idle_timeout(self.grace_ms, self.idle_timeout_ms)

    def windows_for(self, timestamp: int) -> list[tuple[int, int]]:
        """The windows ``[start, end)`` that contain ``timestamp``, latest first."""
        return fixed_windows(timestamp, size_ms=self.size_ms, step_ms=self.step_ms)

    def is_closed(self, end: int, stream_time: int) -> bool:
        """Whether the window ending at ``end`` no longer accepts records."""
        return is_closed(end, grace_ms=self.grace_ms, stream_time=stream_time)

    def aggregate_plan(
        self, aggregator: Aggregator, *, store_name: str, emit_final: bool
    ) -> OperatorPlan:
        """See :class:`streamkit.processor.WindowedAggregation`."""
        from operators.pane_aggregate import PanedWindowAggregate, panes_apply, panes_store_name
        from operators.pane_final_aggregate import (
            FinalPanedWindowAggregate,
            emitted_store_name,
            final_panes_store_name,
        )
        from operators.windowed_aggregate import LATE, FixedWindowAggregate

        retention_ms = self.size_ms + self.grace_ms
        kind: type[FixedWindowAggregate] = FixedWindowAggregate
        stores: tuple[StoreSpec, ...]
        if not panes_apply(aggregator, size_ms=self.size_ms, step_ms=self.step_ms):
            stores = (_window_store(store_name, retention_ms, window_results(aggregator)),)
        else:
            require_merge(aggregator, "hopping windows of an order-insensitive aggregation",
                          "each window is merged from its panes")
            # Panes have stores of their own: panes are not windows, and must never
            # be read as such (say by the same app later run in the other emit mode).
            view = pane_windows(aggregator, size_ms=self.size_ms, step_ms=self.step_ms,
                                grace_ms=self.grace_ms)
            if emit_final:
                kind, store_name = FinalPanedWindowAggregate, final_panes_store_name(store_name)
                stores = (_window_store(store_name, retention_ms, view),
                          StoreSpec(emitted_store_name(store_name)))
            else:
                kind, store_name = PanedWindowAggregate, panes_store_name(store_name)
                stores = (_window_store(store_name, retention_ms, view),)

        def supplier() -> FixedWindowAggregate:
            return kind(
                aggregator,
                size_ms=self.size_ms,
                step_ms=self.step_ms,
                grace_ms=self.grace_ms,
                store_name=store_name,
                emit_final=emit_final,
                idle_timeout_ms=self.idle_timeout_ms,
            )

        return OperatorPlan(supplier=supplier, stores=stores, outputs=(LATE,),
                            value_serde=WindowResultSerde())


@dataclass(frozen=True, slots=True)
class SlidingWindows:
    """Record-driven windows holding records at most ``difference_ms`` apart
    (inclusive); see :mod:`operators.windows.sliding`."""

    difference_ms: int
    grace_ms: int = 0
    idle_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        if self.difference_ms <= 0:
            raise InvalidWindowSpec(
                f"sliding time difference must be positive, got {self.difference_ms} ms"
            )
        _check_grace_and_idle_timeout(self.grace_ms, self.idle_timeout_ms)

    def aggregate_plan(
        self, aggregator: Aggregator, *, store_name: str, emit_final: bool
    ) -> OperatorPlan:
        """See :class:`streamkit.processor.WindowedAggregation`."""
        from operators.sliding_aggregate import SlidingWindowAggregate, by_time_store_name
        from operators.windowed_aggregate import LATE

        require_merge(aggregator, "sliding windows",
                      "a window opened by a late record is merged from the records it holds")

        def supplier() -> SlidingWindowAggregate:
            return SlidingWindowAggregate(
                aggregator,
                difference_ms=self.difference_ms,
                grace_ms=self.grace_ms,
                store_name=store_name,
                emit_final=emit_final,
                idle_timeout_ms=self.idle_timeout_ms,
            )

        retention_ms = self.difference_ms + 1 + self.grace_ms
        stores = (
            _window_store(store_name, retention_ms, window_results(aggregator)),
            _window_store(by_time_store_name(store_name), retention_ms),
        )
        return OperatorPlan(supplier=supplier, stores=stores, outputs=(LATE,),
                            value_serde=WindowResultSerde())


@dataclass(frozen=True, slots=True)
class SessionWindows:
    """Per-key sessions: records at most ``gap_ms`` apart (inclusive) share one."""

    gap_ms: int
    grace_ms: int = 0
    idle_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        if self.gap_ms <= 0:
            raise InvalidWindowSpec(f"session gap must be positive, got {self.gap_ms} ms")
        _check_grace_and_idle_timeout(self.grace_ms, self.idle_timeout_ms)

    def aggregate_plan(
        self, aggregator: Aggregator, *, store_name: str, emit_final: bool
    ) -> OperatorPlan:
        """See :class:`streamkit.processor.WindowedAggregation`."""
        from operators.session_aggregate import SessionWindowAggregate
        from operators.windowed_aggregate import LATE

        require_merge(aggregator, "session windows",
                      "a record that falls between two sessions merges them")

        def supplier() -> SessionWindowAggregate:
            return SessionWindowAggregate(
                aggregator,
                gap_ms=self.gap_ms,
                grace_ms=self.grace_ms,
                store_name=store_name,
                emit_final=emit_final,
                idle_timeout_ms=self.idle_timeout_ms,
            )

        store = _window_store(store_name, self.gap_ms + self.grace_ms, window_results(aggregator))
        return OperatorPlan(supplier=supplier, stores=(store,), outputs=(LATE,),
                            value_serde=WindowResultSerde())
