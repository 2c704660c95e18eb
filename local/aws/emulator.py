"""Emulated AWS for the local stack: a moto server in this process, provisioned like the Terraform stack."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3

# moto's server answers any Origin with CORS headers unless told not to, before moto is imported: web pages
# the developer visits must not read the emulated account.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
from moto.server import ThreadedMotoServer

from local.config import Settings
from local.manifest import Manifest

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


@dataclass
class EmulatedAws:
    server: ThreadedMotoServer
    endpoint_url: str

    def stop(self) -> None:
        self.server.stop()


_ITEM_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
_item_write_lock = threading.RLock()


def isolate_dynamodb_transactions() -> None:
    """Make moto's DynamoDB requests isolated from each other, as DynamoDB's are.

    moto applies a transaction item by item and, if one fails, puts back a copy of the whole
    table taken before it started: a write that landed in between is lost, and concurrent
    transactions with one idempotency key could each leave a record. It also updates an item in
    place, action by action, and serialises a read's items after finding them: a read during an
    update could see the new status without the history entry written with it. So each request,
    from parsing to its serialised answer, runs alone, and so does each backend write.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoDBBackend, "_writes_serialised", False):
        return
    for name in _ITEM_WRITES:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    setattr(DynamoHandler, "call_action", _serialised(DynamoHandler.call_action))  # noqa: B010 - moto's method, wrapped
    setattr(DynamoDBBackend, "_writes_serialised", True)  # noqa: B010 - a marker moto's class does not declare


def _serialised(write):
    @functools.wraps(write)
    def locked(*args, **kwargs):
        with _item_write_lock:
            return write(*args, **kwargs)

    return locked


_SENDING_OPTIONS_PATH = re.compile(r"/v2/email/configuration-sets/(?P<name>[^/]+)/sending$")


def emulate_ses_sending_options() -> None:
    """Teach moto's SES v2 what the guardrail relies on and moto lacks: PutConfigurationSetSendingOptions,
    and SendEmail refusing (SendingPausedException) to send through a configuration set whose sending is off.
    """
    from moto.core.exceptions import JsonRESTError
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    if getattr(SESV2Response, "_sending_options_emulated", False):
        return

    def configuration_set(response: SESV2Response, name: str) -> Any:
        return response.sesv2_backend.core_backend.describe_configuration_set(name)

    def put_configuration_set_sending_options(self: SESV2Response) -> str:
        match = _SENDING_OPTIONS_PATH.search(unquote(urlsplit(self.uri).path))
        if match is None:
            raise ValueError(f"not a sending-options path: {self.uri}")
        # moto keeps a v2 set's SendingOptions.SendingEnabled in `enabled` (and serialises it from there).
        configuration_set(self, match["name"]).enabled = bool(json.loads(self.body or "{}").get("SendingEnabled", False))
        return "{}"

    create_configuration_set = SESV2Response.create_configuration_set

    def create_configuration_set_sending_as_asked(self: SESV2Response) -> Any:
        answer = create_configuration_set(self)
        request = json.loads(self.body or "{}")
        # SES's default is sending on; moto would keep the request's whole SendingOptions object instead.
        sending = request.get("SendingOptions", {}).get("SendingEnabled", True)
        configuration_set(self, request["ConfigurationSetName"]).enabled = bool(sending)
        return answer

    send_email = SESV2Response.send_email

    def send_email_unless_paused(self: SESV2Response) -> Any:
        name = json.loads(self.body or "{}").get("ConfigurationSetName")
        if name and configuration_set(self, name).enabled is False:
            raise JsonRESTError("SendingPausedException", f"Sending is paused for configuration set {name}.")
        return send_email(self)

    SESV2Response.put_configuration_set_sending_options = put_configuration_set_sending_options  # type: ignore[attr-defined]
    SESV2Response.send_email = send_email_unless_paused  # type: ignore[method-assign]
    SESV2Response.create_configuration_set = create_configuration_set_sending_as_asked  # type: ignore[method-assign]
    # The server routes by these paths (its catch-all /v2/.* stops at a slash); in-process mocks need no route.
    urls.url_paths["{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/sending$"] = SESV2Response.dispatch
    SESV2Response._sending_options_emulated = True  # type: ignore[attr-defined]


def start_moto() -> EmulatedAws:
    """Start moto on a free loopback port and point every boto3 client of this process at it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    return EmulatedAws(server=server, endpoint_url=endpoint_url)


def provision(settings: Settings, manifest: Manifest) -> None:
    """Create what `terraform apply` creates that the local stack uses: tables, the config item, SES set-up,
    the queues, and the stack's KMS key under its alias, which encrypts the webhooks' signing secrets (moto
    emulates KMS's encryption contexts; it does not enforce table or queue encryption, which is proven on the
    Terraform side, tests/terraform).
    """
    isolate_dynamodb_transactions()
    emulate_ses_sending_options()
    dynamodb = boto3.client("dynamodb", region_name=settings.table_region)
    for logical_name, table in manifest.tables.items():
        table_name = settings.table_names[logical_name]
        dynamodb.create_table(**table_definition(table_name, table))
        if "ttlAttribute" in table:
            dynamodb.update_time_to_live(
                TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttlAttribute"]}
            )
    messages = boto3.resource("dynamodb", region_name=settings.table_region).Table(settings.table_names["messages"])
    messages.put_item(Item={**manifest.storage.config_item, **settings.delivery_config})
    # The `default` client, whose LIVE key the API key is (terraform/main.tf writes the same item).
    messages.put_item(Item=settings.default_client_item(manifest))
    sqs = boto3.client("sqs", region_name=settings.table_region)
    for queue_url in (settings.test_outcomes_queue_url, settings.webhook_queue_url, settings.webhook_dead_letter_queue_url):
        sqs.create_queue(QueueName=queue_url.rsplit("/", 1)[1])
    kms = boto3.client("kms", region_name=settings.table_region)
    key = kms.create_key(Description=f"Encrypts the {settings.stage} messenger's webhook signing secrets")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=settings.kms_key_alias, TargetKeyId=key)
    sesv2 = boto3.client("sesv2", region_name=settings.ses_region)
    sesv2.create_configuration_set(ConfigurationSetName=settings.configuration_set, DeliveryOptions={"TlsPolicy": "REQUIRE"})
    for sender in settings.email_senders:
        sesv2.create_email_identity(EmailIdentity=sender)


def delete_expired(settings: Settings, table_name: str, table: dict[str, Any]) -> int:
    """Delete every item whose TTL attribute lies in the past, as DynamoDB's TTL does (moto does not)."""
    dynamodb = boto3.client("dynamodb", region_name=settings.table_region)
    keys = [table["partitionKey"], table["sortKey"]]
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": "#ttl < :now",
        "ExpressionAttributeNames": {"#ttl": table["ttlAttribute"]},
        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
        "ProjectionExpression": ", ".join(keys),
    }
    deleted = 0
    while True:
        page = dynamodb.scan(**arguments)
        for item in page.get("Items", []):
            dynamodb.delete_item(TableName=table_name, Key={key: item[key] for key in keys})
            deleted += 1
        if "LastEvaluatedKey" not in page:
            return deleted
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_definition(name: str, table: dict) -> dict:
    """CreateTable arguments from a manifest table entry (the same keys and indexes Terraform declares)."""
    key_attributes = {table["partitionKey"], table["sortKey"]}
    indexes = []
    for index_name, index in table.get("indexes", {}).items():
        key_schema = [{"AttributeName": index["partitionKey"], "KeyType": "HASH"}]
        if "sortKey" in index:
            key_schema.append({"AttributeName": index["sortKey"], "KeyType": "RANGE"})
        key_attributes |= {key["AttributeName"] for key in key_schema}
        indexes.append(
            {
                "IndexName": index_name,
                "KeySchema": key_schema,
                "Projection": {"ProjectionType": index.get("projection", "ALL")},
            }
        )
    definition = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": table["partitionKey"], "KeyType": "HASH"},
            {"AttributeName": table["sortKey"], "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [{"AttributeName": attribute, "AttributeType": "S"} for attribute in sorted(key_attributes)],
        "SSESpecification": {"Enabled": True, "SSEType": "KMS"},
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    return definition
