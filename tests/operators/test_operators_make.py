"""The operators' make targets: what they hand the tool (through the environment, so quotes survive), the
workspace they select for a deployed environment and not for ENV=local; and the deployed path end to end: the
URL and region from `terraform output`, credentials from boto3's default chain, signed by botocore."""

from __future__ import annotations

import argparse
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from local.config import Settings
from local.launcher import LocalStackProcess
from tests.conftest import REPO_ROOT
from tests.operators.conftest import make
from tools import operators as operators_tool
from tools.operators import expiry

# Stands in for terraform: logs its arguments and answers the outputs the tool reads.
FAKE_TERRAFORM = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/terraform.log"
case "$*" in
  *"output -raw graphql_url"*) echo "$FAKE_GRAPHQL_URL" ;;
  *"output -raw region"*) echo "$FAKE_REGION" ;;
esac
exit 0
"""
# Stands in for the virtualenv's python: writes the arguments it was given, one a line.
FAKE_PYTHON = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/python.args"
"""
# Every variable the targets read, so that none leaks in from the environment the tests run in.
VARIABLES = ("NAME", "CLIENT", "KEY", "MODE", "EXPIRES", "EMAIL_PER_DAY", "SMS_PER_DAY", "FIRST", "AFTER")


@pytest.fixture
def fakes(tmp_path: Path) -> tuple[Path, Path]:
    for name, text in (("terraform", FAKE_TERRAFORM), ("python", FAKE_PYTHON)):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    return tmp_path / "terraform", tmp_path / "python"


def clean_env(**values: str) -> dict[str, str]:
    return {**{name: "" for name in VARIABLES}, **values}


TARGETS = [
    ("client", ['NAME=the "corner" shop', "SMS_PER_DAY=20"], ["create-client", '--name=the "corner" shop', "--email-per-day=", "--sms-per-day=20"]),
    ("key", ["CLIENT=01ARZ3NDEKTSV4RRFFQ69G5FAV", "MODE=TEST", "EXPIRES=2027-06-30"], ["create-key", "--client=01ARZ3NDEKTSV4RRFFQ69G5FAV", "--mode=TEST", "--expires=2027-06-30"]),
    ("key", ["CLIENT=shop"], ["create-key", "--client=shop", "--mode=", "--expires="]),
    ("revoke", ["KEY=01ARZ3NDEKTSV4RRFFQ69G5FAV"], ["revoke", "--key=01ARZ3NDEKTSV4RRFFQ69G5FAV"]),
    ("clients", [], ["clients", "--client="]),
    ("limits", ["CLIENT=shop", "EMAIL_PER_DAY=5000", "SMS_PER_DAY=100"], ["limits", "--client=shop", "--email-per-day=5000", "--sms-per-day=100"]),
    ("audit", ["AFTER=01ARZ3NDEKTSV4RRFFQ69G5FAV"], ["audit", "--first=", "--after=01ARZ3NDEKTSV4RRFFQ69G5FAV"]),
]


@pytest.mark.parametrize(("target", "variables", "arguments"), TARGETS)
def test_a_deployed_environments_target_selects_its_workspace_then_hands_the_request_to_the_tool(
    fakes: tuple[Path, Path], target: str, variables: list[str], arguments: list[str]
) -> None:
    terraform, python = fakes
    run = make(target, "ENV=dev", f"TERRAFORM={terraform}", f"PY={python}", *variables, env=clean_env())
    assert run.code == 0, run.stdout + run.stderr
    assert (terraform.parent / "terraform.log").read_text().splitlines() == ["-chdir=terraform workspace select dev"]
    assert (python.parent / "python.args").read_text().splitlines() == ["-m", "tools.operators", "--env", "dev", "--terraform", str(terraform), *arguments]


@pytest.mark.parametrize(("target", "variables", "arguments"), TARGETS[:2])
def test_env_local_needs_no_tfvars_and_no_terraform(fakes: tuple[Path, Path], target: str, variables: list[str], arguments: list[str]) -> None:
    terraform, python = fakes
    assert not (REPO_ROOT / "envs" / "local.tfvars").exists()
    run = make(target, "ENV=local", f"TERRAFORM={terraform}", f"PY={python}", *variables, env=clean_env())
    assert run.code == 0, run.stdout + run.stderr
    assert not (terraform.parent / "terraform.log").exists()
    assert (python.parent / "python.args").read_text().splitlines() == ["-m", "tools.operators", "--env", "local", "--terraform", str(terraform), *arguments]


@pytest.mark.parametrize("env", ["", "qa"])
def test_a_cloud_environment_still_needs_its_tfvars(fakes: tuple[Path, Path], env: str) -> None:
    terraform, python = fakes
    run = make("clients", f"ENV={env}", f"TERRAFORM={terraform}", f"PY={python}", env=clean_env())
    assert run.code != 0 and ("usage: make clients ENV=" in run.stdout or "envs/qa.tfvars does not exist" in run.stdout)
    assert not (python.parent / "python.args").exists() and not (terraform.parent / "terraform.log").exists()


def aws_env(tmp_path: Path, **credentials: str) -> dict[str, str]:
    """An environment whose only AWS credentials are the ones given (no profile, no files, no instance role)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    missing = str(tmp_path / "missing")
    return {**env, "AWS_CONFIG_FILE": missing, "AWS_SHARED_CREDENTIALS_FILE": missing, "AWS_EC2_METADATA_DISABLED": "true", **credentials}


def test_a_deployed_environment_is_called_at_its_terraform_url_signed_with_the_default_credential_chain(
    stack: LocalStackProcess, fakes: tuple[Path, Path], tmp_path: Path
) -> None:
    # GIVEN an "environment" whose graphql_url output is the local stack, and the operator's credentials in the
    # environment variables boto3's chain reads (the stack checks signatures against these)
    terraform, _ = fakes
    settings = Settings()
    env = aws_env(tmp_path, AWS_ACCESS_KEY_ID=settings.access_key_id, AWS_SECRET_ACCESS_KEY=settings.secret_access_key)
    env |= clean_env(FAKE_GRAPHQL_URL=stack.graphql_url, FAKE_REGION=settings.table_region)
    # WHEN the operator lists its clients
    run = make("clients", "ENV=dev", f"TERRAFORM={terraform}", env=env)
    # THEN the workspace was selected and the URL and region read from it, and the signed request was accepted
    assert run.code == 0, run.stdout + run.stderr
    assert (terraform.parent / "terraform.log").read_text().splitlines() == [
        "-chdir=terraform workspace select dev",
        "-chdir=terraform output -raw graphql_url",
        "-chdir=terraform output -raw region",
    ]
    assert run.stdout.startswith("CLIENT ") and "\ndefault " in run.stdout


def test_a_request_signed_for_another_region_is_refused(stack: LocalStackProcess, fakes: tuple[Path, Path], tmp_path: Path) -> None:
    terraform, _ = fakes
    settings = Settings()
    env = aws_env(tmp_path, AWS_ACCESS_KEY_ID=settings.access_key_id, AWS_SECRET_ACCESS_KEY=settings.secret_access_key)
    env |= clean_env(FAKE_GRAPHQL_URL=stack.graphql_url, FAKE_REGION="us-west-2")
    run = make("clients", "ENV=dev", f"TERRAFORM={terraform}", env=env)
    assert run.code != 0 and run.stdout == ""
    assert "operators: IncompleteSignatureException: " in run.stderr and "Traceback" not in run.stderr


def test_no_credentials_is_an_error_that_says_so(fakes: tuple[Path, Path], tmp_path: Path) -> None:
    terraform, _ = fakes
    env = aws_env(tmp_path) | clean_env(FAKE_GRAPHQL_URL="https://example.appsync-api.eu-central-1.amazonaws.com/graphql", FAKE_REGION="eu-central-1")
    run = make("clients", "ENV=dev", f"TERRAFORM={terraform}", env=env)
    assert run.code != 0 and "operators: no AWS credentials found" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("2027-06-30", "2027-06-30T00:00:00Z"),
        ("2027-06-30T12:30:00Z", "2027-06-30T12:30:00Z"),
        ("2027-06-30T14:30:00+02:00", "2027-06-30T12:30:00Z"),
        ("", None),
    ],
)
def test_an_expiry_is_sent_as_an_aws_datetime_in_utc(given: str, sent: str | None) -> None:
    assert expiry(given) == sent


@pytest.mark.parametrize("given", ["2027-06-30T12:30:00", "next week", "2027-13-01"])
def test_an_expiry_without_a_time_zone_or_not_a_date_is_refused(given: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        expiry(given)


class NotGraphQL(BaseHTTPRequestHandler):
    """Answers as something in front of the API might: a 403 page naming AWS's error type in a header."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(403)
        self.send_header("x-amzn-ErrorType", "ForbiddenException:http://internal.amazon.com/coral/com.amazon.coral.service/")
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>Forbidden</body></html>")

    def log_message(self, *_: object) -> None:
        pass


def test_an_answer_that_is_not_graphql_prints_awss_error_type_without_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotGraphQL)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        code = operators_tool.main(["--env", "dev", "clients"], output=lambda _terraform, name: {"graphql_url": url, "region": "eu-central-1"}[name])
    finally:
        server.shutdown()
        server.server_close()
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err == f"operators: ForbiddenException: {url} answered HTTP 403, which is not a GraphQL answer\n"
