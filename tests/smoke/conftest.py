"""The smoke test (tools/smoke.py) run as an operator runs it, `python -m tools.smoke` or `make smoke|apply`, against
real local stacks (local/launcher.py): one that works, and ones broken on purpose the way a deployment can be."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.credentials import Credentials

from local.config import Settings
from local.launcher import LocalStackProcess, running_stack
from tests.conftest import REPO_ROOT
from tools.operators import Endpoint, call

API_KEY = "smoke-test-api-key"
# The wait of the runs that must fail for want of an event: long enough for every request of a run on a busy
# machine, far shorter than the broken stack's simulator delay.
SHORT_WAIT_SECONDS = "3"
KEY_MADE = re.compile(r"LIVE key (?P<id>[0-9A-HJKMNP-TV-Z]{26}) made for client smoke \((?P<client>[0-9A-HJKMNP-TV-Z]{26})\)")
RUN_ID = re.compile(r"^smoke: run (?P<run>\S+) of ENV=", re.MULTILINE)
SECRET = re.compile(r"sm_(live|test)_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}")
FAILED = re.compile(r"^smoke: FAILED (?P<check>[^:]+): (?P<seen>.*); likely cause: (?P<cause>.*)$", re.MULTILINE)

# Stands in for terraform in a "deployed" environment whose API is a local stack: answers the outputs the smoke
# and `make apply` read, logs its arguments, and writes the plan file a real `plan -out` would.
FAKE_TERRAFORM = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/terraform.log"
case "$*" in
  *"workspace list"*) printf '  default\\n* dev\\n\\n' ;;
  *"output -json"*) echo '{"graphql_url": {"sensitive": false, "type": "string", "value": "'"$FAKE_GRAPHQL_URL"'"}}' ;;
  *"output -raw graphql_url"*) echo "$FAKE_GRAPHQL_URL" ;;
  *"output -raw region"*) echo "$FAKE_REGION" ;;
  *"output -raw graphql_api_arn"*) echo "arn:aws:appsync:eu-central-1:123456789012:apis/example" ;;
  *"output -raw dashboard_url"*) echo "https://eu-central-1.console.aws.amazon.com/cloudwatch/home#dashboards/dashboard/dev-messenger" ;;
  *"output -raw api_key_expires"*) echo "2027-02-27T17:00:00Z" ;;
  *" plan "*) touch "$PLAN_FILE" ;;
esac
exit 0
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    @property
    def key_id(self) -> str:
        match = KEY_MADE.search(self.stdout)
        assert match, self.text
        return match["id"]

    @property
    def run_id(self) -> str:
        match = RUN_ID.search(self.stdout)
        assert match, self.text
        return match["run"]

    @property
    def failures(self) -> list[dict[str, str]]:
        return [match.groupdict() for match in FAILED.finditer(self.stderr)]


def port(stack: LocalStackProcess) -> int:
    return int(urlsplit(stack.graphql_url).port or 0)


def clean_env(**values: str) -> dict[str, str]:
    """The test's environment without any smoke setting or AWS credentials of its own, plus `values`."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "SMOKE_"))}
    return {**inherited, **values}


def smoke(stack: LocalStackProcess, *arguments: str, env: dict[str, str] | None = None) -> Run:
    """`python -m tools.smoke --env local` against the stack, in a process of its own, as `make smoke` runs it."""
    child_env = clean_env(PORT=str(port(stack)), **(env or {}))
    result = subprocess.run(
        [sys.executable, "-m", "tools.smoke", "--env", "local", *arguments], cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, timeout=240, check=False
    )
    return Run(result.returncode, result.stdout, result.stderr)


def deployed_env(stack: LocalStackProcess, tmp_path: Path, **values: str) -> dict[str, str]:
    """The environment of an operator whose "deployed" environment is the stack: its URL and region from the fake
    terraform, the operator's credentials where boto3's chain finds them (the stack checks signatures against them)."""
    settings = Settings()
    missing = str(tmp_path / "no-aws-config")
    return clean_env(
        FAKE_GRAPHQL_URL=stack.graphql_url,
        FAKE_REGION=settings.table_region,
        AWS_ACCESS_KEY_ID=settings.access_key_id,
        AWS_SECRET_ACCESS_KEY=settings.secret_access_key,
        AWS_CONFIG_FILE=missing,
        AWS_SHARED_CREDENTIALS_FILE=missing,
        AWS_EC2_METADATA_DISABLED="true",
        **values,
    )


def fake_terraform(tmp_path: Path) -> Path:
    path = tmp_path / "terraform"
    path.write_text(FAKE_TERRAFORM)
    path.chmod(0o755)
    return path


def deployed_smoke(stack: LocalStackProcess, tmp_path: Path, **values: str) -> Run:
    """`python -m tools.smoke --env dev` where dev's outputs name the stack: the path a deployed environment takes."""
    result = subprocess.run(
        [sys.executable, "-m", "tools.smoke", "--env", "dev", "--terraform", str(fake_terraform(tmp_path))],
        cwd=REPO_ROOT,
        env=deployed_env(stack, tmp_path, **values),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def make(target: str, *variables: str, env: dict[str, str]) -> Run:
    result = subprocess.run(["make", "--no-print-directory", target, *variables], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return Run(result.returncode, result.stdout, result.stderr)


def signed(stack: LocalStackProcess, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    """An operators' document sent in this process, signed as the stack expects: to look at its state after a run."""
    settings = Settings()
    endpoint = Endpoint("local", stack.graphql_url, settings.table_region, Credentials(settings.access_key_id, settings.secret_access_key))
    return call(endpoint, name, variables)


def smoke_clients(stack: LocalStackProcess) -> list[dict[str, Any]]:
    return [client for client in signed(stack, "clients", {"first": 100})["clients"]["data"] if client["name"] == "smoke"]


def smoke_keys(stack: LocalStackProcess) -> dict[str, dict[str, Any]]:
    """Every key of the client named smoke, by id."""
    return {key["id"]: key for client in smoke_clients(stack) for key in client["keys"]}


def sent_for_run(stack: LocalStackProcess, run_id: str) -> list[str]:
    """The recipients of the emails SES accepted for a run (the outbox), one entry per email."""
    return [to for entry in stack.outbox() if entry["channel"] == "EMAIL" for to in entry["to"] if f"smoke-{run_id}" in to]


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStackProcess]:
    """A working stack, as make dev runs it (its SES mailbox simulator answers after 1 s)."""
    with running_stack(API_KEY) as running:
        yield running


@pytest.fixture(scope="session")
def silent_simulator_stack() -> Iterator[LocalStackProcess]:
    """A stack whose SES events never arrive in a run's time: as when SES's KMS calls for the events topic are refused."""
    with running_stack(API_KEY, {"SES_SIMULATOR_DELAY_SECONDS": "3600"}) as running:
        yield running


@pytest.fixture(scope="session")
def limit_refusing_stack() -> Iterator[LocalStackProcess]:
    """A stack that refuses every request with ResolverExecutionLimitReached: as AppSync would if it counted a
    pipeline's functions against resolver_count_limit = 1."""
    with running_stack(API_KEY, {"RESOLVER_COUNT_LIMIT": "0"}) as running:
        yield running


@pytest.fixture(scope="session")
def two_resolver_stack() -> Iterator[LocalStackProcess]:
    """A stack that runs two resolvers a request: resolver_count_limit set above 1."""
    with running_stack(API_KEY, {"RESOLVER_COUNT_LIMIT": "2"}) as running:
        yield running
