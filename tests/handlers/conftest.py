from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import moto.kms.models
import pytest
from moto import mock_aws

from local.appsync.datasources import load_lambda_module
from local.aws.emulator import emulate_ses_sending_options
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


# moto gives every test a new default boto3 session, and a new session reads each service's model (megabytes of
# JSON) again: most of these tests' CPU. The models never change during a run, so every session reads them through
# one loader, which keeps what it read; clients, credentials and moto's accounts are still each test's own.
SERVICE_MODELS = botocore.loaders.create_loader()
MOTO_PRIVATE_KEY = moto.kms.models.generate_private_key


@cache
def _unused_private_key() -> Any:
    return MOTO_PRIVATE_KEY("SYMMETRIC_DEFAULT")


def _private_key(key_spec: str) -> Any:
    """moto makes every KMS key an RSA-2048 key pair, a symmetric one too (which has none in KMS, and moto uses
    it for nothing), at tens of milliseconds each: one for each test's table (its SSE key) and webhook key. The
    symmetric keys share one; their key material, all that encrypts and decrypts, is still each key's own."""
    return _unused_private_key() if key_spec == "SYMMETRIC_DEFAULT" else MOTO_PRIVATE_KEY(key_spec)


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
    monkeypatch.setattr(moto.kms.models, "generate_private_key", _private_key)
    with mock_aws():
        session = botocore.session.get_session()
        session.register_component("data_loader", SERVICE_MODELS)
        boto3.setup_default_session(botocore_session=session)
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
