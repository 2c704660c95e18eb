"""tools/test_steps.py, which `make test` runs: its steps side by side, their verdicts, and a stop that leaves nothing
running. Each test runs it in its own process on a Makefile of stand-in steps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# A step that ignores SIGTERM must be killed after the grace period; short here, so that the test is quick.
GRACE_SECONDS = 1.0
MAKEFILE = """\
ok:
\t@echo ok-output
fails:
\t@echo fails-output; exit 3
test-python:
\t@echo '1 passed'
sleeps:
\t@echo $$$$ > {pids}/sleeps.pid; exec sleep 60
stubborn:
\t@sh -c 'trap "" TERM INT HUP; echo $$$$ > {pids}/stubborn.pid; while :; do sleep 1; done'
niceness:
\t@echo "niceness $$(nice)"
"""


@pytest.fixture
def steps(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    (tmp_path / "Makefile").write_text(MAKEFILE.format(pids=tmp_path))
    started: list[subprocess.Popen[str]] = []

    def start(*names: str, last: str = "test-python") -> subprocess.Popen[str]:
        code = (
            "import sys; from pathlib import Path; import tools.test_steps as steps; "
            f"steps.GRACE_SECONDS = {GRACE_SECONDS}; steps.LAST = {last!r}; "
            f"sys.exit(steps.main(sys.argv[1:], cwd=Path({str(tmp_path)!r})))"
        )
        env = {name: value for name, value in os.environ.items() if not name.startswith("MAKE")}
        process = subprocess.Popen([sys.executable, "-c", code, *names], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def pid_in(path: Path) -> int:
    deadline = time.monotonic() + 30
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path.name} was never written: the step did not start"
        time.sleep(0.05)
    return int(path.read_text())


def ended(pid: int) -> bool:
    """Whether the process has ended: gone, or a zombie (killed, its parent gone, not yet reaped by init). A
    killed process takes a moment to exit on a busy machine, so this waits a few seconds for it."""
    deadline = time.monotonic() + 5
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_a_failing_step_fails_the_run_and_every_steps_output_is_shown_with_the_tests_last(steps: Callable[..., subprocess.Popen[str]]) -> None:
    # WHEN a passing, a failing and the pytest step run side by side
    run = steps("test-python", "ok", "fails")
    output, _ = run.communicate(timeout=60)
    # THEN the run says which failed, shows each step's own output, and ends with the tests' output
    assert run.returncode == 1 and "[make test] FAILED: fails in " in output
    assert "ok-output" in output and "fails-output" in output
    assert output.rstrip().endswith("1 passed")


def test_the_run_exits_non_zero_when_a_step_fails_and_zero_when_all_pass(steps: Callable[..., subprocess.Popen[str]]) -> None:
    failing = steps("ok", "fails")
    failing.communicate(timeout=60)
    passing = steps("ok", "test-python")
    output, _ = passing.communicate(timeout=60)
    assert failing.returncode == 1
    assert passing.returncode == 0 and "[make test] all passed in " in output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_reaches_every_step_and_nothing_outlives_the_run(steps: Callable[..., subprocess.Popen[str]], tmp_path: Path, signum: signal.Signals) -> None:
    # GIVEN a run with a step that sleeps and one that ignores every stop signal
    run = steps("sleeps", "stubborn", "ok")
    sleeper, stubborn = pid_in(tmp_path / "sleeps.pid"), pid_in(tmp_path / "stubborn.pid")
    # WHEN the run is stopped, as a CI runner cancels a job or a developer presses Ctrl-C
    run.send_signal(signum)
    output, _ = run.communicate(timeout=30)
    # THEN it exits as stopped by that signal, saying so in one line
    assert run.returncode == 128 + signum, output
    assert f"[make test] stopped by {signum.name}: every step was stopped" in output
    assert "Traceback" not in output
    # AND neither step is left running: the sleeper stopped on the signal, the stubborn one was killed
    assert ended(sleeper) and ended(stubborn)


def test_a_step_that_cannot_start_ends_the_run_as_failed_rather_than_hanging(steps: Callable[..., subprocess.Popen[str]], tmp_path: Path) -> None:
    # GIVEN a step whose folder has no make to run (the PATH holds nothing)
    code = (
        "import os, sys; from pathlib import Path; import tools.test_steps as steps; os.environ['PATH'] = ''; "
        f"sys.exit(steps.main(['ok'], cwd=Path({str(tmp_path)!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    # THEN the run ends, failed, and says why
    assert result.returncode == 1
    assert "[make test] ok could not start:" in result.stdout


@pytest.mark.parametrize(("last", "added"), [("test-python", 10), ("niceness", 0)], ids=["another step", "the last step"])
def test_every_step_but_the_last_runs_at_a_lower_priority(steps: Callable[..., subprocess.Popen[str]], last: str, added: int) -> None:
    # GIVEN a run whose step reports its niceness
    run = steps("niceness", "test-python", last=last)
    output, _ = run.communicate(timeout=30)
    # THEN a step other than the last (pytest's, the longest) runs nicer than the run itself; the last, as nice
    assert run.returncode == 0, output
    assert f"niceness {min(19, os.nice(0) + added)}" in output.splitlines(), output
