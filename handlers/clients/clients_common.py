"""What the functions built from handlers/clients share: the authorizer (authorizer.py), the operators' API
(operators.py) and erasure (erasure.py) all work on clients, keys and the audit log of operators' actions.

Keys: `sm_live_<key id>_<secret>` or `sm_test_...`; only their SHA-256 is stored. The storage contract's copies
here (graphql/manifest.json, tables.messages and clients) are pinned by tests/test_storage_contract.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

API_KEY_PREFIX = "APIKEY#"
CLIENT_PREFIX = "CLIENT#"
CLIENT_KEY_PREFIX = "KEY#"
CLIENTS_PK = "CLIENTS"
AUDIT_PK = "AUDIT"
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
    value = (int(now.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(CROCKFORD_BASE32[(value >> shift) & 31] for shift in range(125, -1, -5))


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
