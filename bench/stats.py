"""Latency and throughput figures from timed samples."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict:
        return {name: round(value, 3) if isinstance(value, float) else value for name, value in asdict(self).items()}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(operation: Callable[[int], object], count: int, concurrency: int = 1) -> Figures:
    """Run `operation(i)` `count` times over `concurrency` threads; latency per call, throughput overall."""
    latencies: list[float] = []

    def timed(index: int) -> None:
        started = time.perf_counter()
        operation(index)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(timed, range(count)))
    elapsed = time.perf_counter() - started
    return Figures(
        requests=count,
        seconds=elapsed,
        per_second=count / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
    )


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator else float("inf")


def summary(samples: list[float], scale: float = 1.0, digits: int = 1) -> dict[str, float | int]:
    """Median, quartiles, p99, min and max of `samples` (multiplied by `scale`), and their count."""
    scaled = [sample * scale for sample in samples]
    return {
        "n": len(scaled),
        "min": round(min(scaled), digits),
        "p25": round(percentile(scaled, 0.25), digits),
        "p50": round(statistics.median(scaled), digits),
        "p75": round(percentile(scaled, 0.75), digits),
        "p99": round(percentile(scaled, 0.99), digits),
        "max": round(max(scaled), digits),
    }
