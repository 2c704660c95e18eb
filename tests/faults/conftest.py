"""An in-process local stack (moto in-process, the real resolvers and handlers) with faults injected per test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.appsync.datasources import DataSource, LambdaDataSource
from local.config import Settings
from local.operations import SEND_MESSAGE
from local.stack import LocalStack, assemble_stack

SETTINGS = Settings(
    stage="faults",
    ses_region="eu-west-1",
    sns_region="us-east-1",
    table_region="eu-central-1",
    default_email_from="no-reply@example.com",
    allowed_email_senders="support@example.com",
    allowed_sms_sender_ids="Messenger",
    # Email's default is no stack-wide ceiling; a deployment that sets one runs limitChannel, whose faults are tried too.
    email_per_minute=1000,
)
TABLE = SETTINGS.table_names["messages"]

@pytest.fixture
def stack(monkeypatch, manifest) -> Iterator[LocalStack]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # assemble_stack sets the handlers' environment; registering the names restores it afterwards.
    for name in [*SETTINGS.delivery_env(manifest.test_mode), *SETTINGS.status_env(manifest.storage)]:
        monkeypatch.setenv(name, "")
    with mock_aws():
        local = assemble_stack(SETTINGS)
        yield local
        local.close()


def execute(stack: LocalStack, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return stack.graphql.execute({"query": query, "variables": variables or {}}, headers={})


def send(stack: LocalStack, **message_input: Any) -> dict[str, Any]:
    return execute(stack, SEND_MESSAGE, {"input": message_input})


def stored(stack: LocalStack, partition_prefix: str) -> list[dict[str, Any]]:
    """Every item whose partition key starts so (a test table holds a handful; the API never scans)."""
    items = boto3.resource("dynamodb", region_name=SETTINGS.table_region).Table(TABLE).scan(ConsistentRead=True)["Items"]
    return sorted((item for item in items if str(item["PK"]).startswith(partition_prefix)), key=lambda item: (str(item["PK"]), str(item["SK"])))


def records(stack: LocalStack) -> list[dict[str, Any]]:
    """Every message record in the table."""
    return sorted(stored(stack, "MESSAGE#"), key=lambda item: str(item["SK"]))


def sent(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.outbox.entries()


def delivery_module(stack: LocalStack):
    """The delivery handler's module as the stack loaded it, to reach its boto3 clients."""
    delivery = stack.executor.data_sources["deliveryFunction"]
    assert isinstance(delivery, LambdaDataSource)
    return sys.modules[delivery.handler.__module__]


@dataclass
class FailingDataSource:
    """Wraps a data source; requests that match fail with the given DynamoDB error, as AppSync reports it.

    `after_write` makes the call go through first: the write lands but its reply is lost.
    """

    inner: DataSource
    matches: Callable[[dict[str, Any]], bool]
    error_type: str = "DynamoDB:InternalServerError"
    after_write: bool = False
    failures: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, request: Any):
        if not self.matches(request):
            return self.inner.invoke(request)
        if self.after_write:
            self.inner.invoke(request)
        self.failures.append(request)
        return None, {"type": self.error_type, "message": "Internal server error (injected)"}


@pytest.fixture
def fail_dynamodb(stack: LocalStack, monkeypatch) -> Callable[..., FailingDataSource]:
    def inject(matches: Callable[[dict[str, Any]], bool], **options: Any) -> FailingDataSource:
        failing = FailingDataSource(stack.executor.data_sources["messagesTable"], matches, **options)
        monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing)
        return failing

    return inject


@pytest.fixture
def replace_delivery_function(stack: LocalStack, monkeypatch) -> Callable[..., None]:
    def replace(handler: Callable[[Any, Any], Any], timeout_seconds: float = 10.0) -> None:
        monkeypatch.setitem(stack.executor.data_sources, "deliveryFunction", LambdaDataSource("faults-delivery", handler, timeout_seconds))

    return replace


def is_operation(operation: str, partition_prefix: str = "", sort_prefix: str = "") -> Callable[[dict[str, Any]], bool]:
    """Requests of `operation` whose partition starts with `partition_prefix` and, for a request with a key,
    whose sort key starts with `sort_prefix` (a channel's limit counter is `LIMIT#EMAIL`/`MINUTE#...`, a
    recipient's `LIMIT#EMAIL`/`HOUR#...#<address>`)."""

    def matches(request: dict[str, Any]) -> bool:
        # The partition: the key's, or for a Query the value its key condition compares the partition with.
        key_values = (request.get("query") or {}).get("expressionValues") or {}
        key = request.get("key") or {}
        partition: dict[str, str] = key.get("PK") or next(iter(key_values.values()), {})
        sort: dict[str, str] = key.get("SK") or {}
        return (
            request.get("operation") == operation
            and partition.get("S", "").startswith(partition_prefix)
            and sort.get("S", "").startswith(sort_prefix)
        )

    return matches
