"""A DynamoDB table shaped as the stack's (a partition and a sort key) with one global secondary index on a
`group` attribute, for the tests of moto's DynamoDB as the local stack runs it."""

from __future__ import annotations

from typing import Any

INDEX = "byGroup"


def create_grouped_table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": "S"} for attribute in ("PK", "SK", "group")],
        GlobalSecondaryIndexes=[{"IndexName": INDEX, "KeySchema": [{"AttributeName": "group", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST",
    )
