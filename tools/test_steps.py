"""`make test`: the checks side by side, each one's output printed whole when it ends, a failure in any failing all.

    python -m tools.test_steps lint-js lint-python checkov terraform-test test-python

Each step is `make <step>`, started at once: on two cores the lints, checkov and Terraform fill the time pytest
spends waiting on its stacks, browsers and timers. A step's output goes to a file while it runs (interleaved
lines of five tools read as nothing), then is printed under a `[make test] <step>: ok|FAILED (<seconds> s)` line as soon
as it ends. Then every step's verdict and time, which failed, and pytest's output last, so that its summary closes
the run. It exits 1 if any step failed; every step still runs to its end, so one run shows every failure.

Stopped (Ctrl-C, or SIGTERM or SIGHUP as a CI runner cancels a job), it hands the signal to every step's process
group, gives them GRACE_SECONDS to stop (pytest closes its stacks and browsers), kills what is left, and exits
128 + the signal's number: nothing it started outlives it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

REPO_ROOT = Path(__file__).resolve().parent.parent
# Printed last, whatever the order the steps end in: its closing line is the run's test count.
LAST = "test-python"
# The other steps run at a lower priority (nice): pytest takes longest and half the time waits on its stacks'
# timers, so on two cores the lints, checkov and Terraform run in those gaps rather than slowing pytest down.
# The same work gets done either way; the run ends sooner.
NICENESS = 10
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 10.0


class Stopped(Exception):
    """A stop signal arrived; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# How often the run, waiting for a step to end, looks whether a stop signal came: the handler only notes the
# signal, since an exception raised from it inside Condition.wait can leave the condition's lock half released.
STOP_POLL_SECONDS = 0.1


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


class Steps:
    """The steps of one run, each watched by a thread, and the one lock that orders their starts, ends and a stop."""

    def __init__(self, names: list[str], folder: Path, cwd: Path) -> None:
        self.steps = [Step(name, folder / f"{name}.log") for name in names]
        self.cwd = cwd
        self.ended: list[Step] = []
        self.changed = threading.Condition()
        self.stopping: int | None = None

    def start(self) -> None:
        for step in self.steps:
            threading.Thread(target=self._watch, args=(step,), daemon=True).start()

    def _watch(self, step: Step) -> None:
        began = time.monotonic()
        try:
            with step.output.open("wb") as output:
                with self.changed:
                    if self.stopping is not None:
                        return
                    # Its own process group, so that a stop reaches the step's whole tree.
                    command = ["make", "--no-print-directory", step.name]
                    if step.name != LAST and shutil.which("nice"):
                        command = ["nice", "-n", str(NICENESS), *command]
                    step.process = subprocess.Popen(
                        command, cwd=self.cwd, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                    )
                step.returncode = step.process.wait()
        except OSError as error:
            step.output.write_text(f"[make test] {step.name} could not start: {error}\n")
        finally:
            # Whatever happened, the step has ended: the run never waits on it forever.
            step.seconds = time.monotonic() - began
            if step.returncode is None:
                step.returncode = 1
            with self.changed:
                self.ended.append(step)
                self.changed.notify_all()

    def next_ended(self, shown: int, signals: list[int]) -> Step:
        """The `shown`-th step to end, once it has; Stopped if a stop signal is noted in `signals` first."""
        while True:
            with self.changed:
                if len(self.ended) > shown:
                    return self.ended[shown]
                self.changed.wait(STOP_POLL_SECONDS)
            if signals:
                raise Stopped(signals[0])

    def stop(self, signum: int) -> None:
        """Hands `signum` to every running step's group, waits up to GRACE_SECONDS for them, then kills the rest."""
        with self.changed:
            self.stopping = signum
        self._signal_running(signum)
        if not self._wait_all(GRACE_SECONDS):
            self._signal_running(signal.SIGKILL)
            self._wait_all(GRACE_SECONDS)

    def _signal_running(self, signum: int) -> None:
        with self.changed:
            running = [step.process for step in self.steps if step.process is not None and step not in self.ended]
        for process in running:
            try:
                os.killpg(process.pid, signum)
            except ProcessLookupError:
                pass

    def _wait_all(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self.changed:
            while len(self.ended) < len(self.steps) and self.changed.wait(max(0.0, deadline - time.monotonic())):
                pass
            return len(self.ended) == len(self.steps)


def run(names: list[str], folder: Path, cwd: Path = REPO_ROOT) -> list[Step]:
    steps = Steps(names, folder, cwd)
    started = time.monotonic()
    signals: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        signals.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in STOP_SIGNALS}
    try:
        print(f"[make test] {', '.join(names)}, side by side", flush=True)
        steps.start()
        for shown in range(len(names)):
            done = steps.next_ended(shown, signals)
            if done.name != LAST:
                show(done)
            else:
                print(f"[make test] {done.name}: {done.verdict} ({done.seconds:.0f} s), its output last", flush=True)
    except Stopped as stop:
        # A second signal while the steps stop would cut the wait short: they are being stopped already.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        steps.stop(stop.signum)
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    failed = [step.name for step in steps.steps if step.returncode != 0]
    print("[make test] " + "   ".join(f"{step.name} {step.verdict} {step.seconds:.0f} s" for step in steps.steps), flush=True)
    print(f"[make test] {'FAILED: ' + ', '.join(failed) if failed else 'all passed'} in {time.monotonic() - started:.0f} s", flush=True)
    last = next((step for step in steps.steps if step.name == LAST), None)
    if last is not None:
        show(last)
    return steps.steps


def show(step: Step) -> None:
    print(f"[make test] {step.name}: {step.verdict} ({step.seconds:.0f} s)", flush=True)
    with step.output.open("rb") as output:
        sys.stdout.buffer.write(output.read())
    sys.stdout.flush()


def main(argv: list[str], cwd: Path = REPO_ROOT) -> int:
    if not argv:
        print("usage: python -m tools.test_steps STEP... (make targets)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="make-test-") as folder:
        try:
            steps = run(argv, Path(folder), cwd)
        except Stopped as stop:
            print(f"[make test] stopped by {signal.Signals(stop.signum).name}: every step was stopped", flush=True)
            return 128 + stop.signum
    return 0 if all(step.returncode == 0 for step in steps) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
