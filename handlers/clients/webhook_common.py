"""What the webhook functions share: the endpoints' API (webhook_endpoints.py) and the sender (webhooks.py).

- Where an endpoint may be: `check_url` refuses anything but HTTPS on port 443 (or an allowed port), and every
  address its host resolves to that is not a public unicast address (private, loopback, link-local, CGNAT,
  multicast, reserved, unique-local, the cloud metadata addresses, and IPv6 forms that carry an IPv4 address).
  It answers the addresses it checked, and the sender connects to those, never resolving the name again, so a
  name that changes its answer between the check and the connection (DNS rebinding) reaches nothing new.
  The local stack allows http://127.0.0.1 and http://localhost on any port (WEBHOOK_LOOPBACK_ALLOWED).
- The signing secret: `whsec_<base64 of 32 random bytes>`. Each delivery is signed with it, so it cannot be kept
  as a hash: its 32 bytes are encrypted with the stack's KMS key, under an encryption context that names the
  endpoint (a ciphertext moved to another endpoint's item does not decrypt), and never logged.
- The storage contract's copies (graphql/manifest.json: tables.messages.keyPrefixes and webhooks), pinned by
  tests/test_storage_contract.py.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

WEBHOOK_PREFIX = "WEBHOOK#"
ATTEMPT_PREFIX = "ATTEMPT#"
# graphql/manifest.json: webhooks.
ATTEMPT_TIMEOUT_SECONDS = 10
DISABLE_AFTER_FAILING_SECONDS = 432000
PREVIOUS_SECRET_SECONDS = 86400
MAX_ENDPOINTS = 10

# Ports besides 443 an endpoint may use (comma-separated; Terraform's webhooks.allowed_ports).
ALLOWED_PORTS = frozenset(int(port) for port in os.environ["WEBHOOK_ALLOWED_PORTS"].split(",") if port.strip())
# The local stack only: plain HTTP to 127.0.0.1 and localhost, on any port.
LOOPBACK_ALLOWED = os.environ["WEBHOOK_LOOPBACK_ALLOWED"] == "true"

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_URL_CHARACTERS = 2048
HTTPS_PORT = 443
LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1"}
# The statuses an endpoint may ask for: every status change (graphql/schema.graphql: DeliveryStatus but PENDING,
# which a message is recorded with and never changes to).
EVENT_STATUSES = ("ACCEPTED", "UNKNOWN", "DELAYED", "FAILED", "DELIVERED", "BOUNCED", "REJECTED", "COMPLAINED")
ULID_FORM = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
MODES = ("LIVE", "TEST")
# A DNS name: letters, digits and hyphens in dot-separated labels, the last one not all digits (so that no IPv4
# shorthand such as 127.1 or 0x7f.1, which the system resolver reads as an address, passes as a name).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\.?$)(?:{_LABEL}\.)+(?=[a-z0-9-]*[a-z])(?:{_LABEL})\.?")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")

# Networks no webhook may reach, with the words a refusal uses. Python's `is_global` (checked last) covers the
# IANA special-purpose registries; these name the common cases, and hold the cloud metadata addresses apart.
_REFUSED_NETWORKS: tuple[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network], ...] = tuple(
    (reason, ipaddress.ip_network(network))
    for reason, network in (
        ("a cloud metadata", "169.254.169.254/32"),
        ("a cloud metadata", "fd00:ec2::254/128"),
        ("a loopback", "127.0.0.0/8"),
        ("a loopback", "::1/128"),
        ("an unspecified", "0.0.0.0/8"),
        ("an unspecified", "::/128"),
        ("a private", "10.0.0.0/8"),
        ("a private", "172.16.0.0/12"),
        ("a private", "192.168.0.0/16"),
        ("a shared (CGNAT)", "100.64.0.0/10"),
        ("a link-local", "169.254.0.0/16"),
        ("a link-local", "fe80::/10"),
        ("a unique-local", "fc00::/7"),
        ("a site-local", "fec0::/10"),
        ("a multicast", "224.0.0.0/4"),
        ("a multicast", "ff00::/8"),
        ("a reserved", "240.0.0.0/4"),
        # IPv6 forms that carry an IPv4 address, which a dual-stack socket or a translator would reach:
        # IPv4-mapped, IPv4-compatible, NAT64 (well-known and local-use), 6to4, Teredo.
        ("an IPv4-mapped", "::ffff:0:0/96"),
        ("an IPv4-compatible", "::/96"),
        ("a NAT64", "64:ff9b::/96"),
        ("a NAT64", "64:ff9b:1::/48"),
        ("a 6to4", "2002::/16"),
        ("a Teredo", "2001::/32"),
    )
)

Resolver = Callable[[str, int], Sequence[str]]


class AddressRefused(ValueError):
    """An endpoint URL webhooks may not reach; the message says why in the caller's words (never an address)."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the URL's parts, and the addresses its host resolved to, each checked."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        default = HTTPS_PORT if self.scheme == "https" else 80
        bracketed = f"[{self.host}]" if ":" in self.host else self.host
        return bracketed if self.port == default else f"{bracketed}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host`, in its order, each once."""
    found: list[str] = []
    for *_, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP):
        text = str(address[0])
        if text not in found:
            found.append(text)
    return found


def address_refusal(address: str) -> str | None:
    """Why a webhook may not reach this address (e.g. "a loopback"), or None for a public unicast address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "an unusable"
    for reason, network in _REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if ip.is_multicast:
        return "a multicast"
    if ip.is_reserved:
        return "a reserved"
    if not ip.is_global:
        return "a non-public"
    return None


@dataclass(frozen=True)
class _Parsed:
    scheme: str
    host: str
    port: int
    path: str
    literal: str | None  # the host's address when it is one (an IP literal, or a loopback name locally)


def _parse(url: Any, allowed_ports: frozenset[int], loopback_allowed: bool) -> _Parsed:
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_CHARACTERS or _CONTROL_OR_SPACE.search(url):
        raise AddressRefused(f"must be an https:// URL of at most {MAX_URL_CHARACTERS} characters, without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("is not a URL (its host or port cannot be read)") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("must not carry a user name or password")
    if parts.fragment:
        raise AddressRefused("must not have a fragment (#...)")
    if not host:
        raise AddressRefused("has no host")
    loopback = loopback_allowed and scheme == "http" and host in LOOPBACK_HOSTS
    if scheme != "https" and not loopback:
        raise AddressRefused("must use https://")
    if loopback:
        port = 80 if port is None else port
    elif port is None:
        port = HTTPS_PORT
    elif port != HTTPS_PORT and port not in allowed_ports:
        allowed = ", ".join(str(p) for p in sorted({HTTPS_PORT, *allowed_ports}))
        raise AddressRefused(f"must use port {allowed}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if loopback:
        return _Parsed(scheme, host, port, path, LOOPBACK_HOSTS[host])
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_NAME.fullmatch(host):
            raise AddressRefused("has a host that is neither a DNS name (letters, digits, hyphens; international names in their xn-- form) nor an IP address") from None
        return _Parsed(scheme, host.rstrip("."), port, path, None)
    if "%" in host:
        raise AddressRefused("must not name a network interface (%)")
    return _Parsed(scheme, str(literal), port, path, str(literal))


def check_url(
    url: Any, resolver: Resolver = system_resolver, *, allowed_ports: frozenset[int] = ALLOWED_PORTS, loopback_allowed: bool = LOOPBACK_ALLOWED
) -> Target:
    """The target of an endpoint URL, each address of its host checked; raises AddressRefused.

    A DNS name is resolved once, here: the caller connects to `Target.addresses`, never to the name."""
    parsed = _parse(url, allowed_ports, loopback_allowed)
    if parsed.literal is not None and parsed.scheme == "http":
        return Target(parsed.scheme, parsed.host, parsed.port, parsed.path, (parsed.literal,))  # the local stack's loopback
    if parsed.literal is not None:
        addresses: Sequence[str] = [parsed.literal]
    else:
        try:
            addresses = resolver(parsed.host, parsed.port)
        except (OSError, UnicodeError):
            raise AddressRefused("has a host name that does not resolve") from None
        if not addresses:
            raise AddressRefused("has a host name that does not resolve")
    for address in addresses:
        reason = address_refusal(address)
        if reason is not None:
            what = "is" if parsed.literal is not None else "resolves to"
            raise AddressRefused(f"{what} {reason} address, which webhooks may not reach")
    return Target(parsed.scheme, parsed.host, parsed.port, parsed.path, tuple(addresses))


# --- the signing secret ---------------------------------------------------------------------------------


def new_secret() -> tuple[str, bytes]:
    """A signing secret as the caller sees it (whsec_...), and its key bytes, which are what is signed with."""
    key = secrets.token_bytes(SECRET_BYTES)
    return SECRET_PREFIX + base64.b64encode(key).decode(), key


def encryption_context(client_id: str, mode: str, webhook_id: str) -> dict[str, str]:
    """KMS's encryption context of an endpoint's secret: the roles may use the key for this purpose only
    (terraform/webhooks.tf), and a ciphertext decrypts only for the endpoint it was made for."""
    return {"purpose": "webhook-signing-secret", "clientId": client_id, "mode": mode, "webhookId": webhook_id}


def webhook_key(client_id: str, mode: str, webhook_id: str) -> dict[str, dict[str, str]]:
    """An endpoint's item key: its client's and mode's partition, so no caller reaches another's endpoints."""
    return {"PK": {"S": f"{WEBHOOK_PREFIX}{client_id}#{mode}"}, "SK": {"S": f"{WEBHOOK_PREFIX}{webhook_id}"}}


def webhook_view(item: dict[str, Any]) -> dict[str, Any]:
    """An endpoint as the schema's Webhook shows it (never its secrets)."""
    return {
        "id": item["id"]["S"],
        "url": item["url"]["S"],
        "events": [status["S"] for status in item["events"]["L"]],
        "createdAt": item["createdAt"]["S"],
        "disabledAt": item["disabledAt"]["S"] if "disabledAt" in item else None,
    }
