"""The stack deployed for real: plan, apply, call the API, destroy. Needs AWS; skipped otherwise (see tests/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
import uuid

import pytest
from pytest_terraform import terraform

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.live


def call(url: str, key: str, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", "x-api-key": key}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


@terraform("messenger", scope="session", teardown=terraform.TEARDOWN_ON)
def test_deployed_api_answers_and_validates(messenger) -> None:
    url, key = messenger.outputs["graphql_url"]["value"], messenger.outputs["api_key"]["value"]
    empty = call(url, key, "query($f: MessageFilter!) { getMessages(filter: $f) { data { id } pageInfo { hasNextPage } } }",
                 {"f": {"to": f"nobody-{uuid.uuid4().hex}@example.com"}})
    assert empty == {"data": {"getMessages": {"data": [], "pageInfo": {"hasNextPage": False}}}}
    bad = call(url, key, "mutation($i: MessageInput!) { sendMessage(input: $i) { id } }",
               {"i": {"to": "not-an-address", "body": "x", "deliveryMethod": "EMAIL"}})
    assert bad["data"] is None and bad["errors"][0]["errorType"] == "ValidationError"
    to = os.environ.get("LIVE_EMAIL_TO")
    if to:  # a recipient SES accepts (in the sandbox: a verified address)
        sent = call(url, key, "mutation($i: MessageInput!) { sendMessage(input: $i) { deliveryStatus statusReason } }",
                    {"i": {"to": to, "body": "live test", "deliveryMethod": "EMAIL"}})
        assert sent["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED", sent


def test_another_environments_values_are_refused_at_plan(tmp_path) -> None:
    # GIVEN the default workspace and prod's values
    workdir = tmp_path / "terraform"
    shutil.copytree(REPO_ROOT / "terraform", workdir, ignore=shutil.ignore_patterns(".terraform", ".build", "*.tfplan"))
    for name in ("modules", "graphql", "handlers", "envs"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name)
    subprocess.run(["terraform", "init", "-input=false", "-backend=false"], cwd=workdir, check=True, capture_output=True)
    # WHEN it plans
    plan = subprocess.run(["terraform", "plan", "-input=false", "-var-file=../envs/prod.tfvars"], cwd=workdir, capture_output=True, text=True, check=False)
    # THEN the workspace guard stops it before anything changes
    assert plan.returncode != 0
    assert 'does not match the selected workspace "default"' in plan.stdout + plan.stderr
