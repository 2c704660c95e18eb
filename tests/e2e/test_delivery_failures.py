"""A failed delivery keeps its record, FAILED with a reason: the real pipeline and handler, in-process."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from local.config import Settings
from local.datasources import LambdaDataSource
from local.server import assemble_stack
from tests.e2e.conftest import PAGE, SEND

SETTINGS = Settings(
    stage="faults",
    ses_region="eu-west-1",
    sns_region="us-east-1",
    table_region="eu-central-1",
    default_email_from="no-reply@example.com",
    allowed_email_senders="support@example.com",
    allowed_sms_sender_ids="Messenger",
)


@pytest.fixture
def stack(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name in SETTINGS.delivery_env():
        monkeypatch.setenv(name, "")  # restored after the test; assemble_stack sets the real values
    with mock_aws():
        local = assemble_stack(SETTINGS)
        yield local
        local.close()


def execute(stack, query: str, variables: dict) -> dict:
    return stack.graphql.execute({"query": query, "variables": variables}, headers={})


def stored(stack, to: str) -> list[dict]:
    query = PAGE.replace("data { id to body deliveryStatus }", "data { id deliveryStatus statusReason }")
    return execute(stack, query, {"filter": {"to": to}})["data"]["getMessages"]["data"]


def test_a_provider_refusal_is_recorded_as_failed_with_its_reason(stack) -> None:
    # GIVEN an allowed sender whose SES identity is no longer verified
    boto3.client("sesv2", region_name="eu-west-1").delete_email_identity(EmailIdentity="support@example.com")
    # WHEN a message is sent from it
    response = execute(stack, SEND, {"input": {"to": "bob@example.com", "body": "hi", "deliveryMethod": "EMAIL", "from": "support@example.com"}})
    # THEN the client sees FAILED with the reason, and the record says the same
    message = response["data"]["sendMessage"]
    assert "errors" not in response
    assert message["deliveryStatus"] == "FAILED"
    assert message["statusReason"].startswith("SES refused the message: MessageRejected")
    assert stored(stack, "bob@example.com") == [
        {"id": message["id"], "deliveryStatus": "FAILED", "statusReason": message["statusReason"]}
    ]
    assert stack.outbox.entries() == []


def test_a_crashing_delivery_function_is_recorded_as_failed(stack) -> None:
    def crash(event, context):
        raise RuntimeError("boom")

    stack.executor.data_sources["deliveryFunction"] = LambdaDataSource("faults-delivery", crash)
    response = execute(stack, SEND, {"input": {"to": "+14155550100", "body": "hi", "deliveryMethod": "SMS"}})
    message = response["data"]["sendMessage"]
    assert message["deliveryStatus"] == "FAILED"
    assert message["statusReason"] == "The delivery function failed: RuntimeError: boom"
    assert stored(stack, "+14155550100")[0]["deliveryStatus"] == "FAILED"


def test_ses_and_sns_are_called_in_their_own_regions(stack) -> None:
    execute(stack, SEND, {"input": {"to": "bob@example.com", "body": "e", "deliveryMethod": "EMAIL"}})
    execute(stack, SEND, {"input": {"to": "+14155550100", "body": "s", "deliveryMethod": "SMS"}})
    assert len(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages) == 1
    assert len(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages) == 1
    assert len(sns_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sms_messages) == 0
