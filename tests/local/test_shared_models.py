"""The sessions of a stack's process share the parsed service models and nothing else: each keeps its own events,
so one stack's hooks (the outbox, the table stream) never see another session's calls."""

from __future__ import annotations

from typing import Any

from moto import mock_aws

from local.aws.emulator import session_sharing_models

REGION = "eu-central-1"


def test_sessions_share_the_loaded_models_but_not_their_events(monkeypatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # GIVEN two sessions, a hook on the first one's DynamoDB calls
    first, second = session_sharing_models(), session_sharing_models()
    seen: list[str] = []

    def hook(**kwargs: Any) -> None:
        seen.append(kwargs["event_name"])

    first.events.register("before-call.dynamodb.ListTables", hook)
    with mock_aws():
        # WHEN each makes a client and calls DynamoDB
        first.client("dynamodb", region_name=REGION).list_tables()
        second.client("dynamodb", region_name=REGION).list_tables()
        resource_tables = list(second.resource("dynamodb", region_name=REGION).tables.all())
    # THEN both read their models through one loader (which keeps what it has parsed)
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader and second._loader is loader
    # AND only the first session's call reached its hook; the second's resources still work
    assert seen == ["before-call.dynamodb.ListTables"]
    assert resource_tables == []
