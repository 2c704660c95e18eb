"""publishMessageEvent's pipeline as AppSync runs it (authorizePublisher, then publishEvent on the NONE data source):
only the stack's event publisher may publish to the subscriptions; any other caller is refused before anything is
published."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.appsync.datasources import NoneDataSource
from local.appsync.js_engine import JsEngine
from local.appsync.pipeline import (
    FieldError,
    FieldResult,
    PipelineExecutor,
    RequestInfo,
)
from local.manifest import Manifest

FIELD = "Mutation.publishMessageEvent"
PUBLISHER = "arn:aws:sts::123456789012:assumed-role/prod-messenger-events/"
CONFIG_KEY = {"PK": {"S": "CONFIG"}, "SK": {"S": "DELIVERY"}}
EVENT = {
    "id": "01EVENT",
    "messageId": "MESSAGE#01M",
    "senderId": "shop",
    "status": "DELIVERED",
    "reason": "ok",
    "at": "2026-01-01T00:00:00.000Z",
    "clientId": "01VICTIM",
    "mode": "LIVE",
}
REFUSAL = "Not Authorized to access publishMessageEvent on type Mutation"


def iam(user_arn: str) -> dict[str, Any]:
    return {"accountId": user_arn.split(":")[4], "userArn": user_arn, "username": "AROAEXAMPLE:session", "sourceIp": ["203.0.113.7"]}


@dataclass
class Recording:
    """A data source that notes each request and answers as it was told."""

    answer: tuple[Any, Any] = (None, None)
    requests: list[Any] = field(default_factory=list)

    def invoke(self, request: Any) -> tuple[Any, Any]:
        self.requests.append(request)
        return self.answer


@dataclass
class RecordingNone(NoneDataSource):
    """The NONE data source, noting what it was asked to publish."""

    published: list[Any] = field(default_factory=list)

    def invoke(self, request: Any) -> tuple[Any, Any]:
        self.published.append(request)
        return super().invoke(request)


@dataclass
class Api:
    executor: PipelineExecutor
    table: Recording
    none: RecordingNone

    def publish(self, identity: dict[str, Any] | None, config: dict[str, Any] | None = None) -> FieldResult:
        self.table.answer = (config, None)
        info = RequestInfo("publishMessageEvent", "Mutation", {}, list(EVENT), "", {}, identity)
        return self.executor.resolve(FIELD, {"event": EVENT}, info)


@pytest.fixture(scope="module")
def pipeline_engine(manifest: Manifest) -> Iterator[JsEngine]:
    js = JsEngine()
    yield js
    js.close()


@pytest.fixture
def api(manifest: Manifest, pipeline_engine: JsEngine) -> Api:
    table, none = Recording(), RecordingNone()
    data_sources: dict[str, Any] = {name: Recording() for name in manifest.data_sources}
    data_sources |= {"messagesTable": table, "NONE": none}
    return Api(PipelineExecutor(manifest, pipeline_engine, data_sources, env={}), table, none)


def published_config(publisher: str = PUBLISHER) -> dict[str, Any]:
    """What the GetItem returns: the item's one projected attribute."""
    return {"eventPublisher": publisher}


def test_the_event_publishers_session_publishes_the_event_as_given(api: Api) -> None:
    # GIVEN the publisher's role named in CONFIG/DELIVERY
    # WHEN one of its sessions publishes
    result = api.publish(iam(f"{PUBLISHER}prod-messenger-events"), published_config())
    # THEN the event is the mutation's result (what AppSync pushes to the subscribers)
    assert result.value == EVENT
    assert api.none.published == [{"payload": EVENT}]
    # AND the check cost one GetItem of the config item's publisher attribute alone
    assert api.table.requests == [
        {"operation": "GetItem", "key": CONFIG_KEY, "projection": {"expression": "#publisher", "expressionNames": {"#publisher": "eventPublisher"}}}
    ]


@pytest.mark.parametrize(
    "user_arn",
    [
        "arn:aws:sts::123456789012:assumed-role/operator/alice",  # an operator's role
        "arn:aws:sts::123456789012:assumed-role/shop-backend/i-0abc",  # a backend mapped to a client (iam_clients)
        "arn:aws:sts::123456789012:assumed-role/prod-messenger-events-evil/x",  # a role whose name starts the same
        "arn:aws:sts::999999999999:assumed-role/prod-messenger-events/x",  # the same role name in another account
        "arn:aws:iam::123456789012:user/prod-messenger-events",  # a user named like the role
        "arn:aws:sts::123456789012:assumed-role/prod-messenger-events",  # the prefix without its slash
    ],
)
def test_any_other_iam_caller_is_refused_and_nothing_is_published(api: Api, user_arn: str) -> None:
    # WHEN another IAM principal publishes an event of another client
    with pytest.raises(FieldError) as refused:
        api.publish(iam(user_arn), published_config())
    # THEN AppSync's Unauthorized error, and the NONE data source never ran
    assert (refused.value.error_type, refused.value.message) == ("Unauthorized", REFUSAL)
    assert api.none.published == []


def test_the_local_functions_role_is_the_publisher_where_the_local_stack_names_it_and_its_lookalike_is_not(api: Api) -> None:
    local_publisher = "arn:aws:sts::000000000000:assumed-role/local-functions/"
    assert api.publish(iam(f"{local_publisher}local"), published_config(local_publisher)).value == EVENT
    with pytest.raises(FieldError, match=REFUSAL):
        api.publish(iam("arn:aws:sts::000000000000:assumed-role/local-functions-evil/local"), published_config(local_publisher))
    assert api.none.published == [{"payload": EVENT}]


@pytest.mark.parametrize(
    "identity",
    [None, {"resolverContext": {"clientId": "01ATTACKER", "keyId": "01KEY", "mode": "LIVE"}}],
    ids=["api key", "client key (Lambda)"],
)
def test_an_api_key_or_a_client_key_is_refused_without_a_read(api: Api, identity: dict[str, Any] | None) -> None:
    with pytest.raises(FieldError) as refused:
        api.publish(identity, published_config())
    assert refused.value.error_type == "Unauthorized"
    assert api.table.requests == [] and api.none.published == []


@pytest.mark.parametrize(
    "config",
    [
        None,
        {},
        {"eventPublisher": ""},
        {"eventPublisher": "arn:aws:sts::123456789012:assumed-role"},
        {"eventPublisher": "arn:aws:sts::123456789012:assumed-role/"},
        {"eventPublisher": "arn:aws:sts::123456789012:"},
        {"eventPublisher": "arn:aws:iam::123456789012:user/"},
    ],
    ids=["no item", "no attribute", "blank", "no slash", "every role", "every principal", "every user"],
)
def test_without_a_publisher_configured_no_caller_may_publish(api: Api, config: dict[str, Any] | None) -> None:
    # GIVEN a config item that names no publisher (or a malformed one, which must never match every role)
    # WHEN any IAM caller publishes
    with pytest.raises(FieldError) as refused:
        api.publish(iam(f"{PUBLISHER}prod-messenger-events"), config)
    # THEN it is refused
    assert refused.value.error_type == "Unauthorized"
    assert api.none.published == []


def test_a_failed_read_publishes_nothing(api: Api) -> None:
    api.table.answer = (None, {"type": "DynamoDB:ProvisionedThroughputExceededException", "message": "slow down"})
    info = RequestInfo("publishMessageEvent", "Mutation", {}, list(EVENT), "", {}, iam(f"{PUBLISHER}s"))
    with pytest.raises(FieldError) as failed:
        api.executor.resolve(FIELD, {"event": EVENT}, info)
    assert failed.value.error_type == "ConfigurationUnavailable"
    assert api.none.published == []
