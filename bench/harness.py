"""What a benchmark module works with: the run's context, one result line, and the two
measurements every line is made of (a median time and a query count)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .dataset import Dataset


@dataclass(frozen=True)
class Context:
    dataset: Dataset
    runs: int  # timed repetitions per figure; the median is reported
    warmup: int  # untimed repetitions first, so caches and connections are warm


@dataclass
class Result:
    """One line of the table. Times are in milliseconds.

    A figure means little on its own (machines differ), so where there is a natural yardstick
    measured in the same run, `baseline` holds it and the ratio is what to compare over time.
    """

    name: str
    figure: float
    baseline: float | None = None
    queries: int | None = None
    unit: str = "ms"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.figure / self.baseline

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "figure": round(self.figure, 3),
            "unit": self.unit,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "queries": self.queries,
            "note": self.note,
        }


def median_ms(action: Callable[[], object], ctx: Context) -> float:
    for _ in range(ctx.warmup):
        action()
    samples = []
    for _ in range(ctx.runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def count_queries(action: Callable[[], object]) -> int:
    # Counted in a separate call from the timed ones: capturing forces a debug cursor,
    # which would add its own cost to the timings. One call first, uncounted, as the timed
    # runs have their warm-up: the cached copies of the session and user are then in place.
    action()
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)
