"""Latency and throughput figures from timed samples."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
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


def _block(operation: Callable[[int], object], indices: range, concurrency: int) -> tuple[float, list[float]]:
    """Run `operation(i)` for each index over `concurrency` threads: the block's wall time, and each call's."""
    latencies: list[float] = []

    def timed(index: int) -> None:
        started = time.perf_counter()
        operation(index)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(timed, indices))
    return time.perf_counter() - started, latencies


def _figures(requests: int, seconds: float, latencies: list[float]) -> Figures:
    return Figures(
        requests=requests,
        seconds=seconds,
        per_second=requests / seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
    )


def measure_side_by_side(operations: Mapping[str, Callable[[int], object]], count: int, concurrency: int = 1, rounds: int = 1) -> dict[str, Figures]:
    """Run each operation `count` times (indices 0 to count-1) over `concurrency` threads, in `rounds` blocks
    each, the operations taking turns and the order reversed every round (A B, B A, A B, ...), so that a
    change in the machine's load during the run weighs on each alike. Throughput is over all of an
    operation's blocks (requests / the sum of their wall times); latencies are pooled."""
    bounds = [count * block // rounds for block in range(rounds + 1)]
    seconds = dict.fromkeys(operations, 0.0)
    latencies: dict[str, list[float]] = {name: [] for name in operations}
    names = list(operations)
    for block in range(rounds):
        for name in names if block % 2 == 0 else names[::-1]:
            elapsed, block_latencies = _block(operations[name], range(bounds[block], bounds[block + 1]), concurrency)
            seconds[name] += elapsed
            latencies[name] += block_latencies
    return {name: _figures(count, seconds[name], latencies[name]) for name in operations}


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
