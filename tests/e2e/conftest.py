"""A local stack started once for the e2e tests (local/launcher.py), and helpers to drive it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.appsync.auth import functions_credentials
from local.config import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from local.launcher import GENEROUS_LIMITS, LocalStackProcess, Response, running_stack
from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE

LocalApi = LocalStackProcess
API_KEY = "e2e-secret-key"
DEFAULT_EMAIL_FROM = "no-reply@example.com"
# The session's stack maps its IAM principal (local/appsync/auth.py) to the default client, as a deployment maps a
# backend's role (iam_clients), so signed requests act as the API key's client.
IAM_CLIENTS = json.dumps({"arn:aws:iam::000000000000:user/local": "default"})


# Most tests send many messages to few recipients, far past the sending limits' defaults: the session's
# stack raises them (GENEROUS_LIMITS). The limits, and the original examples, run on a stack with the
# defaults (default_api).
@pytest.fixture(scope="session")
def api():
    with running_stack(API_KEY, {**GENEROUS_LIMITS, "IAM_CLIENTS": IAM_CLIENTS}) as stack:
        yield stack


@pytest.fixture(scope="session")
def default_api():
    """A stack with every setting at its default, as `make dev` starts it."""
    with running_stack(API_KEY) as stack:
        yield stack


_counter = iter(range(1_000_000))


@pytest.fixture
def fresh_email() -> str:
    """A recipient no other test has written to."""
    return f"person{next(_counter)}.{time.time_ns()}@example.com"


def send(api: LocalApi, **message_input: Any) -> Response:
    return api.graphql(SEND_MESSAGE, {"input": message_input})


def history(api: LocalApi, to: str, first: int = 100, key: str | None = None) -> list[dict[str, Any]]:
    """Every message sent to `to` (by the API key's client, or the `key`'s), following the cursors."""
    messages, after = [], None
    while True:
        page = api.graphql(GET_MESSAGES, {"filter": {"to": to}, "first": first, "after": after}, key=key)
        assert not page.errors, page.errors
        messages.extend(page.data["getMessages"]["data"])
        info = page.data["getMessages"]["pageInfo"]
        if not info["hasNextPage"]:
            return messages
        after = info["endCursor"]


def signed_as_publisher(api: LocalApi, query: str, variables: dict[str, Any] | None = None) -> Response:
    """A GraphQL request signed as the stack's event publisher signs publishMessageEvent: with the functions'
    role's credentials (local/appsync/auth.py), the one principal the API lets publish."""
    key_id, secret = functions_credentials(api.secret_access_key)
    return signed(api, query, variables, key_id=key_id, secret=secret)


def table(api: LocalApi) -> Any:
    return boto3.resource("dynamodb", region_name="eu-central-1", endpoint_url=api.aws_endpoint, aws_access_key_id=api.access_key_id, aws_secret_access_key=api.secret_access_key).Table("local-messages")


def items_of(api: LocalApi, partition: str) -> list[dict[str, Any]]:
    return table(api).query(KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": partition}, ConsistentRead=True)["Items"]


def counters_of(api: LocalApi, mailbox: str) -> list[dict[str, Any]]:
    """The mailbox's hourly LIVE email counters (LIMIT#LIVE#EMAIL#<shard> / HOUR#<hour>#<mailbox>), whichever shard holds them."""
    found = []
    for shard in range(load_manifest().storage.limit_shards["recipientHour"]):
        items = table(api).query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :hour)",
            ExpressionAttributeValues={":pk": f"LIMIT#LIVE#EMAIL#{shard}", ":hour": "HOUR#"},
            ConsistentRead=True,
        )["Items"]
        found += [item for item in items if str(item["SK"]).split("#", 2)[2] == mailbox]
    return found


def signed(
    api: LocalApi,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    secret: str = LOCAL_SECRET_ACCESS_KEY,
    signed_at: datetime | None = None,
    key_id: str = LOCAL_ACCESS_KEY_ID,
) -> Response:
    """A GraphQL request signed with SigV4 (service appsync), as an AWS SDK signs it for AppSync; by the stack's
    operators' user unless `key_id` and `secret` are another principal's."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = AWSRequest(method="POST", url=api.graphql_url, data=body, headers={"content-type": "application/json"})
    signer = SigV4Auth(Credentials(key_id, secret), "appsync", "eu-central-1")
    request.context["timestamp"] = (signed_at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    request.headers["X-Amz-Date"] = request.context["timestamp"]
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    signed_headers = signer.signed_headers(signer.headers_to_sign(request))
    request.headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders={signed_headers}, Signature={signature}"
    return api.post("/graphql", body, {name: value for name, value in request.headers.items() if name.lower() != "host"})


def wait_for_window(window_seconds: int, needed_seconds: float) -> None:
    """Counters are per calendar window: start a test only when its window has long enough left to run in."""
    left = window_seconds - time.time() % window_seconds
    if left < needed_seconds:
        time.sleep(left + 0.5)
