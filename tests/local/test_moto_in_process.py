"""The local stack's own AWS calls reach its moto server's application in-process (local/aws/emulator.py:
InProcessCalls): no socket, yet the same answers as over HTTP, the guard still in front, and every other
endpoint, and the server once stopped, reached over the network as before."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

from local.aws.emulator import EmulatedAws, start_moto
from local.config import Settings

REGION = "eu-central-1"


class WentOverTheNetwork(Exception):
    pass


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatedAws]:
    # start_moto points this process's clients at itself: each name is recorded (set, then unset), so that
    # afterwards the environment is as it was, whether the name was there or not
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    aws = start_moto(Settings())
    yield aws
    aws.stop()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """botocore's HTTP sending, refused: what still answers was answered in-process."""
    sent: list[str] = []

    def refuse(self: URLLib3Session, request: Any) -> Any:
        sent.append(request.url)
        raise WentOverTheNetwork(request.url)

    monkeypatch.setattr(URLLib3Session, "send", refuse)
    return sent


def dynamodb(endpoint_url: str, secret: str | None = None, config: Any = None) -> Any:
    """A client signing as the stack's functions do (start_moto put their credentials in the environment)."""
    return boto3.Session().client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or os.environ["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def make_table(client: Any) -> str:
    name = f"in-process-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_the_stacks_calls_are_answered_without_the_network(emulated: EmulatedAws, no_network: list[str]) -> None:
    # GIVEN a client of this process, as the stack's functions make them, with the network refused
    client = dynamodb(emulated.endpoint_url)
    # WHEN it writes and reads an item
    table = make_table(client)
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    # THEN moto answered every call, and nothing went over the network
    assert client.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert no_network == []


def test_the_answers_are_the_ones_the_server_gives_over_http(emulated: EmulatedAws) -> None:
    # GIVEN a table, an item and a read of it, once in-process
    client = dynamodb(emulated.endpoint_url)
    table = make_table(client)
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "tags": {"SS": ["x", "y"]}})
    calls = [
        lambda: client.get_item(TableName=table, Key={"pk": {"S": "a"}}),
        lambda: client.query(TableName=table, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "a"}}),
        lambda: client.describe_table(TableName=table)["Table"]["KeySchema"],
        lambda: client.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}}),
    ]

    def answers() -> list[Any]:
        found = []
        for call in calls:
            try:
                answer = call()
            except ClientError as error:
                answer = error.response["Error"]
            if isinstance(answer, dict):
                answer.pop("ResponseMetadata", None)
            found.append(answer)
        return found

    in_process = answers()
    # WHEN the same calls go over HTTP to the server (its endpoint no longer served in-process)
    from local.aws import emulator

    emulator._in_process_calls.stop(emulated.endpoint_url)
    over_http = answers()
    # THEN the answers, errors included, are the same
    assert in_process == over_http
    assert in_process[3]["Code"] == "ResourceNotFoundException"


def test_the_guard_still_checks_every_call(emulated: EmulatedAws, no_network: list[str]) -> None:
    # GIVEN a client signing with a secret that is not the stack's
    forger = dynamodb(emulated.endpoint_url, secret="not-the-stacks-secret")
    tables = dynamodb(emulated.endpoint_url).list_tables()["TableNames"]
    # WHEN it makes a table, THEN the guard refuses it, in-process, and moto never sees it
    with pytest.raises(ClientError) as refused:
        make_table(forger)
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert dynamodb(emulated.endpoint_url).list_tables()["TableNames"] == tables
    assert no_network == []


def test_other_endpoints_and_a_stopped_server_go_over_the_network(emulated: EmulatedAws, no_network: list[str]) -> None:
    # GIVEN an endpoint that is not the stack's moto
    with pytest.raises(WentOverTheNetwork):
        dynamodb("http://127.0.0.1:9").list_tables()
    # WHEN the stack's moto stops, THEN its endpoint is no longer answered in-process either
    emulated.stop()
    with pytest.raises(WentOverTheNetwork):
        dynamodb(emulated.endpoint_url).list_tables()
    assert no_network == ["http://127.0.0.1:9/", f"{emulated.endpoint_url}/"]


def test_a_request_moto_fails_on_is_a_500_as_over_http(emulated: EmulatedAws, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN moto failing on a request, as an emulator bug would
    from botocore.config import Config
    from moto.dynamodb.models import DynamoDBBackend

    from local.aws import emulator

    def broken(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("an emulator bug")

    monkeypatch.setattr(DynamoDBBackend, "list_tables", broken)

    def failure() -> tuple[type, int]:
        client = dynamodb(emulated.endpoint_url, config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(Exception) as failed:
            client.list_tables()
        response = getattr(failed.value, "response", {})
        return type(failed.value), response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)

    # WHEN a client of the process asks, in-process and then over HTTP
    in_process = failure()
    emulator._in_process_calls.stop(emulated.endpoint_url)
    over_http = failure()
    # THEN both get a ClientError with status 500, never moto's own exception
    assert in_process == over_http == (ClientError, 500)
