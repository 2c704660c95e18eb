"""moto's DynamoDB, as the local stack runs it, answers each request as if it ran alone, as DynamoDB does."""

from __future__ import annotations

import threading

import boto3
from moto import mock_aws

from local.aws.emulator import isolate_dynamodb_transactions

REGION = "us-east-1"
UPDATES = 300


def test_a_read_never_sees_half_an_update() -> None:
    # GIVEN an item whose every update sets its status and appends that status to its history, in one request
    isolate_dynamodb_transactions()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="t", KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST"
        )
        client.put_item(TableName="t", Item={"PK": {"S": "k"}, "status": {"S": "0"}, "history": {"L": [{"S": "0"}]}})
        torn: list[tuple[str, str]] = []
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                item = client.get_item(TableName="t", Key={"PK": {"S": "k"}})["Item"]
                if item["status"]["S"] != item["history"]["L"][-1]["S"]:
                    torn.append((item["status"]["S"], item["history"]["L"][-1]["S"]))

        reader = threading.Thread(target=read)
        reader.start()
        # WHEN it is updated many times while another thread reads it
        try:
            for number in range(1, UPDATES + 1):
                client.update_item(
                    TableName="t",
                    Key={"PK": {"S": "k"}},
                    UpdateExpression="SET #s = :n, history = list_append(history, :entry)",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":n": {"S": str(number)}, ":entry": {"L": [{"S": str(number)}]}},
                )
        finally:
            done.set()
            reader.join()
        # THEN every read saw the status and its history entry together
        assert torn == []
