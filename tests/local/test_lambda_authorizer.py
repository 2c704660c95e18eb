"""AppSync's AWS_LAMBDA mode as the local stack runs it, on a clock the test moves: the validation expression, the
result cache and its TTL, and refusal on any fault."""

from __future__ import annotations

from typing import Any

import pytest

from local.appsync.lambda_authorizer import LambdaAuthorizer
from local.manifest import load_manifest

KEY = "sm_live_01JAAAAAAAAAAAAAAAAAAAAAAA_" + "k" * 43


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Function:
    """A stand-in for the authorizer Lambda: grants the keys it holds, counts its invocations."""

    def __init__(self) -> None:
        self.granted = {KEY: {"clientId": "shop", "keyId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "mode": "LIVE"}}
        self.ttl_override: int | None = None
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        context_ = self.granted.get(event["authorizationToken"])
        if context_ is None:
            return {"isAuthorized": False}
        answer: dict[str, Any] = {"isAuthorized": True, "resolverContext": context_}
        if self.ttl_override is not None:
            answer["ttlOverride"] = self.ttl_override
        return answer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def function() -> Function:
    return Function()


def authorizer(function: Any, clock: Clock, cache_seconds: int = 60) -> LambdaAuthorizer:
    return LambdaAuthorizer(function, load_manifest().clients["identityValidationExpression"], cache_seconds, clock=clock)


def test_a_revoked_key_keeps_working_until_its_cached_answer_ends(function: Function, clock: Clock) -> None:
    # GIVEN a key the function grants, asked about once
    gate = authorizer(function, clock, cache_seconds=60)
    assert gate.authorize(KEY, b"{}", {}) == function.granted[KEY]
    # WHEN the key is revoked (the function now refuses it)
    granted = function.granted.pop(KEY)
    # THEN the cached answer stands for the rest of the minute, without invoking the function
    clock.now += 59.9
    assert gate.authorize(KEY, b"{}", {}) == granted and len(function.events) == 1
    # AND once it ends, the key is refused
    clock.now += 0.2
    assert gate.authorize(KEY, b"{}", {}) is None and len(function.events) == 2


def test_without_a_cache_every_request_asks_the_function(function: Function, clock: Clock) -> None:
    gate = authorizer(function, clock, cache_seconds=0)
    assert gate.authorize(KEY, b"{}", {}) and gate.authorize(KEY, b"{}", {})
    function.granted.clear()
    assert gate.authorize(KEY, b"{}", {}) is None and len(function.events) == 3


def test_the_functions_ttl_override_wins_over_the_apis_cache_time(function: Function, clock: Clock) -> None:
    function.ttl_override = 5
    gate = authorizer(function, clock, cache_seconds=60)
    gate.authorize(KEY, b"{}", {})
    function.granted.clear()
    clock.now += 4
    assert gate.authorize(KEY, b"{}", {}) is not None
    clock.now += 2
    assert gate.authorize(KEY, b"{}", {}) is None


@pytest.mark.parametrize("token", ["sm_live_short", "Bearer " + KEY, KEY + "x", "x" * 3000, ""])
def test_a_token_the_validation_expression_refuses_never_reaches_the_function(function: Function, clock: Clock, token: str) -> None:
    assert authorizer(function, clock).authorize(token, b"{}", {}) is None and function.events == []


def test_the_function_gets_appsyncs_event(function: Function, clock: Clock) -> None:
    body = b'{"query": "{ getMessages(filter: {to: \\"a@b.co\\"}) { data { id } } }", "operationName": null, "variables": {"x": 1}}'
    authorizer(function, clock).authorize(KEY, body, {"authorization": KEY, "host": "localhost"})
    [event] = function.events
    assert event["authorizationToken"] == KEY and event["requestHeaders"]["host"] == "localhost"
    assert event["requestContext"]["queryString"].startswith("{ getMessages") and event["requestContext"]["variables"] == {"x": 1}
    assert set(event["requestContext"]) == {"apiId", "accountId", "requestId", "queryString", "operationName", "variables"}


@pytest.mark.parametrize(
    "answer",
    [
        ConnectionError("DynamoDB is unreachable"),  # the function fails
        {"isAuthorized": "yes"},  # not a boolean true
        {"isAuthorized": True, "resolverContext": {"client": {"id": "nested"}}},  # AppSync allows no nesting
    ],
)
def test_a_fault_or_a_malformed_answer_refuses(clock: Clock, answer: Any) -> None:
    def failing(event: dict[str, Any], context: Any) -> Any:
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert authorizer(failing, clock).authorize(KEY, b"{}", {}) is None
