"""moto's DynamoDB Query, as the local stack runs it (local/aws/emulator.py: index_dynamodb_partitions), reads only
its partition, of the table or of a global secondary index, and answers as moto's own full walk does: under
concurrent writes, updates that move an item between index partitions, deletes, TTL expiry and transactions,
failed ones included."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.aws.emulator import (
    delete_expired,
    index_dynamodb_partitions,
    isolate_dynamodb_transactions,
)
from local.config import Settings
from tests.local.grouped_table import INDEX, create_grouped_table

REGION = Settings().table_region
TABLE = "partitions"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    index_dynamodb_partitions()
    isolate_dynamodb_transactions()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_grouped_table(client, TABLE)
        yield client


def put(client: Any, pk: str, sk: str, group: str | None = None, **extra: Any) -> None:
    item = {"PK": {"S": pk}, "SK": {"S": sk}, **({"group": {"S": group}} if group else {}), **extra}
    client.put_item(TableName=TABLE, Item=item)


def query_keys(client: Any, *, pk: str | None = None, group: str | None = None, forward: bool = True, limit: int | None = None) -> list[tuple[str, str]]:
    """Every item of a partition, following LastEvaluatedKey, as (PK, SK)."""
    arguments: dict[str, Any] = {"TableName": TABLE, "ScanIndexForward": forward}
    if group is not None:
        arguments |= {"IndexName": INDEX, "KeyConditionExpression": "#g = :v", "ExpressionAttributeNames": {"#g": "group"}, "ExpressionAttributeValues": {":v": {"S": group}}}
    else:
        arguments |= {"KeyConditionExpression": "PK = :v", "ExpressionAttributeValues": {":v": {"S": pk}}}
    if limit:
        arguments["Limit"] = limit
    keys: list[tuple[str, str]] = []
    while True:
        page = client.query(**arguments)
        keys += [(item["PK"]["S"], item["SK"]["S"]) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return keys
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def whole_table(client: Any) -> list[dict[str, Any]]:
    return list(client.scan(TableName=TABLE, ConsistentRead=True)["Items"])


def scanned(client: Any, *, pk: str | None = None, group: str | None = None, items: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    """The same partition found by reading the whole table (or `items`, a read of it), in the order a Query returns it."""
    items = whole_table(client) if items is None else items
    chosen = [item for item in items if (item["PK"]["S"] == pk if pk is not None else item.get("group", {}).get("S") == group)]
    return sorted(((item["PK"]["S"], item["SK"]["S"]) for item in chosen), key=lambda key: (key[1], key[0]) if group is not None else key[1])


@pytest.fixture
def items_walked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each `all_items()` call (the walk moto's Query starts from) handed over."""
    walked: list[int] = []
    current = Table.all_items

    def counting(self: Table) -> list[Any]:
        items = current(self)
        walked.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", counting)
    return walked


def test_a_query_walks_its_partition_not_the_table(dynamodb: Any, items_walked: list[int]) -> None:
    # GIVEN 3 items in one partition (and one index partition), among 60 others (any number of others above 3 tells
    # a walk of the partition from a walk of the table)
    for number in range(60):
        put(dynamodb, f"other-{number % 50}", f"{number:04d}", f"g-{number % 40}")
    for number in range(3):
        put(dynamodb, "mine", f"m{number}", "mine-group")
    items_walked.clear()
    # WHEN the partition is read, of the table and of the index
    assert query_keys(dynamodb, pk="mine") == [("mine", "m0"), ("mine", "m1"), ("mine", "m2")]
    assert query_keys(dynamodb, group="mine-group") == [("mine", "m0"), ("mine", "m1"), ("mine", "m2")]
    # THEN each Query handed moto's walk its partition's 3 items, never the 63 of the table
    assert items_walked == [3, 3]


def test_pages_order_and_limits_are_moto_s_own(dynamodb: Any) -> None:
    for number in range(25):
        put(dynamodb, "paged", f"{number:03d}", "paged-group")
        put(dynamodb, f"noise-{number}", f"{number:03d}", "other-group")
    expected = [("paged", f"{number:03d}") for number in range(25)]
    assert query_keys(dynamodb, pk="paged", limit=4) == expected
    assert query_keys(dynamodb, pk="paged", limit=7, forward=False) == expected[::-1]
    assert query_keys(dynamodb, group="paged-group", limit=6) == expected
    assert query_keys(dynamodb, group="paged-group", limit=5, forward=False) == expected[::-1]


def test_updates_that_move_an_item_between_index_partitions_and_deletes_are_followed(dynamodb: Any) -> None:
    for number in range(6):
        put(dynamodb, f"p{number}", "s", "before")
    # WHEN some move to another index partition, one loses its index key, and one is deleted
    for number in (0, 1, 2):
        dynamodb.update_item(TableName=TABLE, Key={"PK": {"S": f"p{number}"}, "SK": {"S": "s"}}, UpdateExpression="SET #g = :g", ExpressionAttributeNames={"#g": "group"}, ExpressionAttributeValues={":g": {"S": "after"}})
    dynamodb.update_item(TableName=TABLE, Key={"PK": {"S": "p3"}, "SK": {"S": "s"}}, UpdateExpression="REMOVE #g", ExpressionAttributeNames={"#g": "group"})
    dynamodb.delete_item(TableName=TABLE, Key={"PK": {"S": "p4"}, "SK": {"S": "s"}})
    # AND an update creates an item that was not there, in an index partition
    dynamodb.update_item(TableName=TABLE, Key={"PK": {"S": "new"}, "SK": {"S": "s"}}, UpdateExpression="SET #g = :g", ExpressionAttributeNames={"#g": "group"}, ExpressionAttributeValues={":g": {"S": "after"}})
    # THEN each index partition holds exactly what a full read finds there
    for group in ("before", "after"):
        assert query_keys(dynamodb, group=group) == scanned(dynamodb, group=group)
    assert [pk for pk, _ in query_keys(dynamodb, group="after")] == ["new", "p0", "p1", "p2"]
    assert [pk for pk, _ in query_keys(dynamodb, group="before")] == ["p5"]


def test_transactions_that_fail_and_put_back_the_table_leave_the_index_right(dynamodb: Any) -> None:
    put(dynamodb, "t", "existing", "tx-group")
    assert query_keys(dynamodb, group="tx-group") == [("t", "existing")]  # the index is built
    # WHEN a transaction writes one item and fails on another's condition (moto puts back a copy of the table)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "t"}, "SK": {"S": "rolled-back"}, "group": {"S": "tx-group"}}}},
                {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "t"}, "SK": {"S": "existing"}, "group": {"S": "tx-group"}}, "ConditionExpression": "attribute_not_exists(PK)"}},
            ]
        )
    # THEN neither the table nor the index holds the rolled-back item
    assert query_keys(dynamodb, group="tx-group") == [("t", "existing")] == scanned(dynamodb, group="tx-group")
    # AND after a transaction that succeeds, and a put after the table was put back, both hold the new items
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": {"PK": {"S": "t"}, "SK": {"S": "committed"}, "group": {"S": "tx-group"}}}}])
    put(dynamodb, "t", "later", "tx-group")
    assert query_keys(dynamodb, group="tx-group") == [("t", "committed"), ("t", "existing"), ("t", "later")] == scanned(dynamodb, group="tx-group")
    assert query_keys(dynamodb, pk="t") == scanned(dynamodb, pk="t")


def test_expired_items_deleted_as_ttl_would_leave_their_partitions(dynamodb: Any) -> None:
    past, future = int(time.time()) - 10, int(time.time()) + 3600
    for number in range(8):
        put(dynamodb, "ttl", f"{number}", "ttl-group", expiresAt={"N": str(past if number % 2 else future)})
    assert len(query_keys(dynamodb, group="ttl-group")) == 8
    deleted = delete_expired(Settings(), TABLE, {"partitionKey": "PK", "sortKey": "SK", "ttlAttribute": "expiresAt"})
    assert deleted == 4
    assert query_keys(dynamodb, group="ttl-group") == [("ttl", str(number)) for number in (0, 2, 4, 6)] == scanned(dynamodb, group="ttl-group")
    assert query_keys(dynamodb, pk="ttl") == scanned(dynamodb, pk="ttl")


def test_queries_during_concurrent_writes_see_only_their_partition_and_end_where_a_full_read_does(dynamodb: Any) -> None:
    groups = [f"g{number}" for number in range(4)]
    stop = threading.Event()
    wrong: list[str] = []

    def write(seed: int) -> None:
        rng = random.Random(seed)
        for number in range(150):
            pk, sk = f"w{rng.randrange(30)}", f"{rng.randrange(10)}"
            action = rng.random()
            if action < 0.5:
                put(dynamodb, pk, sk, rng.choice(groups))
            elif action < 0.8:
                dynamodb.update_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}, UpdateExpression="SET #g = :g", ExpressionAttributeNames={"#g": "group"}, ExpressionAttributeValues={":g": {"S": rng.choice(groups)}})
            else:
                dynamodb.delete_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}})
            if number % 50 == 0:
                time.sleep(0)

    def read() -> None:
        while not stop.is_set():
            group = random.choice(groups)
            page = dynamodb.query(TableName=TABLE, IndexName=INDEX, KeyConditionExpression="#g = :v", ExpressionAttributeNames={"#g": "group"}, ExpressionAttributeValues={":v": {"S": group}})
            wrong.extend(f"{item['PK']['S']}/{item['SK']['S']} in {group}" for item in page["Items"] if item.get("group", {}).get("S") != group)

    # One reader: every request runs alone (isolate_dynamodb_transactions), so a read sees the table as it is between
    # two writes, whichever thread makes it; a second reader would only read the same states again, and slow the writers.
    writers = [threading.Thread(target=write, args=(seed,)) for seed in range(3)]
    readers = [threading.Thread(target=read)]
    for thread in writers + readers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    # THEN no read returned an item of another index partition, and at the end each partition is what a full read finds
    assert wrong == []
    table = whole_table(dynamodb)  # read once: nothing writes any more
    for group in groups:
        assert query_keys(dynamodb, group=group) == scanned(dynamodb, group=group, items=table)
    for number in range(30):
        assert query_keys(dynamodb, pk=f"w{number}") == scanned(dynamodb, pk=f"w{number}", items=table)
