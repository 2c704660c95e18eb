"""`make test`: the checks side by side, each one's output printed whole when it ends, a failure in any failing all.

    python -m tools.test_steps lint-js lint-python checkov terraform-test test-python

Each step is `make <step>`, started at once: on two cores the lints, checkov and Terraform fill the time pytest
spends waiting on its stacks, browsers and timers. A step's output goes to a file while it runs (interleaved
lines of five tools read as nothing), then is printed under a `[make test] <step>: ok|FAILED (<seconds> s)` line as soon
as it ends. Then every step's verdict and time, which failed, and pytest's output last, so that its summary closes
the run. It exits 1 if any step failed; every step still runs to its end, so one run shows every failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Printed last, whatever the order the steps end in: its closing line is the run's test count.
LAST = "test-python"


@dataclass
class Step:
    name: str
    output: Path
    process: subprocess.Popen[bytes] | None = None
    seconds: float = 0.0
    returncode: int | None = None

    @property
    def verdict(self) -> str:
        return "ok" if self.returncode == 0 else "FAILED"


def run(names: list[str], folder: Path) -> list[Step]:
    steps = [Step(name, folder / f"{name}.log") for name in names]
    ended: list[Step] = []
    changed = threading.Condition()

    def watch(step: Step) -> None:
        began = time.monotonic()
        with step.output.open("wb") as output:
            # Its own process group, so that an interrupt stops the step's whole tree.
            step.process = subprocess.Popen(
                ["make", "--no-print-directory", step.name], cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            step.returncode = step.process.wait()
        step.seconds = time.monotonic() - began
        with changed:
            ended.append(step)
            changed.notify_all()

    started = time.monotonic()
    print(f"[make test] {', '.join(names)}, side by side", flush=True)
    for step in steps:
        threading.Thread(target=watch, args=(step,), daemon=True).start()
    try:
        for shown in range(len(steps)):
            with changed:
                while len(ended) <= shown:
                    changed.wait()
                done = ended[shown]
            if done.name != LAST:
                show(done)
            else:
                print(f"[make test] {done.name}: {done.verdict} ({done.seconds:.0f} s), its output last", flush=True)
    except KeyboardInterrupt:
        for step in steps:
            if step.process is not None and step.process.poll() is None:
                os.killpg(step.process.pid, signal.SIGINT)
        raise
    failed = [step.name for step in steps if step.returncode != 0]
    print("[make test] " + "   ".join(f"{step.name} {step.verdict} {step.seconds:.0f} s" for step in steps), flush=True)
    print(f"[make test] {'FAILED: ' + ', '.join(failed) if failed else 'all passed'} in {time.monotonic() - started:.0f} s", flush=True)
    last = next((step for step in steps if step.name == LAST), None)
    if last is not None:
        show(last)
    return steps


def show(step: Step) -> None:
    print(f"[make test] {step.name}: {step.verdict} ({step.seconds:.0f} s)", flush=True)
    with step.output.open("rb") as output:
        sys.stdout.buffer.write(output.read())
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tools.test_steps STEP... (make targets)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="make-test-") as folder:
        steps = run(argv, Path(folder))
    return 0 if all(step.returncode == 0 for step in steps) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
