"""Webhook receivers for the tests: real HTTP(S) servers on loopback that record what they are sent and answer as
told, and a test resolver that makes chosen host names resolve to chosen addresses.

Every request a receiver gets is kept with its headers, its exact body and the moment it arrived; `verified()`
checks one with the Standard Webhooks reference library (PyPI `standardwebhooks`), as a receiver's own code would.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()
    server_name: str | None = None  # the TLS SNI the sender gave, for an HTTPS receiver

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")

    def verified(self, secret: str) -> Any:
        """The payload, once the reference library has verified the signature (it raises otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


# What a receiver answers to a request: a status, and headers (e.g. Retry-After).
Answer = Callable[[Received, int], tuple[int, dict[str, str]]]


def always(status: int, headers: dict[str, str] | None = None) -> Answer:
    return lambda _request, _nth: (status, headers or {})


def failing_first(times: int, status: int = 500) -> Answer:
    """Fails the first `times` requests of each webhook-id, then answers 200."""
    return lambda _request, nth: (status, {}) if nth <= times else (200, {})


@dataclass
class Receiver:
    answer: Answer = field(default_factory=lambda: always(200))
    received: list[Received] = field(default_factory=list)
    tls: ssl.SSLContext | None = None
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server_names: dict[int, str | None] = field(default_factory=dict)
    _receipts: dict[str | None, int] = field(default_factory=dict)  # requests received, by webhook-id

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/messages?token=receiver-secret-token"

    def of(self, webhook_id: str) -> list[Received]:
        with self._lock:
            return [request for request in self.received if request.webhook_id == webhook_id]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"the receiver got {len(self.received)} requests, not {count}, within {timeout} s")

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                request = Received(self.path, {name.lower(): value for name, value in self.headers.items()}, body, time.monotonic(), receiver._server_names.get(id(self.connection)))
                webhook_id = request.headers.get("webhook-id")
                with receiver._lock:
                    receiver.received.append(request)
                    nth = receiver._receipts[webhook_id] = receiver._receipts.get(webhook_id, 0) + 1
                status, headers = receiver.answer(request, nth)
                answer = b"an endpoint's own words, never to be stored"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if self.tls is not None:
            self.tls.sni_callback = self._remember_server_name
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def _remember_server_name(self, connection: Any, server_name: str | None, _context: ssl.SSLContext) -> None:
        self._server_names[id(connection)] = server_name

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def receiving(answer: Answer | None = None, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    receiver = Receiver(answer or always(200), tls=tls).start()
    try:
        yield receiver
    finally:
        receiver.stop()


class HostsResolver:
    """socket.getaddrinfo with chosen answers for chosen names (each a list of addresses, or a function of how
    many times the name was looked up), every other lookup left to the system; it counts the lookups."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, Sequence[str] | Callable[[int], Sequence[str]]] = {}
        self.lookups: dict[str, int] = {}
        self._system = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(host, str) or host not in self.answers:
            return self._system(host, port, *args, **kwargs)
        self.lookups[host] = self.lookups.get(host, 0) + 1
        answer = self.answers[host]
        addresses = answer(self.lookups[host]) if callable(answer) else answer
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))
            for address in addresses
        ]


def tls_contexts(server_name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for `server_name` from a throw-away CA, and a client context that
    trusts that CA alone (as the system's trust store trusts public CAs)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook tests CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="webhook-tls-"))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client
