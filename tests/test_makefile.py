"""The deploy targets keep the API key out of logs: `make apply` prints no key and leaves no plan file
(which holds every value, the key included); `make outputs SHOW_KEY=1` prints it when asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

KEY = "da2-this-is-the-secret-key"

# Stands in for terraform: answers outputs, and writes the plan file a real `plan -out` would write.
FAKE_TERRAFORM = f"""#!/bin/sh
case "$*" in
  *"output -raw api_key_expires"*) echo "2027-02-27T17:00:00Z" ;;
  *"output -raw api_key"*) echo "{KEY}" ;;
  *"output -raw graphql_url"*) echo "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" ;;
  *"output -raw graphql_api_arn"*) echo "arn:aws:appsync:eu-central-1:123456789012:apis/example" ;;
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
    env = {**os.environ, "PLAN_FILE": str(REPO_ROOT / "terraform" / "dev.tfplan")}
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
