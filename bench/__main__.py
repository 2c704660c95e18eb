"""`make bench`: run the benchmarks, print their tables, and keep the figures in bench/results/.

    python -m bench [--quick] [--out DIR] [name ...]

names: cold_start, warm_invoke, dynamodb_cost, partitions, package_size, local_api, load, realtime, event_feed,
webhooks (default: all, in that order).
`--quick` runs each with small counts to check that it works (about 30 s); its figures are too few to
quote, so it writes no results unless `--out DIR` names a folder for them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BENCHMARKS = ["cold_start", "warm_invoke", "dynamodb_cost", "partitions", "package_size", "local_api", "load", "realtime", "event_feed", "webhooks"]
RESULTS_DIR = Path(__file__).parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def machine_facts() -> dict[str, Any]:
    """What a reader needs to judge the figures: the machine, its load, and the versions measured."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average_1_5_15": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _package_version(name) for name in ("boto3", "botocore", "aws-lambda-powertools", "moto")},
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        # Others may have uncommitted changes in the checkout while this runs.
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="name", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small counts, to check the benchmarks run (writes no results)")
    parser.add_argument("--out", type=Path, help="write results here (default: bench/results, or nowhere with --quick)")
    options = parser.parse_args(argv)
    unknown = set(options.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
    out = options.out or (None if options.quick else RESULTS_DIR)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for name in options.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or name).strip().splitlines()[0]}", flush=True)
        machine = machine_facts()
        began = time.monotonic()
        results = module.run(quick=options.quick)
        document = {
            "benchmark": name,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "mode": "quick" if options.quick else "full",
            "seconds": round(time.monotonic() - began, 1),
            "machine": machine,
            "results": results,
        }
        if out is not None:
            (out / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
        print(module.report(results), flush=True)
        print(f"({document['seconds']} s)\n", flush=True)
    print(f"all done in {time.monotonic() - started:.0f} s" + (f"; results in {out}" if out else "; no results written"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
