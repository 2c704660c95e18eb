"""`make pause|resume|channels` (tools/channels.py): what it asks the guardrail Lambda, what it prints, and that a
refusal or failure of the function is an error with the function's own message."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tools import channels

FUNCTION = "prod-messenger-channel-guardrail"
REGION = "eu-central-1"
STATES = {
    "EMAIL": {"paused": True, "reason": "bounce storm from the March import", "since": "2026-11-29T10:00:00.000Z"},
    "SMS": {"paused": False},
}
STATES_LINES = ["EMAIL  PAUSED since 2026-11-29T10:00:00.000Z: bounce storm from the March import", "SMS    sending"]


def outputs(terraform: str, name: str) -> str:
    return {"guardrail_function_name": FUNCTION, "region": REGION}[name]


def body(value: Any) -> StreamingBody:
    data = json.dumps(value).encode()
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def client() -> Any:
    return boto3.client("lambda", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


def run(client: Any, *argv: str) -> int:
    regions: list[str] = []

    def factory(region: str) -> Any:
        regions.append(region)
        return client

    code = channels.main(list(argv), client_factory=factory, output=outputs)
    assert regions in ([], [REGION]), "the client is made for the guardrail's region"
    return code


def expect(stubber: Stubber, payload: dict[str, str], response: dict[str, Any]) -> None:
    stubber.add_response(
        "invoke",
        {"StatusCode": 200, **response},
        {"FunctionName": FUNCTION, "InvocationType": "RequestResponse", "Payload": json.dumps(payload).encode()},
    )


def test_pause_asks_the_guardrail_with_the_reason_and_prints_the_channels(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with Stubber(client) as stubber:
        expect(stubber, {"action": "pause", "channel": "EMAIL", "reason": "bounce storm from the March import"}, {"Payload": body(STATES)})
        assert run(client, "pause", "email", "--reason", "  bounce storm from the March import ") == 0
        stubber.assert_no_pending_responses()
    assert capsys.readouterr().out.splitlines() == STATES_LINES


def test_resume_needs_no_reason_and_status_names_no_channel(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with Stubber(client) as stubber:
        expect(stubber, {"action": "resume", "channel": "SMS"}, {"Payload": body({"EMAIL": {"paused": False}, "SMS": {"paused": False}})})
        expect(stubber, {"action": "status"}, {"Payload": body(STATES)})
        assert run(client, "resume", "SMS", "--reason", "") == 0
        assert run(client, "status") == 0
        stubber.assert_no_pending_responses()
    assert capsys.readouterr().out.splitlines() == ["EMAIL  sending", "SMS    sending", *STATES_LINES]


def test_a_function_error_fails_with_the_functions_message(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the guardrail refusing the request (it raises ValueError on a malformed one)
    error = {"errorMessage": "reason must be text of 1 to 200 characters", "errorType": "ValueError", "stackTrace": []}
    with Stubber(client) as stubber:
        expect(stubber, {"action": "pause", "channel": "SMS", "reason": "spend"}, {"FunctionError": "Unhandled", "Payload": body(error)})
        # WHEN an operator pauses
        code = run(client, "pause", "SMS", "--reason", "spend")
    # THEN the exit status says so, with the function's own message, and no state is printed
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert "ValueError" in captured.err and "reason must be text of 1 to 200 characters" in captured.err


def test_an_aws_error_fails_with_its_message(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with Stubber(client) as stubber:
        stubber.add_client_error("invoke", service_error_code="AccessDeniedException", service_message="not allowed lambda:InvokeFunction", http_status_code=403)
        assert run(client, "status") == 1
    assert "not allowed lambda:InvokeFunction" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pause", "EMAIL"], "pausing needs a REASON"),
        (["pause", "EMAIL", "--reason", "   "], "pausing needs a REASON"),
        (["pause", "FAX", "--reason", "why"], "CHANNEL must be one of EMAIL, SMS"),
        (["resume"], "CHANNEL must be one of EMAIL, SMS"),
        (["pause", "SMS", "--reason", "x" * 201], "at most 200 characters"),
    ],
)
def test_a_request_the_guardrail_would_refuse_is_not_sent(client: Any, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    with Stubber(client):  # any call would fail: no response is queued
        assert run(client, *argv) == 2
    assert message in capsys.readouterr().err


def test_without_the_output_it_says_to_apply_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a terraform that has no such output (the environment was never applied)
    fake = tmp_path / "terraform"
    fake.write_text("#!/bin/sh\necho 'Warning: No outputs found' >&2\nexit 1\n")
    fake.chmod(0o755)
    # THEN the tool stops before calling AWS, saying why
    assert channels.main(["--terraform", str(fake), "status"], client_factory=lambda region: pytest.fail("no AWS call")) == 1
    assert "has this environment been applied?" in capsys.readouterr().err
