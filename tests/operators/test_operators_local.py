"""The operators' tool against a real local stack: clients and keys it makes work (and stop working) through the
stack's Lambda authorizer, a key's secret is printed once and nowhere else, and refusals print their errorType."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from local.config import Settings
from local.launcher import LocalStackProcess
from tests.operators.conftest import (
    client_names,
    make,
    new_client,
    newest_audit_event,
    operators,
    port,
    refused,
    send_with,
    sent_to,
)


def test_make_client_creates_a_client_whose_live_key_sends_and_which_make_clients_lists(stack: LocalStackProcess, recipient: str) -> None:
    # GIVEN a client made as an operator makes one, with a name holding quotes and its own email limit
    created = make("client", "ENV=local", f"PORT={port(stack)}", 'NAME=the "corner" shop', "EMAIL_PER_DAY=500")
    assert created.code == 0, created.stdout + created.stderr
    [secret] = created.secrets
    assert secret.startswith("sm_live_") and "NOT SHOWN AGAIN" in created.stdout
    # WHEN its backend sends with the key in the Authorization header
    sent = send_with(stack, secret, recipient)
    # THEN the message is sent as that key's (the authorizer accepted it), and handed to SES
    assert sent.status == 200 and sent.errors == [], sent.body
    assert sent.data["sendMessage"]["deliveryStatus"] == "ACCEPTED" and sent_to(stack, recipient)
    # AND make clients lists the client with its name intact, its limits, and its key as used
    listed = make("clients", "ENV=local", f"PORT={port(stack)}")
    assert listed.code == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(created.client_id)]
    assert line.split()[:3] == [created.client_id, "the", '"corner"'] and 'the "corner" shop' in line
    assert line.split()[4:7] == ["500", "1000", created.key_id] and " LIVE " in line and "never" not in line


def test_a_test_key_is_created_and_runs_the_pipeline_without_sending(stack: LocalStackProcess, recipient: str) -> None:
    # GIVEN a client, and a TEST key made for it with an expiry date
    client = new_client(stack, "staging shop")
    day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    created = operators(stack, "create-key", "--client", client.client_id, "--mode", "test", "--expires", day)
    # THEN the key is a TEST key, shown once, valid until the start of that day
    assert created.code == 0, created.stderr
    [secret] = created.secrets
    assert secret.startswith("sm_test_") and created.stdout.startswith(f"TEST key {created.key_id} created for client {client.client_id}, valid until {day} 00:00 UTC.")
    # WHEN the backend sends with it
    sent = send_with(stack, secret, recipient)
    # THEN the message is recorded and answered, and nothing goes to SES
    assert sent.status == 200 and sent.errors == [] and sent.data["sendMessage"]["to"] == recipient, sent.body
    assert not sent_to(stack, recipient)
    listed = operators(stack, "clients", "--client", client.client_id)
    assert listed.code == 0 and created.key_id in listed.stdout and " TEST " in listed.stdout and f"{day} 00:00" in listed.stdout


def test_revoke_makes_the_key_stop_working_when_nothing_is_cached(stack: LocalStackProcess, recipient: str) -> None:
    # GIVEN a client whose LIVE key works
    client = new_client(stack, "revoked shop")
    [secret] = client.secrets
    assert send_with(stack, secret, recipient).errors == []
    # WHEN an operator revokes it
    revoked = make("revoke", "ENV=local", f"PORT={port(stack)}", f"KEY={client.key_id}")
    assert revoked.code == 0, revoked.stderr
    assert revoked.stdout.startswith(f"LIVE key {client.key_id} revoked at ")
    # THEN its next request is refused, and the listing shows when it was revoked
    assert refused(send_with(stack, secret, recipient))
    listed = operators(stack, "clients", "--client", client.client_id)
    assert "0 of them usable" in listed.stdout and "never" not in listed.stdout.splitlines()[1]


def test_the_secret_is_printed_once_and_nowhere_else(stack: LocalStackProcess) -> None:
    # GIVEN a client made with make, and a TEST key made for it with make key
    created = make("client", "ENV=local", f"PORT={port(stack)}", "NAME=secretive shop")
    keyed = make("key", "ENV=local", f"PORT={port(stack)}", f"CLIENT={created.client_id}", "MODE=TEST")
    assert created.code == 0 and keyed.code == 0, created.stderr + keyed.stderr
    secrets = [*created.secrets, *keyed.secrets]
    # THEN each secret is printed exactly once, on stdout
    assert len(secrets) == 2 and all((created.stdout + keyed.stdout).count(secret) == 1 for secret in secrets)
    # AND never again: not on stderr, not by make clients or make audit, not in the stack's logs
    listed = make("clients", "ENV=local", f"PORT={port(stack)}")
    audited = make("audit", "ENV=local", f"PORT={port(stack)}")
    assert listed.code == 0 and audited.code == 0 and created.client_id in listed.stdout and keyed.key_id in audited.stdout
    elsewhere = [created.stderr, keyed.stderr, listed.stdout, listed.stderr, audited.stdout, audited.stderr, "".join(stack.output)]
    assert [secret for secret in secrets for text in elsewhere if secret in text] == []
    # AND neither is its random part alone (what follows sm_<mode>_<key id>_)
    assert [secret for secret in secrets if secret[len("sm_live_") + 27 :] in "".join(elsewhere)] == []


def test_limits_and_the_audit_log_show_what_operators_did(stack: LocalStackProcess) -> None:
    # GIVEN a client
    client = new_client(stack, "limited shop")
    # WHEN its SMS limit is changed with make limits
    changed = make("limits", "ENV=local", f"PORT={port(stack)}", f"CLIENT={client.client_id}", "SMS_PER_DAY=20")
    # THEN the email limit keeps its value
    assert changed.code == 0, changed.stderr
    assert changed.stdout.strip() == f"Client {client.client_id} (limited shop) may now send email 10000/day, SMS 20/day."
    # AND the audit log shows the three actions, newest first, with the operator's ARN
    audited = operators(stack, "audit", "--first", "3")
    rows = [line.split() for line in audited.stdout.splitlines()[1:4]]
    assert [row[2] for row in rows] == ["clientLimitsUpdated", "clientKeyCreated", "clientCreated"], audited.stdout
    assert {row[3] for row in rows} == {"arn:aws:iam::000000000000:user/local"} and {row[4] for row in rows} == {client.client_id}
    assert "Older events: make audit ENV=local AFTER=" in audited.stdout


@pytest.mark.parametrize(
    ("arguments", "error_type"),
    [
        (["create-key", "--client", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], "NotFound"),
        (["revoke", "--key", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], "NotFound"),
        (["create-client", "--name", "x" * 101], "ValidationError"),
        (["create-client", "--name", "too generous", "--sms-per-day", "-1"], "ValidationError"),
        (["create-key", "--client", "default", "--expires", "2000-01-01"], "ValidationError"),
        (["audit", "--first", "500"], "ValidationError"),
    ],
)
def test_a_refusal_prints_its_error_type_and_changes_nothing(stack: LocalStackProcess, arguments: list[str], error_type: str) -> None:
    before = newest_audit_event(stack)
    # WHEN the API refuses what the operator asked
    result = operators(stack, *arguments)
    # THEN the tool says why in one line with the errorType, exits 1, and prints no traceback and nothing on stdout
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"operators: {error_type}: ") and "Traceback" not in result.stderr
    # AND nothing was changed: the audit log's newest event is the same
    assert newest_audit_event(stack) == before


@pytest.mark.parametrize(
    ("credentials", "error_type"),
    [({"AWS_SECRET_ACCESS_KEY": "not-the-local-secret"}, "InvalidSignatureException"), ({"AWS_ACCESS_KEY_ID": "AKIAOTHEROPERATOR"}, "UnrecognizedClientException")],
)
def test_a_wrong_signature_is_refused_and_nothing_is_created(stack: LocalStackProcess, credentials: dict[str, str], error_type: str) -> None:
    # GIVEN credentials other than those the stack checks (it was started with this process's environment)
    assert all(value != getattr(Settings(), name.lower().removeprefix("aws_")) for name, value in credentials.items())
    # WHEN the tool signs with them
    result = operators(stack, "create-client", "--name", f"forged {error_type}", env=credentials)
    # THEN the stack refuses the signature; the tool prints its errorType and how local signing works
    assert result.code == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"operators: {error_type}: ") and "ENV=local signs with AWS_ACCESS_KEY_ID" in result.stderr
    # AND no client was made
    assert f"forged {error_type}" not in client_names(stack)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["limits", "--client", "default"], "give EMAIL_PER_DAY=..., SMS_PER_DAY=... or both"),
        (["create-client", "--name", " "], "give NAME=..."),
        (["revoke", "--key", ""], "give KEY=..."),
        (["create-key", "--client", "default", "--expires", "2027-01-31T10:00"], "must name its time zone"),
        (["create-key", "--client", "default", "--mode", "SANDBOX"], "must be LIVE or TEST"),
        (["limits", "--client", "default", "--sms-per-day", "lots"], "must be a whole number"),
    ],
)
def test_input_refused_before_sending_exits_2_and_sends_nothing(stack: LocalStackProcess, arguments: list[str], message: str) -> None:
    before = newest_audit_event(stack)
    result = operators(stack, *arguments)
    assert result.code == 2 and message in result.stderr and result.stdout == ""
    assert newest_audit_event(stack) == before


def test_an_unreachable_stack_is_an_error_without_a_traceback(stack: LocalStackProcess) -> None:
    # GIVEN a port nothing listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    result = operators(stack, "clients", env={"PORT": str(free)})
    assert result.code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"operators: could not reach http://127.0.0.1:{free}/graphql (is the local stack running?")
