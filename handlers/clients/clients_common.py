"""What the functions built from handlers/clients share: the authorizer (authorizer.py), the operators' API
(operators.py), erasure (erasure.py) and the event publisher (publisher.py) all work on clients, keys, the audit
log of operators' actions, and the events of clients' messages.

Keys: `sm_live_<key id>_<secret>` or `sm_test_...`; only their SHA-256 is stored. The storage contract's copies
here (graphql/manifest.json, tables.messages and clients) are pinned by tests/test_storage_contract.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

API_KEY_PREFIX = "APIKEY#"
CLIENT_PREFIX = "CLIENT#"
CLIENT_KEY_PREFIX = "KEY#"
CLIENTS_PK = "CLIENTS"
AUDIT_PK = "AUDIT"
MESSAGE_PREFIX = "MESSAGE#"
SCOPE_PREFIX = "SCOPE#"
EVENT_PREFIX = "EVENT#"
DEFAULT_CLIENT_ID = "default"
# graphql/manifest.json: clients.keyPrefixes.
KEY_PREFIXES = {"LIVE": "sm_live_", "TEST": "sm_test_"}
# The key's form (graphql/manifest.json: clients.identityValidationExpression, which AppSync checks first).
KEY_FORM = re.compile(r"sm_(?P<mode>live|test)_(?P<key_id>[0-9A-HJKMNP-TV-Z]{26})_[A-Za-z0-9_-]{43}")
SECRET_BYTES = 32
CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def key_hash(key: str) -> str:
    """What is stored of a key: its SHA-256 (the key holds 256 random bits, so no slower hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(mode: str, key_id: str) -> str:
    return f"{KEY_PREFIXES[mode]}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


def new_ulid(now: datetime) -> str:
    """A ULID: 48 bits of milliseconds, then 80 random bits, in Crockford's base32 (the Lambda runtime has no
    ULID library, and the ids sort by time)."""
    return _ulid(_epoch_millis(now), secrets.randbits(80))


def ulid_floor(moment: datetime) -> str:
    """The smallest ULID of a moment's millisecond: every id made at or after it sorts at or after this one."""
    return _ulid(_epoch_millis(moment), 0)


def _ulid(millis: int, low_bits: int) -> str:
    value = (millis << 80) | low_bits
    return "".join(CROCKFORD_BASE32[(value >> shift) & 31] for shift in range(125, -1, -5))


def _epoch_millis(moment: datetime) -> int:
    """Exact milliseconds since the epoch (a time without a zone is UTC's, as every time the table holds)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def audit_item(actor: str, action: str, now: datetime, client_id: str | None = None, key_id: str | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit record of one operator action: who (the IAM ARN), what and when; never a secret or an address."""
    event_id = new_ulid(now)
    item: dict[str, Any] = {
        "PK": {"S": AUDIT_PK},
        "SK": {"S": event_id},
        "id": {"S": event_id},
        "actor": {"S": actor},
        "action": {"S": action},
        "at": {"S": iso(now)},
    }
    if client_id is not None:
        item["clientId"] = {"S": client_id}
    if key_id is not None:
        item["keyId"] = {"S": key_id}
    if details:
        item["details"] = {"S": json.dumps(details, sort_keys=True)}
    return item


# --- events -------------------------------------------------------------------------------------------------
# Every status a message takes after it was recorded is one event (the initial PENDING is not one). The
# publisher writes each as EVENT#<clientId>#<mode> / <event id>; erasure deletes a message's events by
# computing their keys from its statusHistory, so both derive them here.

NOT_AN_EVENT = "PENDING"


@dataclass(frozen=True)
class Caller:
    """Whose a message is: its client and its key's mode."""

    client_id: str
    mode: str

    @property
    def event_partition(self) -> str:
        return f"{EVENT_PREFIX}{self.client_id}#{self.mode}"


def caller_of(message_sort_key: str) -> Caller:
    """The client and mode a message's sort key names: SCOPE#<clientId>#<mode>#MESSAGE#<ULID>, or
    MESSAGE#<ULID> for the `default` client's LIVE key, whose records predate clients
    (graphql/functions/identifyCaller.js: scopeOf)."""
    if not message_sort_key.startswith(SCOPE_PREFIX):
        return Caller(DEFAULT_CLIENT_ID, "LIVE")
    client_id, mode, rest = message_sort_key.removeprefix(SCOPE_PREFIX).split("#", 2)
    if not rest.startswith(MESSAGE_PREFIX) or mode not in KEY_PREFIXES:
        raise ValueError("not a message's sort key")
    return Caller(client_id, mode)


def is_event(entry: Mapping[str, Any]) -> bool:
    return entry.get("status") != NOT_AN_EVENT


def event_id(message_sort_key: str, entry: Mapping[str, Any]) -> str:
    """A status change's event id: a ULID whose 48-bit time is when the change was recorded and whose 80 other
    bits are the first 10 bytes of SHA-256 of `<message SK>|<status>|<at>`.

    The same change always gets the same id, so a retried stream batch rewrites nothing and erasure finds every
    event of a message from its history. The time is the entry's `recordedAt` (when the status functions wrote
    it; handlers/status/recording.py), or its `at` where it has none (the delivery outcome's `at` is when it was
    recorded): never the provider's own time, which can lie minutes in the past, so that ids follow the order
    in which events reach the feed and a caller paging with `after` skips none (graphql/functions/queryEvents.js).
    """
    recorded = datetime.fromisoformat(str(entry.get("recordedAt") or entry["at"]))
    digest = hashlib.sha256(f"{message_sort_key}|{entry['status']}|{entry['at']}".encode()).digest()
    return _ulid(_epoch_millis(recorded), int.from_bytes(digest[:10], "big"))


def event_keys(message_sort_key: str, history: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The table keys of every event a message's history produced (PK, SK), each once."""
    partition = caller_of(message_sort_key).event_partition
    ids = dict.fromkeys(event_id(message_sort_key, entry) for entry in history if is_event(entry))
    return [{"PK": partition, "SK": sort_key} for sort_key in ids]
