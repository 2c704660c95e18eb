"""What stands in front of the emulated AWS account (moto's server): the same two gates as the stack's own
endpoint. A request must name a loopback host (a DNS-rebinding page reaches the port under its own name), and
carry a SigV4 signature by the stack's credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the local
defaults otherwise) or by its functions' (derived from them) that verifies over the body received. The stack's
own clients sign with its functions' credentials; a developer's `aws --endpoint-url ...` with the credentials the
banner prints. moto itself checks
nothing: without this, anything that reached its port could read and write the account.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from local.appsync.auth import Refusal, SigV4Principals, SigV4Verifier
from local.config import host_is_loopback

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Bigger than anything the stack sends moto (a 256 KB email, a batch of 25 items); stops memory abuse.
MAX_BODY_BYTES = 16 * 1024 * 1024


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers with lower-case names, as the client sent them."""
    headers = {name[5:].replace("_", "-").lower(): str(value) for name, value in environ.items() if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = str(environ[name])
    return headers


def _refuse(start_response: Callable[..., Any], refusal: Refusal) -> list[bytes]:
    # AWS's JSON error shape (what DynamoDB, SES v2 and the other JSON services answer); the status says the rest.
    body = json.dumps({"__type": refusal.error_type, "message": refusal.message}).encode()
    start_response(
        f"{refusal.status.value} {refusal.status.phrase}",
        [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body))), ("x-amzn-ErrorType", refusal.error_type)],
    )
    return [body]


def guarded(app: WsgiApp, verifier: SigV4Verifier | SigV4Principals) -> WsgiApp:
    """`app` (moto's WSGI application) behind the loopback-host and signature checks."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if not host_is_loopback(host):
            return _refuse(start_response, Refusal(HTTPStatus.FORBIDDEN, "ForbiddenHost", "The emulated AWS answers only to a loopback host name (localhost, 127.0.0.1, [::1])"))
        declared = str(environ.get("CONTENT_LENGTH") or "0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            return _refuse(start_response, Refusal(HTTPStatus.BAD_REQUEST, "MalformedHttpRequestException", "Content-Length is missing, malformed or too big"))
        body = environ["wsgi.input"].read(int(declared)) if int(declared) else b""
        headers = _headers(environ)
        if not headers.get("authorization"):
            return _refuse(start_response, Refusal(HTTPStatus.FORBIDDEN, "MissingAuthenticationTokenException", "Request is missing Authentication Token"))
        # The path exactly as sent (still percent-encoded), as the client signed it.
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        caller = verifier.verify(environ["REQUEST_METHOD"], f"http://{host}{target}", headers, body)
        if isinstance(caller, Refusal):
            return _refuse(start_response, caller)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return application
