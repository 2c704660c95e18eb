"""Cold start: importing each Lambda function's handler module next to `import boto3` alone, in fresh processes.

Every sample is a new Python process that times one import with time.perf_counter (interpreter
start-up is not counted). The variants take turns, round after round, so that the machine's load
drifts over all of them alike; the figures are medians and the ratio of medians. The same import's
CPU time (time.process_time) is reported beside it: an import is CPU work, and on a shared machine
the wall time also counts the time spent waiting for a core, which that ratio does not.

Each function is measured as Lambda loads it: its folder on sys.path, then `import <module>` of its
handler setting (graphql/manifest.json). The status functions share handlers/status, each with its own
module, so each is measured apart, with the shared module it imports.

As in Lambda, library bytecode is cached (a warm-up process compiles it into a private
PYTHONPYCACHEPREFIX, nothing is written into the venv) and the handlers' own modules are compiled
from source each time (the zip carries no .pyc and /var/task is read-only).

`-X importtime` runs then say where each handler's import time goes. Two more variants add the
first client a new instance makes (the handlers make their clients on first use), so the ratio
that the goal judges (the import) sits next to what the first send really pays.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.stats import summary
from local.manifest import load_manifest

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest()
GOAL_RATIO = 1.25


def _slug(name: str) -> str:
    """emailEvents -> email-events, as Terraform names a function (terraform/main.tf: event_handler_slugs)."""
    return re.sub(r"([A-Z])", r"-\1", name).lower()


# What Terraform sets (terraform/main.tf, terraform/status.tf), with dummy values.
STATUS_ENV = {
    "MESSAGES_TABLE": "bench-messenger-messages",
    "MESSAGES_TABLE_REGION": "eu-central-1",
    "STALE_AFTER_SECONDS": "300",
    **MANIFEST.storage.index_environment(),
    "POWERTOOLS_METRICS_NAMESPACE": "serverless-messenger/bench",
}
# Each function: the folder Terraform zips, the module its handler setting names, and its environment.
HANDLERS: dict[str, dict[str, Any]] = {
    "delivery": {
        "dir": REPO_ROOT / "handlers" / "delivery",
        "module": "app",
        "env": {
            "TEST_OUTCOMES": json.dumps(MANIFEST.test_mode),
            "TEST_OUTCOMES_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/bench-messenger-test-outcomes",
            "SES_REGION": "eu-west-1",
            "SNS_REGION": "us-east-1",
            "SES_CONFIGURATION_SET": "bench-messenger-messages",
            "MESSAGES_TABLE": "bench-messenger-messages",
            "MESSAGES_TABLE_REGION": "eu-central-1",
            "POWERTOOLS_SERVICE_NAME": "bench-messenger-delivery",
            "POWERTOOLS_METRICS_NAMESPACE": "serverless-messenger/bench",
        },
    },
    **{
        name: {
            "dir": REPO_ROOT / handler.source,
            "module": handler.handler.rsplit(".", 1)[0],
            "env": {**STATUS_ENV, "POWERTOOLS_SERVICE_NAME": f"bench-messenger-{_slug(name)}"},
        }
        for name, handler in MANIFEST.event_handlers.items()
        if handler.source == "handlers/status"
    },
}

_TIMED = (
    "import sys, time\n{setup}started, cpu_started = time.perf_counter(), time.process_time()\n{body}\n"
    "print(time.perf_counter() - started, time.process_time() - cpu_started)\n"
)

# The handlers make their boto3 clients on first use, so an import does not pay for them. What a new
# instance pays before its first send is the import plus the one client it needs: measured too (the status
# functions all make the one DynamoDB client of their shared module).
FIRST_USE = {
    "delivery + SES client (first email)": ("delivery", "import app\napp.ses_client()"),
    "emailEvents + DynamoDB client (first event)": ("emailEvents", "import recording\nrecording.dynamodb()"),
}


def handler_variant(name: str) -> str:
    handler = HANDLERS[name]
    return f"{name} ({handler['dir'].name}/{handler['module']}.py)"


def _variants() -> dict[str, dict[str, Any]]:
    variants: dict[str, dict[str, Any]] = {"import boto3": {"code": _TIMED.format(setup="", body="import boto3"), "env": {}}}
    for name, handler in HANDLERS.items():
        variants[handler_variant(name)] = {
            "code": _TIMED.format(setup=f"sys.path.insert(0, {str(handler['dir'])!r})\n", body=f"import {handler['module']}"),
            "env": handler["env"],
            "handler": name,
        }
    for name, (handler_name, first_call) in FIRST_USE.items():
        handler = HANDLERS[handler_name]
        variants[name] = {
            "code": _TIMED.format(setup=f"sys.path.insert(0, {str(handler['dir'])!r})\n", body=f"import {handler['module']}\n{first_call}"),
            "env": handler["env"],
        }
    return variants


def _child_env(pycache: str, extra: dict[str, str], write_bytecode: bool) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        # As Lambda provides them: credentials and region in the environment, no config files.
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPYCACHEPREFIX": pycache,
        **extra,
    }
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(code: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *flags, "-c", code], env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"import child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


def import_tree(stderr: str, top: str = "app") -> dict[str, Any]:
    """The `-X importtime` tree under module `top`: its own time and each direct import's, in microseconds.

    importtime prints a module after the modules it imported, indented two spaces per level.
    """
    pending: dict[int, list[dict[str, Any]]] = {}
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        own, cumulative, indent, name = int(match[1]), int(match[2]), len(match[3]) // 2, match[4]
        node = {"name": name, "self_us": own, "cumulative_us": cumulative, "children": pending.pop(indent + 1, [])}
        if indent == 0 and name == top:
            return node
        pending.setdefault(indent, []).append(node)
    raise RuntimeError(f"no top-level import of {top!r} in the -X importtime output")


def attribute(trees: list[dict[str, Any]], keep: int = 6, module: str = "app") -> list[dict[str, Any]]:
    """Median milliseconds per direct import of the handler module, biggest first, and the module's own code."""
    names = {child["name"] for tree in trees for child in tree["children"]}
    per_name = {
        name: statistics.median(next((c["cumulative_us"] for c in tree["children"] if c["name"] == name), 0) for tree in trees)
        for name in names
    }
    ranked = sorted(per_name.items(), key=lambda entry: -entry[1])
    rows = [
        {"part": f"{module}.py module body (clients, logger, definitions; not its imports)", "ms": round(statistics.median(t["self_us"] for t in trees) / 1000, 1)}
    ]
    for name, micros in ranked[:keep]:
        children: dict[str, list[float]] = {}
        for tree in trees:
            for child in tree["children"]:
                if child["name"] == name:
                    for grandchild in child["children"]:
                        children.setdefault(grandchild["name"], []).append(grandchild["cumulative_us"])
        biggest = sorted(((n, statistics.median(v)) for n, v in children.items()), key=lambda entry: -entry[1])[:3]
        rows.append(
            {
                "part": f"import {name}",
                "ms": round(micros / 1000, 1),
                "biggest_inside_ms": {n: round(v / 1000, 1) for n, v in biggest if v >= 1000},
            }
        )
    rest = sum(micros for _, micros in ranked[keep:])
    if rest:
        rows.append({"part": f"{len(ranked) - keep} other imports", "ms": round(rest / 1000, 1)})
    rows.append({"part": f"total (cumulative of {module})", "ms": round(statistics.median(t["cumulative_us"] for t in trees) / 1000, 1)})
    return rows


def run(quick: bool = False) -> dict[str, Any]:
    rounds = 4 if quick else int(os.environ.get("BENCH_COLD_ROUNDS", "20"))
    importtime_runs = 1 if quick else 5
    variants = _variants()
    pycache = tempfile.mkdtemp(prefix="bench-pycache-")
    try:
        # Compile the libraries' bytecode once, then drop the handlers' own, which Lambda never has.
        for variant in variants.values():
            _run(variant["code"], _child_env(pycache, variant["env"], write_bytecode=True))
        shutil.rmtree(Path(pycache) / (REPO_ROOT / "handlers").relative_to("/"), ignore_errors=True)

        samples: dict[str, list[float]] = {name: [] for name in variants}
        cpu_samples: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for round_index in range(rounds):
            rotation = round_index % len(names)
            for name in names[rotation:] + names[:rotation]:
                variant = variants[name]
                done = _run(variant["code"], _child_env(pycache, variant["env"], write_bytecode=False))
                wall, cpu = done.stdout.strip().splitlines()[-1].split()
                samples[name].append(float(wall))
                cpu_samples[name].append(float(cpu))

        attribution = {}
        for handler, settings in HANDLERS.items():
            variant = variants[handler_variant(handler)]
            trees = [
                import_tree(_run(variant["code"], _child_env(pycache, variant["env"], write_bytecode=False), "-X", "importtime").stderr, settings["module"])
                for _ in range(importtime_runs)
            ]
            attribution[handler_variant(handler)] = attribute(trees, module=settings["module"])
    finally:
        shutil.rmtree(pycache, ignore_errors=True)

    figures = {name: summary(values, scale=1000) for name, values in samples.items()}
    cpu_figures = {name: summary(values, scale=1000) for name, values in cpu_samples.items()}
    baseline = figures["import boto3"]["p50"]
    comparisons: dict[str, dict[str, Any]] = {}
    for name in names[1:]:
        paired = [mine / base for mine, base in zip(samples[name], samples["import boto3"])]
        ratio = round(figures[name]["p50"] / baseline, 2)
        comparisons[name] = {
            "ratio_of_medians": ratio,
            "median_of_paired_ratios": round(statistics.median(paired), 2),
            "extra_ms_over_boto3": round(figures[name]["p50"] - baseline, 1),
            "cpu_ratio_of_medians": round(cpu_figures[name]["p50"] / cpu_figures["import boto3"]["p50"], 2),
        }
        # The goal judges each function's import; the first client is reported beside it.
        if "handler" in variants[name]:
            comparisons[name] |= {"goal": f"<= {GOAL_RATIO}x", "goal_met": ratio <= GOAL_RATIO}
    return {
        "rounds": rounds,
        "condition": "library bytecode cached, handler modules compiled from source; import time only, interpreter start-up excluded",
        "import_ms": figures,
        "import_cpu_ms": cpu_figures,
        "versus_import_boto3": comparisons,
        "goal_met": all(comparison["goal_met"] for comparison in comparisons.values() if "goal_met" in comparison),
        "attribution_ms": attribution,
        "importtime_runs": importtime_runs,
    }


def report(results: dict[str, Any]) -> str:
    lines = [
        f"{results['rounds']} alternating rounds; {results['condition']}",
        f"| import | median ms | p25-p75 ms | x import boto3 | paired ratio | goal <= {GOAL_RATIO}x | CPU median ms | CPU x import boto3 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results["import_ms"].items():
        comparison = results["versus_import_boto3"].get(name)
        ratio = f"{comparison['ratio_of_medians']}x" if comparison else "1x"
        paired = f"{comparison['median_of_paired_ratios']}x" if comparison else ""
        goal = ("met" if comparison["goal_met"] else "missed") if comparison and "goal_met" in comparison else ""
        cpu_ratio = f"{comparison['cpu_ratio_of_medians']}x" if comparison else "1x"
        lines.append(
            f"| {name} | {figures['p50']} | {figures['p25']}-{figures['p75']} | {ratio} | {paired} | {goal} | {results['import_cpu_ms'][name]['p50']} | {cpu_ratio} |"
        )
    lines.append(f"every function's import within {GOAL_RATIO}x of import boto3: {'met' if results['goal_met'] else 'missed'}")
    for handler, rows in results["attribution_ms"].items():
        lines.append(f"\n{handler}, where the import goes (-X importtime, median of {results['importtime_runs']}):")
        for row in rows:
            inside = ", ".join(f"{name} {ms}" for name, ms in row.get("biggest_inside_ms", {}).items())
            lines.append(f"  {row['ms']:>7} ms  {row['part']}" + (f"  ({inside})" if inside else ""))
    return "\n".join(lines)
