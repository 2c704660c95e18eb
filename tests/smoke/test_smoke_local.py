"""The smoke test against real local stacks: it passes against a working one; against one broken on purpose it fails
with one line that names the cause; and its key is revoked after every run, passed or failed, its secret never
shown."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from local.launcher import LocalStackProcess
from tests.conftest import REPO_ROOT
from tests.smoke.conftest import (
    SECRET,
    SHORT_WAIT_SECONDS,
    Run,
    clean_env,
    deployed_env,
    deployed_smoke,
    fake_terraform,
    make,
    port,
    sent_for_run,
    smoke,
    smoke_clients,
    smoke_keys,
)

# A fictional 555-01xx number that libphonenumber deems valid (the UK's drama range, 07700 900xxx, it does not).
SMS_TO = "+14155550123"


def assert_revoked(stack: LocalStackProcess, run: Run) -> None:
    """The run's key is revoked, it said so, and no key of the smoke client is left usable."""
    keys = smoke_keys(stack)
    assert keys[run.key_id]["revokedAt"], keys[run.key_id]
    assert f"smoke: key {run.key_id} revoked" in run.stdout
    assert all(key["revokedAt"] for key in keys.values())


def assert_no_secret(stack: LocalStackProcess, run: Run) -> None:
    """No key's secret in what the run printed, nor the smoke key's in the stack's own output."""
    assert not SECRET.search(run.text), run.text
    assert f"sm_live_{run.key_id}_" not in "".join(stack.output)


# --- A working stack ---------------------------------------------------------------------------------------------


def test_the_smoke_passes_against_a_working_stack_and_revokes_its_key(stack: LocalStackProcess) -> None:
    # WHEN the smoke runs against a stack that works
    run = smoke(stack)
    # THEN it passes, and its summary names each check's outcome
    assert run.code == 0, run.text
    assert run.stderr == ""
    assert "smoke ENV=local passed in " in run.stdout
    summary = run.stdout.split("passed in ", 1)[1]
    assert "success mail                 DELIVERED after " in summary
    assert "bounce mail                  BOUNCED after " in summary
    assert "success mail PENDING -> ACCEPTED -> DELIVERED, bounce mail PENDING -> ACCEPTED -> BOUNCED" in summary
    assert "the second refused (ResolverExecutionLimitReached), one message recorded (MESSAGE#" in summary
    assert "SMS                          not sent" in summary
    # AND SES was handed exactly what the run meant: the success and bounce mails, and the double send's first only
    recipients = sorted(sent_for_run(stack, run.run_id))
    assert recipients == sorted(f"{box}+smoke-{run.run_id}{suffix}@simulator.amazonses.com" for box, suffix in (("success", ""), ("bounce", ""), ("success", "-double")))
    # AND the key is revoked, and its secret was never shown
    assert_revoked(stack, run)
    assert_no_secret(stack, run)
    # AND no address was printed: messages are named by their mailbox and id
    assert "@" not in run.text


def test_a_second_run_finds_the_smoke_client_and_makes_it_a_fresh_key(stack: LocalStackProcess) -> None:
    # GIVEN a run that made (or found) the client smoke
    first = smoke(stack)
    assert first.code == 0, first.text
    # WHEN the smoke runs again
    second = smoke(stack)
    # THEN it passes with the same client and another key, both revoked
    assert second.code == 0, second.text
    assert len(smoke_clients(stack)) == 1
    assert "client smoke created" not in second.stdout
    assert second.key_id != first.key_id and second.run_id != first.run_id
    assert_revoked(stack, first)
    assert_revoked(stack, second)


def test_make_smoke_env_local_runs_it_against_make_dev(stack: LocalStackProcess) -> None:
    run = make("smoke", "ENV=local", f"PORT={port(stack)}", env=clean_env())
    assert run.code == 0, run.text
    assert "smoke ENV=local passed in " in run.stdout
    assert_revoked(stack, run)


# --- SMS, only when asked ---------------------------------------------------------------------------------------


def smoke_playing(stack: LocalStackProcess, event: str | None, wait_seconds: str) -> Run:
    """A run with SMOKE_SMS_TO; while it waits for the SMS, `event` is played for it as SNS would report it."""
    child_env = clean_env(PORT=str(port(stack)), SMOKE_SMS_TO=SMS_TO, SMOKE_WAIT_SECONDS=wait_seconds)
    process = subprocess.Popen([sys.executable, "-m", "tools.smoke", "--env", "local"], cwd=REPO_ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(process.stderr or ()), daemon=True).start()
    stdout: list[str] = []
    for line in process.stdout or ():
        stdout.append(line)
        if event is not None and line.startswith("smoke: SMS MESSAGE#"):
            message_id = line.split()[2]
            played = stack.local("events", {"to": SMS_TO, "messageId": message_id, "event": event})
            assert played.status == 200, played.body
    code = process.wait(timeout=240)
    time.sleep(0.1)  # the stderr reader's last lines
    return Run(code, "".join(stdout), "".join(stderr))


def test_an_sms_is_sent_only_when_asked_and_its_delivery_is_awaited(stack: LocalStackProcess) -> None:
    run = smoke_playing(stack, "SMS_SUCCESS", "60")
    assert run.code == 0, run.text
    assert "SMS                          DELIVERED after " in run.stdout
    assert SMS_TO not in run.text
    assert_revoked(stack, run)


def test_an_sms_that_fails_is_reported_with_its_reason_and_what_to_check(stack: LocalStackProcess) -> None:
    run = smoke_playing(stack, "SMS_FAILURE", "60")
    assert run.code == 1, run.text
    [failure] = run.failures
    assert failure["check"] == "SMS" and "ended FAILED" in failure["seen"] and "not DELIVERED" in failure["seen"]
    assert failure["cause"].startswith("the carrier or SNS could not deliver it: the SNS SMS sandbox")
    assert_revoked(stack, run)


def test_an_sms_whose_delivery_status_never_comes_is_a_failure_that_says_why(stack: LocalStackProcess) -> None:
    # The local stack simulates no SMS outcome: nothing is played, as when delivery-status logging is off.
    run = smoke_playing(stack, None, SHORT_WAIT_SECONDS)
    assert run.code == 1, run.text
    [failure] = run.failures
    assert failure["check"] == "SMS" and failure["seen"].endswith(f"is still ACCEPTED after {SHORT_WAIT_SECONDS} s")
    assert failure["cause"].startswith("the local stack simulates no SMS outcome")
    assert_revoked(stack, run)


# --- Input refused before anything is made ---------------------------------------------------------------------


def test_bad_settings_are_refused_before_any_client_or_key_is_made(stack: LocalStackProcess) -> None:
    keys_before = smoke_keys(stack)
    for setting in ({"SMOKE_SMS_TO": "call me"}, {"SMOKE_WAIT_SECONDS": "0"}, {"SMOKE_WAIT_SECONDS": "soon"}):
        run = smoke(stack, env=setting)
        assert run.code == 2, run.text
        [name] = setting
        assert f"error: {name}" in run.stderr and "Traceback" not in run.stderr
    assert smoke_keys(stack) == keys_before


def test_a_stack_that_is_not_running_is_named(tmp_path: Path) -> None:
    # GIVEN no stack where PORT points (a port just freed)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "tools.smoke", "--env", "local"], cwd=REPO_ROOT, env=clean_env(PORT=str(free_port)), capture_output=True, text=True, timeout=60, check=False
    )
    run = Run(result.returncode, result.stdout, result.stderr)
    assert run.code == 1
    [failure] = run.failures
    assert failure["check"] == "smoke client" and failure["cause"] == "the local stack is not running there: make dev (with the same PORT)"


# --- Stacks broken on purpose ------------------------------------------------------------------------------------


def test_ses_events_that_never_arrive_name_the_events_topic_and_its_key_policy(silent_simulator_stack: LocalStackProcess, tmp_path: Path) -> None:
    stack = silent_simulator_stack
    # WHEN the smoke runs against a stack whose SES events do not arrive within the wait, locally ...
    local = smoke(stack, env={"SMOKE_WAIT_SECONDS": SHORT_WAIT_SECONDS})
    # THEN it fails with one line: the mails stay ACCEPTED, for want of SES's events
    assert local.code == 1, local.text
    [failure] = local.failures
    assert failure["check"] == "email" and failure["seen"] == f"every mail to SES's mailbox simulator is still ACCEPTED after {SHORT_WAIT_SECONDS} s"
    assert failure["cause"].startswith("SES events are not arriving: the local stack's mailbox simulator has not played them")
    assert_revoked(stack, local)
    assert_no_secret(stack, local)
    # AND as a deployed environment, the line names what to check in AWS: the topic's KMS key policy first
    deployed = deployed_smoke(stack, tmp_path, SMOKE_WAIT_SECONDS=SHORT_WAIT_SECONDS)
    assert deployed.code == 1, deployed.text
    [failure] = deployed.failures
    assert failure["cause"].startswith("SES events are not arriving: check the SES events topic's KMS key policy")
    assert "aws:SourceAccount" in failure["cause"] and "event destination" in failure["cause"]
    assert_revoked(stack, deployed)
    assert "smoke ENV=dev failed: fix the cause above, then make smoke ENV=dev again" in deployed.stderr


def test_a_run_stopped_while_it_waits_still_revokes_its_key(silent_simulator_stack: LocalStackProcess) -> None:
    # GIVEN a run waiting for events that will not come
    stack = silent_simulator_stack
    child_env = clean_env(PORT=str(port(stack)), SMOKE_WAIT_SECONDS="120")
    process = subprocess.Popen([sys.executable, "-m", "tools.smoke", "--env", "local"], cwd=REPO_ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout: list[str] = []
    for line in process.stdout or ():
        stdout.append(line)
        if "sent: waiting up to" in line:
            # WHEN it is stopped, as make stops its commands
            process.send_signal(signal.SIGTERM)
    # THEN it ends at once, having revoked its key
    code = process.wait(timeout=60)
    run = Run(code, "".join(stdout), process.stderr.read() if process.stderr else "")
    assert code == 143, run.text
    assert_revoked(stack, run)


def test_every_request_refused_by_the_resolver_limit_names_resolver_count_limit(limit_refusing_stack: LocalStackProcess, tmp_path: Path) -> None:
    stack = limit_refusing_stack
    # WHEN the smoke runs against a stack that refuses every request with ResolverExecutionLimitReached ...
    local = smoke(stack)
    # THEN its first request fails, with one line naming the limit; no key was made
    assert local.code == 1, local.text
    [failure] = local.failures
    assert failure["check"] == "smoke client" and failure["seen"].startswith("ResolverExecutionLimitReached: ")
    assert failure["cause"].startswith("the local stack's RESOLVER_COUNT_LIMIT is below 1")
    assert "key" not in local.stdout
    # AND as a deployed environment, the line says AppSync counts pipeline functions, and what to raise it to
    deployed = deployed_smoke(stack, tmp_path)
    assert deployed.code == 1, deployed.text
    [failure] = deployed.failures
    manifest = json.loads((REPO_ROOT / "graphql" / "manifest.json").read_text())
    longest = max(len(resolver["pipeline"]) for resolver in manifest["resolvers"].values())
    assert failure["cause"].startswith(
        f"AppSync counts a pipeline's functions against resolver_count_limit: raise resolver_count_limit in envs/dev.tfvars to {longest + 1} "
    )
    assert failure["cause"].endswith("and make apply ENV=dev")


def test_a_resolver_limit_above_one_lets_a_double_send_through_and_fails_the_smoke(two_resolver_stack: LocalStackProcess) -> None:
    stack = two_resolver_stack
    run = smoke(stack)
    assert run.code == 1, run.text
    [failure] = run.failures
    assert failure["check"] == "one send per request" and failure["seen"] == "both sendMessage of one request ran"
    assert failure["cause"].startswith("the resolver count limit is above 1, so one request may send many messages")
    # AND the failure is real: SES was handed both sends of that one request
    assert sent_for_run(stack, run.run_id).count(f"success+smoke-{run.run_id}-double@simulator.amazonses.com") == 2
    assert_revoked(stack, run)


# --- make apply ends with the smoke ----------------------------------------------------------------------------------


def test_make_apply_prints_the_outputs_then_runs_the_smoke(stack: LocalStackProcess, tmp_path: Path) -> None:
    # GIVEN dev "deployed" as the local stack (terraform answers its outputs)
    terraform = fake_terraform(tmp_path)
    plan_file = tmp_path / "dev.tfplan"
    env = deployed_env(stack, tmp_path, PLAN_FILE=str(plan_file))
    # WHEN dev is applied
    run = make("apply", "ENV=dev", f"TERRAFORM={terraform}", "TERRAFORM_REGISTRY=", env=env)
    # THEN the outputs are printed, then the smoke runs against the environment and passes
    assert run.code == 0, run.text
    assert run.stdout.index("graphql_url = ") < run.stdout.index("smoke: run ") < run.stdout.index("smoke ENV=dev passed in ")
    assert not plan_file.exists()
    assert_revoked(stack, run)


def test_make_apply_fails_when_its_smoke_fails(silent_simulator_stack: LocalStackProcess, tmp_path: Path) -> None:
    terraform = fake_terraform(tmp_path)
    env = deployed_env(silent_simulator_stack, tmp_path, PLAN_FILE=str(tmp_path / "dev.tfplan"), SMOKE_WAIT_SECONDS=SHORT_WAIT_SECONDS)
    run = make("apply", "ENV=dev", f"TERRAFORM={terraform}", "TERRAFORM_REGISTRY=", env=env)
    assert run.code != 0
    assert "graphql_url = " in run.stdout
    [failure] = run.failures
    assert failure["check"] == "email" and "aws:SourceAccount" in failure["cause"]
