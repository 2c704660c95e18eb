"""The IAM example of docs/api.md ("Calling with IAM"), saved as sign.py and run as the docs say against the local
stack: it erases with the right credentials, and when refused it prints AppSync's answer, errorType included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local.config import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from local.manifest import REPO_ROOT
from tests.e2e.conftest import LocalApi
from tests.markdown import code_blocks


@pytest.fixture(scope="module")
def sign_py(tmp_path_factory: pytest.TempPathFactory) -> Path:
    [example] = code_blocks((REPO_ROOT / "docs" / "api.md").read_text(), "Calling with IAM", "python")
    path = tmp_path_factory.mktemp("iam") / "sign.py"
    path.write_text(example)
    return path


def run_sign_py(sign_py: Path, api: LocalApi, access_key: str, secret: str) -> subprocess.CompletedProcess[str]:
    """`API=... AWS_REGION=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... python sign.py`, with no other
    credentials (profile, session token, config files) in reach."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        API=api.graphql_url,
        AWS_REGION="eu-central-1",
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return subprocess.run([sys.executable, str(sign_py)], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_example_erases_with_the_stacks_credentials(sign_py: Path, api: LocalApi) -> None:
    done = run_sign_py(sign_py, api, LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"]["eraseRecipient"]["to"] == "alice@example.com"


@pytest.mark.parametrize(
    ("access_key", "secret", "error_type"),
    [(LOCAL_ACCESS_KEY_ID, "not-the-secret", "InvalidSignatureException"), ("AKIDSOMEONEELSE", LOCAL_SECRET_ACCESS_KEY, "UnrecognizedClientException")],
)
def test_a_refused_call_prints_the_status_and_the_answers_error_type(sign_py: Path, api: LocalApi, access_key: str, secret: str, error_type: str) -> None:
    done = run_sign_py(sign_py, api, access_key, secret)
    assert done.returncode == 1 and done.stdout == ""
    status, answer = done.stderr.strip().split(": ", 1)
    assert status == "HTTP 403"
    assert json.loads(answer)["errors"][0]["errorType"] == error_type
