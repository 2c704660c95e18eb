"""onMessageStatus, publishMessageEvent and revokeClientKey's invalidation, handler by handler."""

from __future__ import annotations

from typing import Any

import pytest

from local.appsync.js_engine import Clock, JsEngine
from local.appsync.subscription_filters import matches, validate
from tests.resolvers.conftest import Run

SUBSCRIPTION = "resolver:Subscription.onMessageStatus"
CLIENT_CALLER = {"clientId": "01CLIENT", "mode": "TEST", "scope": "SCOPE#01CLIENT#TEST#"}
KEY_IDENTITY = {"resolverContext": {"clientId": "01CLIENT", "keyId": "01KEY", "mode": "TEST"}}
INFO = {"fieldName": "onMessageStatus", "parentTypeName": "Subscription"}


def _event(**overrides: Any) -> dict[str, Any]:
    event = {"id": "01EVENT", "messageId": "MESSAGE#01M", "senderId": "shop-1", "status": "DELIVERED", "reason": "ok", "at": "2026-01-01T00:00:00.000Z", "clientId": "01CLIENT", "mode": "TEST"}
    return {**event, **overrides}


def _subscribe(run: Run, args: dict[str, Any], identity: Any = KEY_IDENTITY) -> Any:
    return run(SUBSCRIPTION, "response", args=args, stash={"caller": CLIENT_CALLER}, identity=identity, info=INFO)


def test_the_filter_always_holds_the_callers_client_and_mode(run: Run) -> None:
    # WHEN a client key's subscriber subscribes with no arguments
    outcome = _subscribe(run, {})
    # THEN the filter passes its own client's events in its mode only
    assert outcome.kind == "value" and outcome.value is None
    groups = validate(outcome.extensions["subscriptionFilter"])
    assert matches(groups, _event())
    assert not matches(groups, _event(clientId="01OTHER"))
    assert not matches(groups, _event(mode="LIVE"))


@pytest.mark.parametrize("args", [{"senderId": "shop-1"}, {"messageId": "MESSAGE#01M"}, {"senderId": "shop-1", "messageId": "MESSAGE#01M"}])
def test_sender_and_message_arguments_narrow_the_filter(run: Run, args: dict[str, Any]) -> None:
    groups = validate(_subscribe(run, args).extensions["subscriptionFilter"])
    assert matches(groups, _event())
    assert not matches(groups, _event(senderId="shop-2", messageId="MESSAGE#02M"))
    # Whatever the arguments, another client's event with the same sender and message never passes.
    assert not matches(groups, _event(clientId="01OTHER"))


def test_a_client_keys_subscription_is_invalidated_by_its_key_id(run: Run) -> None:
    groups = validate(_subscribe(run, {}).extensions["invalidationFilter"])
    assert matches(groups, {"keyId": "01KEY"})
    assert not matches(groups, {"keyId": "01OTHERKEY"})


def test_the_api_keys_subscription_has_no_invalidation_filter(run: Run) -> None:
    outcome = _subscribe(run, {}, identity=None)
    assert "invalidationFilter" not in outcome.extensions
    assert "subscriptionFilter" in outcome.extensions


@pytest.mark.parametrize("args", [{"senderId": " "}, {"messageId": ""}])
def test_blank_arguments_are_refused(run: Run, args: dict[str, Any]) -> None:
    outcome = run(SUBSCRIPTION, "request", args=args, info=INFO)
    assert outcome.kind == "error"
    assert outcome.error["errorType"] == "ValidationError"


def test_the_marker_names_the_callers_client_and_mode_and_lives_25_hours(run: Run, clock: Clock) -> None:
    # WHEN the subscription marks its subscribers
    outcome = run("function:markSubscribers", "request", stash={"caller": CLIENT_CALLER}, info=INFO)
    # THEN one UpdateItem moves SUBSCRIBERS#<client>#<mode>'s expiry to 25 hours from now
    request = outcome.value
    assert request["operation"] == "UpdateItem"
    assert request["key"] == {"PK": {"S": "SUBSCRIBERS#01CLIENT#TEST"}, "SK": {"S": "SUBSCRIBERS#01CLIENT#TEST"}}
    assert request["update"]["expressionNames"] == {"#expName_1": "expiresAt"}
    assert request["update"]["expressionValues"] == {":expValue_1": {"N": clock.now_millis() // 1000 + 25 * 3600}}
    assert "condition" not in request


def test_a_failed_marker_write_refuses_the_subscription(run: Run) -> None:
    outcome = run("function:markSubscribers", "response", stash={"caller": CLIENT_CALLER}, info=INFO, error={"type": "DynamoDB:ProvisionedThroughputExceededException", "message": "slow down"})
    assert outcome.kind == "error"
    assert outcome.error["errorType"] == "SubscriptionUnavailable"


def test_publish_returns_the_event_as_given(engine: JsEngine) -> None:
    event = _event()
    request = engine.invoke("function:publishEvent", "request", {"args": {"event": event}, "stash": {}, "info": {"fieldName": "publishMessageEvent", "parentTypeName": "Mutation"}})
    assert request.value == {"payload": event}


def test_revoking_a_key_invalidates_its_subscriptions(engine: JsEngine) -> None:
    revoked = {"id": "01KEY", "mode": "TEST", "revokedAt": "2026-01-01T00:00:00.000Z"}
    context = {"args": {"keyId": "01KEY"}, "stash": {}, "prev": {"result": revoked}, "info": {"fieldName": "revokeClientKey", "parentTypeName": "Mutation"}}
    outcome = engine.invoke("resolver:Mutation.revokeClientKey", "response", context)
    assert outcome.value == revoked
    assert outcome.extensions == {"invalidations": [{"subscriptionField": "onMessageStatus", "payload": {"keyId": "01KEY"}}]}
