"""AWS errors as botocore raises them, for tests that make a provider refuse, throttle or fail."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def client_error(code: str, operation: str, status: int | None = None, message: str = "") -> ClientError:
    """A ClientError with the given code and, when known, the HTTP status it came with."""
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message}}
    if status is not None:
        response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return ClientError(response, operation)  # type: ignore[arg-type]  # botocore's TypedDict wants every metadata key
