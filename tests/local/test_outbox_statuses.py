"""What the console's outbox rows show of each record (`GET /local/outbox/statuses`), read from a table made as
the stack makes it (moto, in-process): emails by key, a hundred a request; SMS by their number's partition,
matched on SNS's message id; after the first read, only the records written since."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.aws.emulator import table_definition
from local.console import read_statuses
from local.manifest import load_manifest

TABLE = "statuses-messages"
PREFIX = "MESSAGE#"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-central-1")
        client.create_table(**table_definition(TABLE, load_manifest().tables["messages"]))
        yield client


def record(client: Any, to: str, number: int, status: str, provider_message_id: str | None = None) -> str:
    message_id = f"{PREFIX}01J{number:023d}"
    item = {"PK": {"S": f"{PREFIX}{to}"}, "SK": {"S": message_id}, "deliveryStatus": {"S": status}, "statusReason": {"S": f"why {number}"}, "body": {"S": "hello"}}
    if provider_message_id:
        item["providerMessageId"] = {"S": provider_message_id}
    client.put_item(TableName=TABLE, Item=item)
    return message_id


def email_entry(to: str, message_id: str, provider_message_id: str) -> dict[str, Any]:
    return {"channel": "EMAIL", "to": [to], "messageId": message_id, "providerMessageId": provider_message_id, "recordKey": [f"MESSAGE#{to}", message_id]}


def sms_entry(to: str, provider_message_id: str) -> dict[str, Any]:
    return {"channel": "SMS", "to": to, "providerMessageId": provider_message_id}


class UnprocessedOnce:
    """The client, but its first BatchGetItem answers only half the keys and hands back the rest unprocessed, as
    DynamoDB may under load."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.batches: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        request = RequestItems[TABLE]
        self.batches.append(len(request["Keys"]))
        if len(self.batches) > 1:
            answer: dict[str, Any] = self.client.batch_get_item(RequestItems=RequestItems)
            return answer
        half = (len(request["Keys"]) + 1) // 2
        answer = self.client.batch_get_item(RequestItems={TABLE: {**request, "Keys": request["Keys"][:half]}})
        rest = request["Keys"][half:]
        return {**answer, "UnprocessedKeys": {TABLE: {**request, "Keys": rest}} if rest else {}}


def test_every_email_and_sms_gets_its_records_status_whatever_their_number(dynamodb: Any) -> None:
    # GIVEN 150 emails (more than one BatchGetItem holds) and three SMS to two numbers, among other messages
    entries = []
    for number in range(150):
        to = f"person{number}@example.com"
        entries.append(email_entry(to, record(dynamodb, to, number, "BOUNCED" if number % 2 else "DELIVERED"), f"ses-{number}"))
    first = record(dynamodb, "+14155550100", 1000, "DELIVERED", "sns-a")
    second = record(dynamodb, "+14155550100", 1001, "FAILED", "sns-b")
    third = record(dynamodb, "+14155550199", 1002, "ACCEPTED", "sns-c")
    record(dynamodb, "+14155550100", 1003, "ACCEPTED", "sns-not-in-the-outbox")
    entries += [sms_entry("+14155550100", "sns-a"), sms_entry("+14155550100", "sns-b"), sms_entry("+14155550199", "sns-c")]
    # AND an email whose record is gone (expired or erased)
    entries.append(email_entry("gone@example.com", f"{PREFIX}01JGONE", "ses-gone"))
    client = UnprocessedOnce(dynamodb)
    # WHEN the statuses are read
    statuses = read_statuses(client, TABLE, PREFIX, entries, None)
    # THEN each entry has its own record's, keyed by the provider's message id; the gone one has none
    assert len(statuses) == 154 and statuses["ses-gone"] is None
    assert statuses["ses-7"] == {"messageId": entries[7]["messageId"], "deliveryStatus": "BOUNCED", "statusReason": "why 7"}
    assert statuses["ses-8"]["deliveryStatus"] == "DELIVERED"
    assert {name: statuses[name]["messageId"] for name in ("sns-a", "sns-b", "sns-c")} == {"sns-a": first, "sns-b": second, "sns-c": third}
    assert statuses["sns-b"] == {"messageId": second, "deliveryStatus": "FAILED", "statusReason": "why 1001"}
    # AND the keys went a hundred a request, the ones DynamoDB left unprocessed asked again
    assert client.batches == [100, 50, 51]


def test_after_the_first_read_only_the_records_written_since_are_read(dynamodb: Any) -> None:
    # GIVEN two emails, and two SMS to one number and one to another
    first_email = record(dynamodb, "a@example.com", 1, "ACCEPTED")
    second_email = record(dynamodb, "b@example.com", 2, "ACCEPTED")
    record(dynamodb, "+14155550100", 3, "ACCEPTED", "sns-a")
    record(dynamodb, "+14155550100", 4, "ACCEPTED", "sns-b")
    record(dynamodb, "+14155550199", 5, "ACCEPTED", "sns-c")
    entries = [email_entry("a@example.com", first_email, "ses-a"), email_entry("b@example.com", second_email, "ses-b")]
    entries += [sms_entry("+14155550100", "sns-a"), sms_entry("+14155550100", "sns-b"), sms_entry("+14155550199", "sns-c")]
    # WHEN the written items are the second email and a message to the first number (and an item of no entry)
    written = {(f"{PREFIX}b@example.com", second_email), (f"{PREFIX}+14155550100", f"{PREFIX}01J{4:023d}"), ("LIMIT#EMAIL", "HOUR#1")}
    client = UnprocessedOnce(dynamodb)
    statuses = read_statuses(client, TABLE, PREFIX, entries, written)
    # THEN the second email is read by its key, the first number's messages through their partition, nothing else
    assert set(statuses) == {"ses-b", "sns-a", "sns-b"}
    assert client.batches == [1]
    # AND with nothing written, nothing is read
    assert read_statuses(client, TABLE, PREFIX, entries, set()) == {}
    assert client.batches == [1]


def test_an_empty_outbox_reads_nothing(dynamodb: Any) -> None:
    client = UnprocessedOnce(dynamodb)
    assert read_statuses(client, TABLE, PREFIX, [], None) == {}
    assert client.batches == []
