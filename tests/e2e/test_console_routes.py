"""The console's routes: its page (with the key, for its own origin only), its files, the libraries npm
installed, GET /graphql from a browser, the live stream (GET /local/stream), and the outbox's statuses and
clearing (GET /local/outbox/statuses, DELETE /local/outbox)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from http.client import HTTPResponse
from typing import Any

import pytest

from local.console import VENDOR
from local.launcher import GENEROUS_LIMITS, running_stack
from tests.e2e.conftest import API_KEY, LocalApi, history, send

STREAM_TIMEOUT_SECONDS = 30


def get(api: LocalApi, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = api.connect()
    try:
        connection.request("GET", path, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, dict(reply.headers), reply.read()
    finally:
        connection.close()


def page_config(body: bytes) -> dict[str, Any]:
    [content] = re.findall(rb'<meta name="console-config" content="([^"]*)">', body)
    config: dict[str, Any] = json.loads(html.unescape(content.decode()))
    return config


def test_the_page_carries_the_key_for_its_own_origin_and_no_other(api: LocalApi) -> None:
    # WHEN a browser opens the console, from anywhere (a page elsewhere sends its own Origin)
    status, headers, body = get(api, "/", {"Origin": "http://localhost:3000", "Accept": "text/html"})
    # THEN it gets the page with the key and the documents it sends, nothing to type
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    config = page_config(body)
    assert config["apiKey"] == api.api_key
    assert config["operations"]["sendMessage"].lstrip().startswith("#") and "mutation sendMessage" in config["operations"]["sendMessage"]
    assert "bounce@simulator.amazonses.com" in config["simulatorAddresses"]
    # AND no other origin may read it (no CORS), frame it, or make it load or call anything but the stack
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "connect-src 'self'" in headers["Content-Security-Policy"] and "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_key_in_the_page_is_escaped_as_html() -> None:
    from local.config import Settings
    from local.console import page

    body = page(Settings(api_key='"><script>alert(1)</script>'), {"LIVE": "sm_live_</script>", "TEST": "sm_test_x"})
    assert b"<script>alert" not in body
    assert page_config(body)["apiKey"] == '"><script>alert(1)</script>'


@pytest.mark.parametrize("path", ["/", "/console/app.js", "/vendor/graphiql.js", "/local/stream", "/graphql"])
def test_the_console_routes_refuse_a_host_that_is_not_a_loopback_name(api: LocalApi, path: str) -> None:
    status, _, body = get(api, path, {"Host": "evil.example", "x-api-key": api.api_key, "Accept": "text/html"})
    assert status == 403 and json.loads(body)["errors"][0]["errorType"] == "ForbiddenHost"


@pytest.mark.parametrize(("path", "content_type"), [("/console/app.js", "text/javascript"), ("/console/console.css", "text/css")])
def test_the_console_files_are_served_without_cors(api: LocalApi, path: str, content_type: str) -> None:
    status, headers, body = get(api, path, {"Origin": "http://localhost:3000"})
    assert status == 200 and headers["Content-Type"].startswith(content_type) and body
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("name", sorted(VENDOR))
def test_the_libraries_come_from_node_modules(api: LocalApi, name: str) -> None:
    status, headers, body = get(api, f"/vendor/{name}")
    assert status == 200 and len(body) > 1000, "npm ci (make install) installs them from package-lock.json"
    assert headers["Content-Type"].startswith("text/css" if name.endswith(".css") else "text/javascript")


@pytest.mark.parametrize("path", ["/console/../server.py", "/console/%2e%2e/server.py", "/console/index.html", "/console/nothing.js", "/vendor/react", "/vendor/../package.json"])
def test_nothing_else_is_served(api: LocalApi, path: str) -> None:
    status, _, body = get(api, path)
    assert status == 404 and json.loads(body)["errors"][0]["errorType"] == "NotFound"


def test_a_browser_opening_graphql_is_taken_to_the_explorer(api: LocalApi) -> None:
    status, headers, _ = get(api, "/graphql", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert (status, headers["Location"]) == (303, "/#explorer")


def test_any_other_get_of_graphql_is_refused_as_before(api: LocalApi) -> None:
    status, _, body = get(api, "/graphql", {"Accept": "application/json"})
    assert status == 405 and json.loads(body)["errors"][0]["errorType"] == "MethodNotAllowed"


def test_the_explorer_can_load_the_schema(api: LocalApi) -> None:
    # GraphiQL asks the local API for its schema (AppSync in AWS has introspection off: see docs/local-stack.md).
    response = api.graphql("{ __schema { queryType { name } mutationType { name } } }")
    assert response.data == {"__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}}}


def test_outbox_entries_say_which_message_they_are_and_how_an_sms_is_billed(api: LocalApi, fresh_email: str) -> None:
    email = send(api, to=fresh_email, body="hello", deliveryMethod="EMAIL").data["sendMessage"]
    sms = send(api, to="+14155550123", body="Grüße 😀", deliveryMethod="SMS").data["sendMessage"]
    entries = api.outbox()
    [email_entry] = [entry for entry in entries if entry["to"] == [fresh_email]]
    assert email_entry["messageId"] == email["id"] and email_entry["sentAt"].endswith("Z")
    [sms_entry] = [entry for entry in entries if entry["to"] == sms["to"] and entry["body"] == "Grüße 😀"]
    assert sms_entry["segments"] == {"encoding": "UCS-2", "units": 8, "count": 1}


# --- GET /local/stream ----------------------------------------------------------------------------------


def open_stream(api: LocalApi, after: int | str, headers: dict[str, str] | None = None) -> HTTPResponse:
    connection = api.connect(timeout=STREAM_TIMEOUT_SECONDS)
    connection.request("GET", f"/local/stream?after={after}", headers={"x-api-key": api.api_key, **(headers or {})})
    return connection.getresponse()


def read_events(reply: HTTPResponse, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """Server-sent events as they come, until `until` holds (a read times out after STREAM_TIMEOUT_SECONDS)."""
    events: list[dict[str, Any]] = []
    event: dict[str, Any] = {}
    while not until(events):
        line = reply.fp.readline().decode()
        assert line, "the stream ended"
        if line == "\n":
            if event:
                events.append(event)
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.rstrip("\n").partition(": ")
            event[name] = json.loads(value) if name == "data" else value
    return events


def sent_to(to: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: any(event.get("event") == "outbox" and event["data"]["to"] == [to] for event in events)


def test_the_stream_needs_the_key_and_speaks_no_cors(api: LocalApi) -> None:
    status, headers, body = get(api, "/local/stream", {"Origin": "http://localhost:3000"})
    assert status == 401 and json.loads(body)["errors"][0]["errorType"] == "UnauthorizedException"
    assert "Access-Control-Allow-Origin" not in headers
    reply = open_stream(api, 0, {"Origin": "http://localhost:3000"})
    try:
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/event-stream")
        assert reply.headers.get("Access-Control-Allow-Origin") is None
    finally:
        reply.close()


def test_the_stream_hands_over_each_send_as_it_happens(api: LocalApi, fresh_email: str) -> None:
    # GIVEN a client following the stream from the current end of the outbox
    reply = open_stream(api, len(api.outbox()))
    try:
        assert reply.status == 200
        read_events(reply, lambda events: any(event.get("event") == "table" for event in events))
        # WHEN a message is sent
        sent = send(api, to=fresh_email, subject="Live", body="hello", deliveryMethod="EMAIL").data["sendMessage"]
        # THEN it arrives on the stream, with its place in the outbox as its id, and the table's writes after it
        events = read_events(reply, sent_to(fresh_email))
        [entry] = [event for event in events if event.get("event") == "outbox" and event["data"]["to"] == [fresh_email]]
        assert entry["data"]["messageId"] == sent["id"] and int(entry["id"]) <= len(api.outbox())
    finally:
        reply.close()


def test_the_stream_starts_over_when_the_client_followed_a_stack_that_restarted(api: LocalApi) -> None:
    reply = open_stream(api, 10**9)
    try:
        [first, *_] = read_events(reply, lambda events: len(events) >= 1)
        assert first["event"] == "reset"
    finally:
        reply.close()


# --- GET /local/outbox/statuses, DELETE /local/outbox ------------------------------------------------------


@pytest.fixture(scope="module")
def own_api() -> Iterator[LocalApi]:
    """A stack of its own, for clearing its outbox without taking another test's entries away."""
    with running_stack(API_KEY, GENEROUS_LIMITS) as stack:
        yield stack


def statuses(api: LocalApi, since: int | None = None) -> tuple[dict[str, Any], int]:
    """The statuses read (all of them, or those of records written after the `since`-th write), and the count of
    writes they were read at."""
    reply = api.local("outbox/statuses" if since is None else f"outbox/statuses?since={since}")
    assert reply.status == 200, reply.body
    return reply.body["statuses"], reply.body["writes"]


def test_the_stream_starts_over_when_the_outbox_is_cleared(own_api: LocalApi, fresh_email: str) -> None:
    # GIVEN a client that followed the whole outbox
    send(own_api, to=fresh_email, body="before", deliveryMethod="EMAIL")
    reply = open_stream(own_api, 0)
    try:
        read_events(reply, sent_to(fresh_email))
        # WHEN the outbox is cleared, and a message sent after
        assert own_api.request("DELETE", "/local/outbox", headers={"x-api-key": own_api.api_key}).body == {"cleared": 1}
        later = fresh_email.replace("@", ".later@")
        send(own_api, to=later, body="after", deliveryMethod="EMAIL")
        # THEN the client is told to forget what it had, and the outbox starts again from its first place
        events = read_events(reply, sent_to(later))
        assert [event["event"] for event in events if event.get("event") != "table"] == ["reset", "outbox"]
        assert events[-1]["id"] == "1"
    finally:
        reply.close()


@pytest.mark.parametrize(("method", "path"), [("GET", "/local/outbox/statuses"), ("DELETE", "/local/outbox")])
def test_the_outbox_tools_need_the_key(api: LocalApi, fresh_email: str, method: str, path: str) -> None:
    send(api, to=fresh_email, body="hello", deliveryMethod="EMAIL")
    reply = api.request(method, path, headers={"x-api-key": "wrong"})
    assert reply.status == 401 and reply.body["errors"][0]["errorType"] == "UnauthorizedException"
    assert any(entry["to"] == [fresh_email] for entry in api.outbox())


def test_only_get_and_delete_reach_the_outbox(api: LocalApi) -> None:
    reply = api.request("POST", "/local/outbox", {}, headers={"x-api-key": api.api_key})
    assert reply.status == 405 and "use GET, DELETE" in reply.body["errors"][0]["message"]


def test_each_outbox_entry_has_its_records_status_by_the_providers_message_id(api: LocalApi, fresh_email: str) -> None:
    # GIVEN an email and an SMS that SES and SNS accepted
    email = send(api, to=fresh_email, body="hello", deliveryMethod="EMAIL").data["sendMessage"]
    sms = send(api, to="+14155550177", body=fresh_email, deliveryMethod="SMS").data["sendMessage"]
    entries = api.outbox()
    [email_entry] = [entry for entry in entries if entry["to"] == [fresh_email]]
    [sms_entry] = [entry for entry in entries if entry["body"] == fresh_email]
    email_sent, sms_sent = email_entry["providerMessageId"], sms_entry["providerMessageId"]
    found, writes = statuses(api)
    assert found[email_sent] == {"messageId": email["id"], "deliveryStatus": "ACCEPTED", "statusReason": email["statusReason"]}
    assert found[sms_sent]["messageId"] == sms["id"]
    # WHEN SES reports on the email, THEN a read of what was written since has its new status, and not the SMS's
    assert api.local("events", {"to": fresh_email, "messageId": email["id"], "event": "COMPLAINT"}).status == 200
    found, later = statuses(api, since=writes)
    assert later > writes and found[email_sent]["deliveryStatus"] == "COMPLAINED" and sms_sent not in found
    # WHEN the carrier reports on the SMS, THEN likewise, found through its number's messages
    assert api.local("events", {"to": sms["to"], "messageId": sms["id"], "event": "SMS_FAILURE"}).status == 200
    found, _ = statuses(api, since=later)
    assert found[sms_sent]["deliveryStatus"] == "FAILED" and email_sent not in found
    # AND a count this stack never reached (the client followed one that restarted) reads them all again
    found, _ = statuses(api, since=10**9)
    assert found[email_sent]["deliveryStatus"] == "COMPLAINED" and found[sms_sent]["deliveryStatus"] == "FAILED"


def test_clearing_the_outbox_keeps_the_records_and_what_ses_knows_of_them(own_api: LocalApi, fresh_email: str) -> None:
    # GIVEN a sent email
    message = send(own_api, to=fresh_email, body="hello", deliveryMethod="EMAIL").data["sendMessage"]
    # WHEN the outbox is cleared
    reply = own_api.request("DELETE", "/local/outbox", headers={"x-api-key": own_api.api_key})
    # THEN it is empty, and has nothing to read statuses for
    assert reply.status == 200 and reply.body["cleared"] >= 1
    assert own_api.outbox() == [] and statuses(own_api)[0] == {}
    # AND the record stays, and SES's events for the email still reach it
    assert [record["id"] for record in history(own_api, fresh_email)] == [message["id"]]
    played = own_api.local("events", {"to": fresh_email, "messageId": message["id"], "event": "BOUNCE"})
    assert played.status == 200 and played.body["message"]["deliveryStatus"] == "BOUNCED"
