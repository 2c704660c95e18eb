from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.appsync.datasources import load_lambda_module
from local.aws.emulator import emulate_ses_sending_options
from local.aws.lambda_context import LambdaContext
from tests.conftest import REPO_ROOT

SES_REGION = "eu-west-1"
SNS_REGION = "us-east-1"
SENDER = "no-reply@example.com"
CONFIGURATION_SET = "test-messenger-messages"
METRICS_NAMESPACE = "serverless-messenger/test"
EVENTS_DIR = Path(__file__).parent / "events"


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
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    emulate_ses_sending_options()
    with mock_aws():
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


@pytest.fixture
def status(messages_table):
    """The status handlers' module, imported fresh against this test's table."""
    return load_lambda_module(REPO_ROOT, "handlers/status", "app")


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
