from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.appsync.datasources import load_lambda_module
from local.aws.emulator import (
    defer_kms_private_keys,
    emulate_ses_sending_options,
    session_sharing_models,
)
from local.aws.lambda_context import LambdaContext
from local.manifest import load_manifest
from tests.conftest import REPO_ROOT

SES_REGION = "eu-west-1"
SNS_REGION = "us-east-1"
SENDER = "no-reply@example.com"
CONFIGURATION_SET = "test-messenger-messages"
METRICS_NAMESPACE = "serverless-messenger/test"
EVENTS_DIR = Path(__file__).parent / "events"
TEST_OUTCOMES_QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/test-messenger-test-outcomes"


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext(function_name="test-delivery")


@pytest.fixture
def event() -> Callable[[str], Any]:
    """Load an event fixture from tests/handlers/events/<name>.json."""
    return lambda name: json.loads((EVENTS_DIR / f"{name}.json").read_text())


@pytest.fixture
def aws(monkeypatch):
    """An emulated account with the regions split, as a real deployment may have them."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "SES_REGION": SES_REGION,
        "SNS_REGION": SNS_REGION,
        "SES_CONFIGURATION_SET": CONFIGURATION_SET,
        "POWERTOOLS_SERVICE_NAME": "delivery",
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "TEST_OUTCOMES_QUEUE_URL": TEST_OUTCOMES_QUEUE_URL,
        "AUTHORIZER_CACHE_SECONDS": "60",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("TEST_OUTCOMES", json.dumps(load_manifest().test_mode))
    emulate_ses_sending_options()
    # moto's symmetric KMS keys (each test's table key, the webhook key) skip the RSA pair they never use, and
    # moto's fresh default session of each test reads the service models through the process's one loader: the
    # two were most of these tests' CPU. Clients, credentials and moto's data stay each test's own.
    defer_kms_private_keys()
    with mock_aws():
        boto3.DEFAULT_SESSION = session_sharing_models()
        boto3.client("sqs", region_name=TABLE_REGION).create_queue(QueueName=TEST_OUTCOMES_QUEUE_URL.rsplit("/", 1)[1])
        boto3.client("sesv2", region_name=SES_REGION).create_email_identity(EmailIdentity=SENDER)
        boto3.client("sesv2", region_name=SES_REGION).create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
        yield


@pytest.fixture
def delivery(messages_table):
    """The delivery handler module, imported fresh so that its clients are made in this test's account."""
    return load_lambda_module(REPO_ROOT, "handlers/delivery", "app")


MESSAGES_TABLE = "test-messages"
TABLE_REGION = "eu-central-1"


@pytest.fixture
def messages_table(aws, monkeypatch, manifest):
    """The messages table as Terraform and the local stack create it (keys and indexes from the manifest)."""
    from local.aws.emulator import table_definition

    monkeypatch.setenv("MESSAGES_TABLE", MESSAGES_TABLE)
    monkeypatch.setenv("MESSAGES_TABLE_REGION", TABLE_REGION)
    monkeypatch.setenv("STALE_AFTER_SECONDS", "300")
    for name, value in manifest.storage.index_environment().items():
        monkeypatch.setenv(name, value)
    boto3.client("dynamodb", region_name=TABLE_REGION).create_table(**table_definition(MESSAGES_TABLE, manifest.tables["messages"]))
    return boto3.resource("dynamodb", region_name=TABLE_REGION).Table(MESSAGES_TABLE)


# Each status function's own module (graphql/manifest.json: eventHandlers), imported fresh against this test's
# table with the shared module it imports, as a new Lambda instance would.


@pytest.fixture
def ses_events(messages_table):
    return load_lambda_module(REPO_ROOT, "handlers/status", "ses_events")


@pytest.fixture
def sms_events(messages_table):
    return load_lambda_module(REPO_ROOT, "handlers/status", "sms_events")


@pytest.fixture
def sweep(messages_table):
    return load_lambda_module(REPO_ROOT, "handlers/status", "sweep")


@pytest.fixture
def recording(messages_table):
    """What the status functions share: the rank rule and the record's time format."""
    return load_lambda_module(REPO_ROOT, "handlers/status", "recording")


ACCOUNT_ID = "123456789012"
# As Terraform gives them: alarm ARN -> channel, each alarm in the region of its metric.
GUARDRAIL_ALARMS = {
    f"arn:aws:cloudwatch:{SES_REGION}:{ACCOUNT_ID}:alarm:test-messenger-ses-bounce-rate-critical": "EMAIL",
    f"arn:aws:cloudwatch:{SNS_REGION}:{ACCOUNT_ID}:alarm:test-messenger-sms-spend-critical": "SMS",
}


@pytest.fixture
def guardrail(messages_table, monkeypatch):
    """The guardrail handler's module, imported fresh against this test's table and configuration set."""
    monkeypatch.setenv("GUARDRAIL_ALARMS", json.dumps(GUARDRAIL_ALARMS))
    return load_lambda_module(REPO_ROOT, "handlers/guardrail", "app")


@pytest.fixture
def emitted_metrics(capsys) -> Callable[[], list[dict[str, Any]]]:
    """The CloudWatch metrics the handlers printed so far (EMF lines), each as {name, value, dimensions, namespace, properties}."""

    def read() -> list[dict[str, Any]]:
        found = []
        for line in capsys.readouterr().out.splitlines():
            document = json.loads(line) if line.startswith("{") else {}
            for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
                [dimension_names] = directive["Dimensions"]
                for metric in directive["Metrics"]:
                    value = document[metric["Name"]]
                    found.append({
                        "namespace": directive["Namespace"],
                        "name": metric["Name"],
                        "value": value[0] if isinstance(value, list) else value,
                        "dimensions": {name: document[name] for name in dimension_names},
                        "properties": document,
                    })
        return found

    return read


def clients_module(name: str) -> Any:
    """A module of handlers/clients (authorizer, operators, erasure), imported fresh against this test's table."""
    return load_lambda_module(REPO_ROOT, "handlers/clients", name)


@pytest.fixture
def configured_table(messages_table):
    """The table with the CONFIG/DELIVERY item's client settings, as Terraform writes them."""
    messages_table.put_item(
        Item={"PK": "CONFIG", "SK": "DELIVERY", "clients": {"defaultLimits": {"emailPerDay": 500, "smsPerDay": 50}, "keyMaxDays": 90}}
    )
    return messages_table
