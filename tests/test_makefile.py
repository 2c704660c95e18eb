"""The deploy targets keep the API key out of logs: `make apply` prints no key and leaves no plan file
(which holds every value, the key included); `make outputs SHOW_KEY=1` prints it when asked, and the dashboard's
URL always. `make pause|resume|channels` select the environment's workspace, then hand the request to
tools/channels.py (tested with botocore's Stubber in tests/test_channels.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

KEY = "da2-this-is-the-secret-key"

# Stands in for terraform: answers outputs, and writes the plan file a real `plan -out` would write.
FAKE_TERRAFORM = f"""#!/bin/sh
echo "$*" >> "$TERRAFORM_LOG"
case "$*" in
  *"output -raw api_key_expires"*) echo "2027-02-27T17:00:00Z" ;;
  *"output -raw api_key"*) echo "{KEY}" ;;
  *"output -raw graphql_url"*) echo "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" ;;
  *"output -raw graphql_api_arn"*) echo "arn:aws:appsync:eu-central-1:123456789012:apis/example" ;;
  *"output -raw dashboard_url"*) echo "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/dev-messenger" ;;
  *" plan "*) touch "$PLAN_FILE" ;;
esac
exit 0
"""


@pytest.fixture
def fake_terraform(tmp_path: Path) -> Path:
    script = tmp_path / "terraform"
    script.write_text(FAKE_TERRAFORM)
    script.chmod(0o755)
    return script


def make(target: str, terraform: Path, *variables: str) -> str:
    env = {**os.environ, "PLAN_FILE": str(REPO_ROOT / "terraform" / "dev.tfplan"), "TERRAFORM_LOG": str(terraform.parent / "terraform.log")}
    result = subprocess.run(["make", "--no-print-directory", target, "ENV=dev", f"TERRAFORM={terraform}", *variables], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_apply_prints_the_url_but_not_the_key_and_removes_the_plan_file(fake_terraform: Path) -> None:
    output = make("apply", fake_terraform)
    assert "graphql_url = https://" in output and KEY not in output and "SHOW_KEY=1" in output
    assert not (REPO_ROOT / "terraform" / "dev.tfplan").exists()


def test_outputs_prints_the_key_only_when_asked(fake_terraform: Path) -> None:
    assert KEY not in make("outputs", fake_terraform)
    assert f"api_key     = {KEY}" in make("outputs", fake_terraform, "SHOW_KEY=1")


def test_outputs_prints_the_dashboard(fake_terraform: Path) -> None:
    assert "dashboard_url = https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/dev-messenger" in make("outputs", fake_terraform)


# Stands in for the virtualenv's python: writes the arguments it was given, one a line.
FAKE_PYTHON = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/python.args"
"""


@pytest.mark.parametrize(
    ("target", "variables", "arguments"),
    [
        ("pause", ["CHANNEL=EMAIL", 'REASON=bounce storm from the "March" import'], ["pause", "EMAIL", "--reason", 'bounce storm from the "March" import']),
        ("resume", ["CHANNEL=SMS"], ["resume", "SMS", "--reason", ""]),
        ("channels", [], ["status"]),
    ],
)
def test_channel_targets_select_the_workspace_and_hand_the_request_to_the_tool(fake_terraform: Path, target: str, variables: list[str], arguments: list[str]) -> None:
    python = fake_terraform.parent / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    make(target, fake_terraform, f"PY={python}", *variables)
    # The environment's workspace first, as make outputs does; then the tool, with the same terraform.
    assert (fake_terraform.parent / "terraform.log").read_text().splitlines() == ["-chdir=terraform workspace select dev"]
    assert (fake_terraform.parent / "python.args").read_text().splitlines() == ["-m", "tools.channels", "--terraform", str(fake_terraform), *arguments]
