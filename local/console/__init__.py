"""The local console: one page, its modules and styles (this folder), and the libraries npm installed from
package-lock.json (node_modules), all served by the local stack itself. No CDN, no build step.

The page is given the API key and the local client's keys, in a <meta> element of the HTML the stack serves, so
it opens with nothing to type. Another origin cannot read it: the stack answers only to a loopback Host (a DNS-rebinding page is
refused), and it sends no CORS headers on these routes, so a page elsewhere that fetches them cannot read the
answer. The page may not be framed, and its Content-Security-Policy lets it load and call nothing but the
stack (a captured email's HTML included).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.appsync.datasources import from_item
from local.config import Settings
from local.manifest import REPO_ROOT, load_manifest
from local.operations import (
    CREATE_WEBHOOK,
    DELETE_WEBHOOK,
    GET_MESSAGES,
    REPLAY_WEBHOOK_EVENT,
    ROTATE_WEBHOOK_SECRET,
    SEND_MESSAGE,
    WEBHOOK_ATTEMPTS,
    WEBHOOKS,
)
from local.providers import provider_events
from local.providers.ses_simulator import SCENARIOS, SIMULATOR_DOMAIN

if TYPE_CHECKING:
    from local.stack import LocalStack

CONSOLE_DIR = Path(__file__).resolve().parent
NODE_MODULES = REPO_ROOT / "node_modules"
FILE_PREFIXES = ("/console/", "/vendor/")
# What the page may load from node_modules, under /vendor/ (GraphiQL's UMD build and the React it runs on).
VENDOR = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_CONSOLE_FILE = re.compile(r"/console/([a-z][a-z-]*\.(?:js|css))")
# Scripts and connections only to the stack; inline styles for GraphiQL's editor; images from the stack or
# data: URLs only, so a captured email's remote images (tracking pixels) are never fetched.
POLICY = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(POLICY)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def config(settings: Settings, client_keys: dict[str, str]) -> dict[str, object]:
    """What the page is told: the keys (the local client's LIVE and TEST keys for the API, the API key for the
    /local tools), the documents it sends, and what its forms offer."""
    ranks = load_manifest().storage.status_ranks
    return {
        "apiKey": settings.api_key,
        "clientKeys": client_keys,
        "operations": {
            "sendMessage": SEND_MESSAGE,
            "getMessages": GET_MESSAGES,
            "createWebhook": CREATE_WEBHOOK,
            "webhooks": WEBHOOKS,
            "deleteWebhook": DELETE_WEBHOOK,
            "rotateWebhookSecret": ROTATE_WEBHOOK_SECRET,
            "webhookAttempts": WEBHOOK_ATTEMPTS,
            "replayWebhookEvent": REPLAY_WEBHOOK_EVENT,
        },
        # The statuses a webhook endpoint may ask for: every status change (a message is recorded with rank 0's).
        "webhookStatuses": [status for status, rank in ranks.items() if rank > 0],
        "emailSenders": settings.email_senders,
        "smsSenderIds": settings.sms_sender_ids,
        "events": {"EMAIL": sorted(provider_events.SES_EVENTS), "SMS": sorted(provider_events.SMS_EVENTS)},
        "simulatorAddresses": [f"{name}@{SIMULATOR_DOMAIN}" for name in SCENARIOS],
        "simulatorDelaySeconds": settings.ses_simulator_delay_seconds,
    }


def page(settings: Settings, client_keys: dict[str, str]) -> bytes:
    template = (CONSOLE_DIR / "index.html").read_text()
    return template.replace("{{config}}", html.escape(json.dumps(config(settings, client_keys)), quote=True)).encode()


def static_file(path: str) -> tuple[bytes, str] | None:
    """A console file or a vendored library by its URL path, with its content type; None if there is none."""
    if path.startswith("/vendor/"):
        relative = VENDOR.get(path.removeprefix("/vendor/"))
        file = NODE_MODULES / relative if relative else None
    else:
        match = _CONSOLE_FILE.fullmatch(path)
        file = CONSOLE_DIR / match.group(1) if match else None
    if file is None or not file.is_file():
        return None
    return file.read_bytes(), CONTENT_TYPES[file.suffix]


def missing_hint(path: str) -> str:
    if path.removeprefix("/vendor/") in VENDOR:
        return ": the console's libraries come from package-lock.json (run make install)"
    return ""


# BatchGetItem's limit of keys per request.
_BATCH_KEYS = 100
_STATUS_FIELDS = "PK, SK, providerMessageId, deliveryStatus, statusReason"


def outbox_statuses(stack: LocalStack, since: str | None) -> dict[str, Any]:
    """`GET /local/outbox/statuses[?since=<writes>]`: what the outbox rows show of each entry's record as it is now,
    `{"writes": <the table's count of writes>, "statuses": {<providerMessageId>: {"messageId", "deliveryStatus",
    "statusReason"} | null}}`, keyed by the id SES or SNS gave the send, which every entry carries.

    With `since` (the `writes` of the asker's last answer), only the entries whose record was written after it
    are read again: the console asks whenever the stream reports writes, and most writes touch one message. A
    count the stack has not reached (it was restarted) reads them all.
    """
    writes, written = stack.activity.written_since(int(since) if since and since.isdigit() else 0)
    everything = not (since and since.isdigit()) or int(since) > writes
    reporter = stack.reporter
    statuses = read_statuses(reporter.dynamodb, reporter.table_name, reporter.message_prefix, stack.outbox.entries(), None if everything else written)
    return {"writes": writes, "statuses": statuses}


def read_statuses(dynamodb: Any, table_name: str, message_prefix: str, entries: list[dict[str, Any]], written: set[tuple[str, str]] | None) -> dict[str, Any]:
    """Each entry's record's status by the entry's provider message id; with `written` (the keys of the items
    written since the last read), only the entries whose record may have changed. An entry read whose record is
    gone (expired, erased) is None.

    An email's record is read by its key (as its tags name it, the way SES's events find it), a hundred a
    request; an SMS's by its number's partition, one query a number, matched on the SNS message id the record
    keeps for SNS's reports. Consistent reads: the console asks right after the stream reports a write.
    """
    emails = {tuple(entry["recordKey"]): entry["providerMessageId"] for entry in entries if entry["channel"] == "EMAIL" and entry.get("recordKey")}
    texts: dict[str, set[str]] = {}
    for entry in entries:
        if entry["channel"] == "SMS":
            texts.setdefault(f"{message_prefix}{entry['to']}", set()).add(entry["providerMessageId"])
    keys = sorted(emails.keys() if written is None else emails.keys() & written)
    partitions = sorted(texts.keys() if written is None else texts.keys() & {partition for partition, _ in written})
    statuses: dict[str, Any] = {emails[key]: None for key in keys} | {sent: None for partition in partitions for sent in texts[partition]}
    for record in _records_by_key(dynamodb, table_name, keys):
        statuses[emails[record["PK"], record["SK"]]] = _status(record, message_prefix)
    for partition in partitions:
        for record in _partition(dynamodb, table_name, partition):
            if record.get("providerMessageId") in texts[partition]:
                statuses[record["providerMessageId"]] = _status(record, message_prefix)
    return statuses


def _status(record: dict[str, Any], message_prefix: str) -> dict[str, Any]:
    # The record's id: its sort key past the client's scope.
    return {"messageId": record["SK"][record["SK"].index(message_prefix) :], "deliveryStatus": record.get("deliveryStatus"), "statusReason": record.get("statusReason")}


def _records_by_key(dynamodb: Any, table_name: str, keys: list[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(keys), _BATCH_KEYS):
        request: dict[str, Any] = {
            table_name: {
                "Keys": [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in keys[start : start + _BATCH_KEYS]],
                "ProjectionExpression": _STATUS_FIELDS,
                "ConsistentRead": True,
            }
        }
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            yield from (from_item(item) or {} for item in answer["Responses"].get(table_name, []))
            request = answer.get("UnprocessedKeys") or {}


def _partition(dynamodb: Any, table_name: str, partition_key: str) -> Iterator[dict[str, Any]]:
    query: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": partition_key}},
        "ProjectionExpression": _STATUS_FIELDS,
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb.query(**query)
        yield from (from_item(item) or {} for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
