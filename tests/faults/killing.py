"""The kill loop: start the app, let it work for a random moment, SIGKILL it,
again and again; then let one last run finish the work."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.processes import AppProcess, restored_counts

JOINED = "assigned ["  # "worker N: assigned [...]": tasks created (state restored)
FINAL_IDLE_S = 4.0


@dataclass
class KillRun:
    """How to run the app under test, and what happened to it."""

    app_file: Path
    broker_url: str
    state_root: Path
    logs: Path
    guarantee: str
    seed: int
    kills: int = 0
    kill_moments: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def start(self, label: str, *, until_idle_s: float | None = None,
              state_root: Path | None = None) -> AppProcess:
        return AppProcess.start(self.app_file, self.broker_url, state_root or self.state_root,
                                self.logs / f"{label}.log", guarantee=self.guarantee,
                                until_idle_s=until_idle_s)

    def kill_repeatedly(self, rounds: int, up_s: tuple[float, float] = (0.2, 2.0)) -> None:
        """``rounds`` times: start, wait until partitions are assigned, work for a
        random moment (seeded), SIGKILL the process group."""
        rng = random.Random(self.seed)
        for round_ in range(rounds):
            app = self.start(f"run-{round_:02d}")
            try:
                app.wait_for_log(JOINED)
                moment = rng.uniform(*up_s)
                time.sleep(moment)
            finally:
                app.kill()
            self.kills += 1
            self.kill_moments.append(round(moment, 2))

    def finish(self, label: str = "final") -> AppProcess:
        """Run until idle; fails unless it exits 0."""
        app = self.start(label, until_idle_s=FINAL_IDLE_S)
        code = app.wait()
        assert code == 0, f"the final run exited {code}:\n{app.tail()}\n{self.describe()}"
        return app

    def restored(self) -> dict[str, list[int]]:
        """Per task, the changelog records restored at each start, over all runs."""
        text = "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))
        return restored_counts(text)

    def describe(self) -> str:
        """What a failure message needs to reproduce the run."""
        return (f"[guarantee={self.guarantee} broker={self.broker_url.split('://')[0]} "
                f"seed={self.seed} kills={self.kills} after {self.kill_moments} s of work; "
                f"{time.monotonic() - self.started:.0f} s; logs in {self.logs}]")
