"""moto's DynamoDB answers as the local stack serialises them (local/aws/emulator.py: quicken_dynamodb_serialisation):
byte for byte what moto's own serializer writes, for attribute values of every type, nested, and for values not in
DynamoDB's wire form (which it leaves to moto); and read back by boto3 as they were written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws
from moto.core.serialize import (
    JSONSerializer,
    ResponseSerializer,
    XFormedAttributePicker,
    get_serializer_class,
)
from moto.core.utils import get_service_model

from local.aws.emulator import quicken_dynamodb_serialisation
from local.config import Settings

REGION = Settings().table_region
TABLE = "serialisation"

quicken_dynamodb_serialisation()
QUICK = get_serializer_class("dynamodb", "json")
OPERATIONS = get_service_model("dynamodb")  # moto's own, as it serialises with


def serialised(serializer: type[ResponseSerializer], operation: str, result: Any) -> Any:
    """The body moto answers `operation` with, as moto's ActionResult serialises a result."""
    serializer_instance = serializer(operation_model=OPERATIONS.operation_model(operation), value_picker=XFormedAttributePicker())
    return serializer_instance.serialize(result)["body"]


# Attribute values as moto's DynamoDB hands them to the serializer (moto.dynamodb.models.utilities.dynamo_to_dict):
# one type key, numbers as strings, binary values as bytes.
text = st.text(max_size=8)
scalars = st.one_of(
    st.builds(lambda value: {"S": value}, text),
    st.builds(lambda value: {"N": value}, st.integers().map(str) | st.decimals(allow_nan=False, allow_infinity=False).map(str)),
    st.builds(lambda value: {"B": value}, st.binary(max_size=8)),
    st.builds(lambda value: {"BOOL": value}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda value: {"SS": value}, st.lists(text, min_size=1, max_size=3, unique=True)),
    st.builds(lambda value: {"NS": value}, st.lists(st.integers().map(str), min_size=1, max_size=3, unique=True)),
    st.builds(lambda value: {"BS": value}, st.lists(st.binary(max_size=4), min_size=1, max_size=3, unique=True)),
)
wire_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.builds(lambda members: {"M": members}, st.dictionaries(text.filter(bool), children, max_size=3)),
        st.builds(lambda members: {"L": members}, st.lists(children, max_size=3)),
    ),
    max_leaves=12,
)
# What moto's serializer meets only through a bug or an odd request: left to it, and answered as it answers.
unusual_values = st.one_of(
    st.none(),
    st.just({}),
    st.just({"S": "two", "N": "1"}),
    st.builds(lambda value: {"S": value}, st.integers()),
    st.just({"B": "already base64"}),
    st.builds(lambda members: {"M": members}, st.dictionaries(st.just(""), scalars, min_size=1)),
    st.builds(lambda members: {"L": members}, st.lists(st.none() | scalars, min_size=1, max_size=3)),
    st.just({"X": "no such type"}),
)
items = st.dictionaries(text.filter(bool), wire_values | unusual_values, max_size=4)


@given(st.lists(items, max_size=4))
def test_a_query_answer_is_written_as_moto_writes_it(found: list[dict[str, Any]]) -> None:
    result = {"Items": found, "Count": len(found), "ScannedCount": len(found), "LastEvaluatedKey": found[0] if found else None}
    assert serialised(QUICK, "Query", result) == serialised(JSONSerializer, "Query", result)


@given(items)
def test_an_item_and_a_failed_condition_s_item_are_written_as_moto_writes_them(item: dict[str, Any]) -> None:
    assert serialised(QUICK, "GetItem", {"Item": item}) == serialised(JSONSerializer, "GetItem", {"Item": item})
    assert serialised(QUICK, "UpdateItem", {"Attributes": item}) == serialised(JSONSerializer, "UpdateItem", {"Attributes": item})


def test_wire_form_values_skip_moto_s_member_by_member_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an item of nested values in wire form, and moto's attribute picker counting what it is asked
    asked: list[str] = []
    pick = XFormedAttributePicker.__call__

    def counting(self: XFormedAttributePicker, context: Any) -> Any:
        asked.append(context.key)
        return pick(self, context)

    monkeypatch.setattr(XFormedAttributePicker, "__call__", counting)
    item = {"config": {"M": {f"code{n}": {"L": [{"S": "+44"}, {"N": str(n)}, {"BOOL": True}]} for n in range(50)}}}
    # WHEN it is serialised
    serialised(QUICK, "GetItem", {"Item": item})
    # THEN only the answer's own members were picked, none of the attribute values'
    assert sorted(asked) == ["ConsumedCapacity", "Item"]


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def test_boto3_reads_back_every_type_as_it_was_written(dynamodb: Any) -> None:
    # GIVEN an item of every attribute type, binary ones and nesting included
    item = {
        "PK": {"S": "P"},
        "SK": {"S": "1"},
        "text": {"S": ""},
        "number": {"N": "-12.5"},
        "binary": {"B": b"\x00\xffbytes"},
        "flag": {"BOOL": False},
        "nothing": {"NULL": True},
        "texts": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2"]},
        "binaries": {"BS": [b"\x01", b"\x02"]},
        "nested": {"M": {"list": {"L": [{"S": "x"}, {"M": {"deep": {"B": b"\x10"}}}, {"NULL": True}]}, "empty": {"M": {}}}},
    }
    dynamodb.put_item(TableName=TABLE, Item=item)
    # WHEN it is read by GetItem and by Query
    got = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "P"}, "SK": {"S": "1"}})["Item"]
    [queried] = dynamodb.query(TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "P"}})["Items"]
    # THEN both are the item written (sets in any order, as DynamoDB's)
    for read in (got, queried):
        assert {name: value for name, value in read.items() if name not in ("texts", "numbers", "binaries")} == {
            name: value for name, value in item.items() if name not in ("texts", "numbers", "binaries")
        }
        assert sorted(read["texts"]["SS"]) == ["a", "b"] and sorted(read["numbers"]["NS"]) == ["1", "2"]
        assert sorted(read["binaries"]["BS"]) == [b"\x01", b"\x02"]
