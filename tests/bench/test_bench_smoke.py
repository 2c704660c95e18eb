"""The benchmark code runs, in a bounded way, and its counting rules are right.

No timing is asserted here: speed figures live in `make bench` and the README, never in tests.
"""

from __future__ import annotations

import boto3
import pytest

from bench import dynamodb_cost, package_size, warm_invoke
from bench.cold_start import attribute, import_tree
from local.manifest import Manifest

IMPORTTIME = """import time: self [us] | cumulative | imported package
import time:       100 |        100 | _io
import time:        50 |         50 |       s3transfer
import time:        20 |         70 |     boto3.compat
import time:        30 |        100 |   boto3
import time:        10 |         10 |   base64
import time:      2000 |       2110 | app
"""


def test_importtime_output_is_read_as_a_tree_under_the_handler_module() -> None:
    tree = import_tree(IMPORTTIME)
    assert tree["self_us"] == 2000
    assert [(child["name"], child["cumulative_us"]) for child in tree["children"]] == [("boto3", 100), ("base64", 10)]
    assert tree["children"][0]["children"][0]["name"] == "boto3.compat"
    rows = attribute([tree])
    assert rows[0]["ms"] == 2.0 and rows[-1]["ms"] == 2.1


def test_item_sizes_follow_dynamodb_rules() -> None:
    assert dynamodb_cost.item_size({"PK": {"S": "ab"}, "n": {"N": "12345"}}) == (2 + 2) + (1 + 4)
    assert dynamodb_cost.value_size({"L": [{"S": "x"}, {"BOOL": True}]}) == 3 + (1 + 1) + (1 + 1)
    assert dynamodb_cost.read_units(4096, consistent=False) == 0.5
    assert dynamodb_cost.read_units(4097, consistent=True) == 2
    assert dynamodb_cost.write_units(1025) == 2


def test_index_writes_count_only_what_the_projection_changes() -> None:
    keys_only = {"partitionKey": "providerMessageId", "projection": "KEYS_ONLY"}
    before = {"PK": {"S": "a"}, "SK": {"S": "b"}, "status": {"S": "PENDING"}}
    after = {**before, "status": {"S": "ACCEPTED"}, "providerMessageId": {"S": "p"}}
    assert dynamodb_cost.index_write_units(keys_only, before, after) == 1  # enters the index
    assert dynamodb_cost.index_write_units(keys_only, after, {**after, "status": {"S": "DELIVERED"}}) == 0
    everything = {"partitionKey": "senderKey", "sortKey": "SK", "projection": "ALL"}
    with_sender = {**after, "senderKey": {"S": "SENDER#s"}}
    assert dynamodb_cost.index_write_units(everything, with_sender, {**with_sender, "status": {"S": "DELIVERED"}}) == 1
    assert dynamodb_cost.index_write_units(everything, with_sender, after) == 1  # leaves the index


def test_packages_are_code_only(manifest: Manifest) -> None:
    results = package_size.run()
    assert results["excludes"], "the archive_file excludes were not found"
    for source, package in results["packages"].items():
        assert package["sdk_inside"] == [], source
        assert package["imports_not_provided"] == [], source
    # Each function's package holds the module its handler setting names.
    handlers = [(source["source"], source["handler"]) for source in manifest.data_sources.values() if "source" in source]
    for source, handler in handlers + [(handler.source, handler.handler) for handler in manifest.event_handlers.values()]:
        assert f"{handler.rsplit('.', 1)[0]}.py" in results["packages"][source]["files"], (source, handler)


def test_warm_invocations_run_the_public_handlers_and_count_their_logs() -> None:
    results = warm_invoke.run(quick=True)
    for name in ("EMAIL (Stubber)", "EMAIL (fake clients)", "SMS (Stubber)", "SMS (fake clients)"):
        figures = results["delivery"][name]
        assert figures["latency_us"]["n"] == results["calls_per_case"]
        assert figures["log_lines_per_call"] >= 1
    assert results["status"]["provider_payload_bytes"]["ses_event_json_bytes"] > 0


def test_the_dynamodb_cost_counts_every_call_of_the_resolvers_and_the_handlers() -> None:
    # GIVEN the in-process stack, with every call of its process recorded but the benchmark's and the local reporter's
    with dynamodb_cost.in_process_stack() as stack:
        log = dynamodb_cost.stack_call_log(stack, boto3.client("dynamodb", region_name=dynamodb_cost.REGION))
        # WHEN each kind of message is sent and its delivery reported
        with log.recorder().installed():
            results = dynamodb_cost.bench_writes(stack, log)
            # (and then the sweep, over the stretch of time that holds those messages, and the authorizer once)
            sweep = dynamodb_cost.bench_sweep(stack, log)
            authorizer = dynamodb_cost.bench_authorizer(stack, log)
    email, keyed, sms = results["email"], results["email with senderId and idempotencyKey"], results["sms"]
    # THEN every send reads the config (a Query) and its client (a GetItem), then counts its limits: the
    # recipient's, the client's day and, for SMS, the channel's minute (email has no stack-wide ceiling by
    # default), in that order, before its record
    for channel, case in (("EMAIL", email), ("EMAIL", keyed), ("SMS", sms)):
        calls = case["sendMessage"]["calls"]
        assert calls[:2] == ["Query CONFIG", "GetItem CLIENTS"]
        limits = [call for call in calls if call.startswith("UpdateItem LIMIT#")]
        minute = [f"UpdateItem LIMIT#LIVE#{channel}#MINUTE"] if channel == "SMS" else []
        assert [limit.rsplit("#", 1)[0] for limit in limits] == [f"UpdateItem LIMIT#LIVE#{channel}", "UpdateItem LIMIT#CLIENT", *minute]
        assert limits[1] == "UpdateItem LIMIT#CLIENT#default"
        assert calls.index(limits[-1]) < next(n for n, call in enumerate(calls) if call == "PutItem MESSAGE#<to>")
    assert email["sendMessage"]["read_units"] == 1.0  # two eventually consistent reads of small items
    # AND a key's claim is written first, alone (a conditional PutItem, no lookup and no transaction), before any limit
    keyed_calls = keyed["sendMessage"]["calls"]
    claim = next(n for n, call in enumerate(keyed_calls) if call.startswith("PutItem IDEMPOTENCY#"))
    assert claim < next(n for n, call in enumerate(keyed_calls) if call.startswith("UpdateItem LIMIT#"))
    assert not any(call.startswith(("TransactWriteItems", "GetItem IDEMPOTENCY#")) for call in keyed_calls)
    assert keyed["sendMessage"]["read_units"] == email["sendMessage"]["read_units"]
    assert keyed["sendMessage"]["write_units"] == email["sendMessage"]["write_units"] + 1
    # AND its retry counts no limit: its refused claim is still charged (DynamoDB bills a failed conditional write),
    # and it reads the claim and the original message
    retry = results["email with senderId and idempotencyKey, retried"]
    assert not any(call.startswith("UpdateItem LIMIT#") for call in retry["sendMessage"]["calls"])
    assert retry["per_message"]["write_units"] == 1 and "GetItem MESSAGE#<to>" in retry["sendMessage"]["calls"]
    # AND an SMS: the delivery function's own write of SNS's id (after Publish), which enters byProviderMessageId;
    # an email's SES id is kept unindexed
    sms_calls = sms["sendMessage"]["calls"]
    assert sms_calls[sms_calls.index("sns Publish") + 1 :] == ["UpdateItem MESSAGE#<to>", "UpdateItem MESSAGE#<to>"]
    assert sms["sendMessage"]["index_write_units"].get("byProviderMessageId") == 1
    assert "byProviderMessageId" not in email["sendMessage"]["index_write_units"]
    # AND each provider report: the status function's calls only (its update; for an SMS, its index Query first)
    assert email["provider event DELIVERY"]["calls"] == ["UpdateItem MESSAGE#<to>"]
    assert [call.split(" ")[:2] for call in sms["provider event SMS_SUCCESS"]["calls"]] == [["Query", "byProviderMessageId"], ["UpdateItem", "MESSAGE#<to>"]]
    # AND a message's units add up its steps
    steps = (email["sendMessage"], email["provider event DELIVERY"])
    assert email["per_message"]["write_units"] == sum(step["write_units"] + sum(step["index_write_units"].values()) for step in steps)
    # AND the sweep checks each message sent once, found through its recipient's limit counter, its status read
    # by a Query of the recipient's partition at 0.5 unit (an item under 4 KB, eventually consistent, charged
    # whole whatever the projection); per run it reads the counters and its mark, writes the mark, and no index
    assert sweep["messages_checked"] == sweep["partitions_read"] == len(results) - 1  # the retried case recorded nothing new
    assert sweep["read_units_per_message"] == 0.5
    assert sweep["index_queries"] == 0 and sweep["write_units_per_run"] == 1
    # AND the authorizer reads the key's pointer and the key (strongly consistent), and writes when it was last used
    assert authorizer["calls"] == ["GetItem APIKEY#<key id>", "GetItem CLIENT#<client>", "UpdateItem CLIENT#<client>"]
    assert authorizer["read_units"] == 1.5 and authorizer["write_units"] == 1


def test_every_write_is_counted_on_its_partition_key_even_a_refused_one() -> None:
    # GIVEN a table with a sparse index, and a CallLog of every call but its own reader's
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-central-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "senderKey")],
            GlobalSecondaryIndexes=[{"IndexName": "bySender", "KeySchema": [{"AttributeName": "senderKey", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
            BillingMode="PAY_PER_REQUEST",
        )
        index = {"bySender": {"partitionKey": "senderKey", "projection": "ALL"}}
        log = dynamodb_cost.CallLog(boto3.client("dynamodb", region_name="eu-central-1"), "t", index)
        item = {"PK": {"S": "A"}, "SK": {"S": "1"}, "senderKey": {"S": "S1"}, "body": {"S": "x" * 1500}}
        # WHEN an item is put, put again under a condition that fails, deleted, and two more are written by a
        # transaction and a batch
        with log.recorder().installed():
            client.put_item(TableName="t", Item=item)
            with pytest.raises(client.exceptions.ConditionalCheckFailedException):
                client.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(PK)")
            client.delete_item(TableName="t", Key={"PK": {"S": "A"}, "SK": {"S": "1"}})
            client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"PK": {"S": "B"}, "SK": {"S": "1"}}}}])
            client.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {"PK": {"S": "C"}, "SK": {"S": "1"}}}}]})
        writes = [(entry["operation"], entry["partition"], entry["index"], entry["units"], entry["failed"]) for call in log.clear() for entry in call["writes"]]
    # THEN each write is on its partition key with its units: the 1.5 KB item 2 units, and its index entry 2 more;
    # the refused put is charged the item it found; the delete the item it removed, in the table and the index;
    # a transaction's item twice
    assert writes == [
        ("PutItem", "A", None, 2, False),
        ("PutItem", "S1", "bySender", 2, False),
        ("PutItem", "A", None, 2, True),
        ("DeleteItem", "A", None, 2, False),
        ("DeleteItem", "S1", "bySender", 2, False),
        ("Transact Put", "B", None, 2, False),
        ("Batch PutRequest", "C", None, 1, False),
    ]
