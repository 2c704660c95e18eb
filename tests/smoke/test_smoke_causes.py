"""What each failure of the smoke test is said to mean, for the failures only AWS produces (a local stack cannot be
made to refuse a key's authorizer, SES's sender, or to be behind a firewall): the run against a stand-in API that
answers as the environment would, in this process, with a clock that only moves when the smoke sleeps. Whatever
fails, the key is revoked and its secret never printed.

And the double send's document carries its two sendMessage past the part of the body the firewall inspects: its
rule's regex, read from the Terraform module, does not match the first 8 KB of the body the smoke sends, and does
match the whole of it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from local.operations import GET_MESSAGES, SEND_MESSAGE
from tests.conftest import REPO_ROOT
from tools.operators import ApiError
from tools.smoke import DOUBLE_SEND, WAF_INSPECTED_BYTES, Options, Smoke
from tools.terraform_outputs import OperatorError

SECRET = "sm_live_01ARZ3NDEKTSV4RRFFQ69G5FAV_" + "s" * 43
KEY_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
CLIENT_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAW"


def api_error(error_type: str, message: str = "refused", **info: Any) -> ApiError:
    return ApiError([{"errorType": error_type, "message": message, **({"errorInfo": info} if info else {})}])


def mailbox_of(to: str) -> str:
    """An address without its +tag, in lower case (the API's mailbox, for the addresses the smoke uses)."""
    local, _, domain = to.lower().rpartition("@")
    return f"{local.split('+')[0]}@{domain}" if domain and local else to.lower()


@dataclass
class StandIn:
    """An environment's API as the smoke sees it: a working one, unless told what to break.

    `outcome` maps a mailbox (success, bounce, SMS) to the status its message ends in, or None for one that never
    settles; `sent_as` to the status sendMessage answers; `refuse` maps an operators' field or `sendMessage`,
    `getMessages`, `double` to the error it raises."""

    outcome: dict[str, str | None] = field(default_factory=lambda: {"success": "DELIVERED", "bounce": "BOUNCED", "SMS": "DELIVERED"})
    sent_as: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    refuse: dict[str, OperatorError] = field(default_factory=dict)
    interrupt_on_sleep: bool = False
    local: bool = False
    revoked: list[str] = field(default_factory=list)
    now: float = 0.0
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 100

    def operator(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        if name in self.refuse:
            raise self.refuse[name]
        if name == "clients":
            return {"clients": {"data": [{"id": CLIENT_ID, "name": "smoke"}], "pageInfo": {"hasNextPage": False, "endCursor": None}}}
        if name == "createClientKey":
            return {"createClientKey": {"secret": SECRET, "key": {"id": KEY_ID, "mode": "LIVE", "expiresAt": variables["expiresAt"]}}}
        if name == "revokeClientKey":
            self.revoked.append(variables["keyId"])
            return {"revokeClientKey": {"id": variables["keyId"]}}
        raise AssertionError(f"unexpected operators' field {name}")

    def client(self, payload: dict[str, Any], key: str) -> dict[str, Any]:
        assert key == SECRET
        query, variables = payload["query"], payload["variables"]
        if query == SEND_MESSAGE:
            return self.send(variables["input"])
        if query == GET_MESSAGES:
            if "getMessages" in self.refuse:
                raise self.refuse["getMessages"]
            wanted = variables["filter"]
            # By recipient, the whole mailbox: every +tag of the address, as the API reads it.
            found = [
                record
                for record in self.records.values()
                if (wanted.get("to") is None or mailbox_of(wanted["to"]) == mailbox_of(record["to"])) and wanted.get("senderId") in (None, record["senderId"])
            ]
            start = int(variables.get("after") or 0)
            size = min(variables["first"], self.page_size)
            more = start + size < len(found)
            return {"getMessages": {"data": found[start : start + size], "pageInfo": {"hasNextPage": more, "endCursor": str(start + size) if more else None}}}
        assert query.endswith(DOUBLE_SEND)
        if "double" in self.refuse:
            raise self.refuse["double"]
        self.send(variables["input"])
        raise ApiError([{"errorType": "ResolverExecutionLimitReached", "message": "Resolver invocation limit reached.", "path": ["second"]}])

    def send(self, given: dict[str, Any]) -> dict[str, Any]:
        if "sendMessage" in self.refuse:
            raise self.refuse["sendMessage"]
        mailbox = "SMS" if given["deliveryMethod"] == "SMS" else given["to"].split("+")[0]
        status, reason = self.sent_as.get(mailbox, ("ACCEPTED", "SES accepted it"))
        message_id = f"MESSAGE#{len(self.records):026d}"
        final = self.outcome.get(mailbox) if status == "ACCEPTED" else None
        history = [{"status": "PENDING"}, {"status": status}] + ([{"status": final}] if final else [])
        self.records[message_id] = {
            "id": message_id,
            "to": given["to"].lower(),
            "body": given["body"],
            "senderId": given["senderId"],
            "deliveryStatus": final or status,
            "statusReason": reason,
            "statusHistory": history,
        }
        return {"sendMessage": {"id": message_id, "deliveryStatus": status, "statusReason": reason}}

    def sleep(self, seconds: float) -> None:
        if self.interrupt_on_sleep:
            raise KeyboardInterrupt
        self.now += seconds


@dataclass
class Outcome:
    passed: bool
    out: list[str]
    err: list[str]

    @property
    def failure(self) -> str:
        [line] = [line for line in self.err if line.startswith("smoke: FAILED ")]
        return line


def run(api: StandIn, sms_to: str | None = None) -> Outcome:
    out: list[str] = []
    err: list[str] = []
    smoke = Smoke(api, Options("dev", 120.0, sms_to, "20270101000000-abcdef"), out.append, err.append, clock=lambda: api.now, sleep=api.sleep)
    passed = smoke.run()
    assert api.revoked == [KEY_ID], "the key must be revoked once, whatever happened"
    assert SECRET not in "\n".join(out + err)
    return Outcome(passed, out, err)


CASES: list[tuple[str, StandIn, str, str]] = [
    (
        "a key the authorizer refuses",
        StandIn(refuse={"sendMessage": api_error("UnauthorizedException", "You are not authorized to make this call.")}),
        "FAILED email: UnauthorizedException: You are not authorized to make this call.",
        "the Lambda authorizer refused the smoke's new key, or AppSync could not invoke it",
    ),
    (
        "SES refusing the sender",
        StandIn(sent_as={"success": ("FAILED", "SES refused the message: MessageRejected (the sender or recipient is not verified)")}),
        "FAILED email: the success mail was refused on sending: SES refused the message: MessageRejected",
        "SES refused it: default_email_from of envs/dev.tfvars must be verified in ses_region",
    ),
    (
        "bounce events alone not recorded",
        StandIn(outcome={"success": "DELIVERED", "bounce": None}),
        "FAILED email: the bounce mail MESSAGE#00000000000000000000000001 is still ACCEPTED after 120 s",
        "SES's BOUNCE events are not recorded while others are",
    ),
    (
        "no SES event at all",
        StandIn(outcome={"success": None, "bounce": None}),
        "FAILED email: every mail to SES's mailbox simulator is still ACCEPTED after 120 s",
        "SES events are not arriving: check the SES events topic's KMS key policy (ses.amazonaws.com's statement and its aws:SourceAccount condition",
    ),
    (
        "a delivery function that crashed",
        StandIn(sent_as={"success": ("UNKNOWN", "The delivery function failed")}),
        "FAILED email: the success mail MESSAGE#00000000000000000000000000 is still UNKNOWN after 120 s",
        "the delivery function timed out or crashed",
    ),
    (
        "a sending limit",
        StandIn(refuse={"sendMessage": api_error("RateLimited", "Too many messages", limit="clientPerDay", retryAfterSeconds=3600)}),
        "FAILED email: RateLimited: Too many messages",
        "a sending limit (clientPerDay) refused the send: the smoke client's daily limits (make clients ENV=dev, make limits ENV=dev CLIENT=<id>)",
    ),
    (
        "the firewall blocking the double send",
        StandIn(refuse={"double": api_error("WAFForbiddenException", "403 Forbidden")}),
        "FAILED one send per request: WAFForbiddenException: 403 Forbidden",
        "the web firewall blocked the request",
    ),
    (
        "a first send of a refused request not recorded",
        StandIn(refuse={"double": ApiError([{"errorType": "ResolverExecutionLimitReached", "message": "limit", "path": ["first"]}])}),
        "FAILED one send per request: ResolverExecutionLimitReached: limit",
        "AppSync counts a pipeline's functions against resolver_count_limit: raise resolver_count_limit in envs/dev.tfvars to 11",
    ),
    (
        "getMessages failing",
        StandIn(refuse={"getMessages": api_error("ReadFailed", "The messages could not be read")}),
        "FAILED email: ReadFailed: The messages could not be read",
        "DynamoDB failed for the API's resolvers",
    ),
]


@pytest.mark.parametrize(("api", "seen", "cause"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_failure_prints_one_line_with_its_likely_cause_and_the_key_is_revoked(api: StandIn, seen: str, cause: str) -> None:
    outcome = run(api)
    assert not outcome.passed
    line = outcome.failure
    assert line.startswith(f"smoke: {seen}"), line
    assert line.split("; likely cause: ", 1)[1].startswith(cause), line
    assert "@" not in line


def test_a_run_that_passes_revokes_its_key_and_prints_no_failure() -> None:
    outcome = run(StandIn())
    assert outcome.passed and outcome.err == []
    assert outcome.out[-1] == f"smoke: key {KEY_ID} revoked"


def earlier_messages(*addresses: str) -> dict[str, dict[str, Any]]:
    """Messages already in the smoke client's mailboxes, as earlier runs (or anyone) left them."""
    records = {}
    for index, to in enumerate(addresses):
        message_id = f"MESSAGE#{'E' * 10}{index:016d}"
        history = [{"status": "PENDING"}, {"status": "ACCEPTED"}, {"status": "DELIVERED"}]
        records[message_id] = {"id": message_id, "to": to, "body": "earlier", "senderId": "smoke-earlier", "deliveryStatus": "DELIVERED", "statusReason": None, "statusHistory": history}
    return records


def test_earlier_runs_messages_in_the_same_mailboxes_over_many_pages_leave_the_run_passing() -> None:
    # GIVEN the simulator's mailboxes already hold other runs' messages, the untagged address's, and more than a page
    earlier = [f"{box}+smoke-20261231000000-{run:06x}{suffix}@simulator.amazonses.com" for run in range(3) for box in ("success", "bounce") for suffix in ("", "-double")]
    api = StandIn(records=earlier_messages(*earlier, "success@simulator.amazonses.com", "bounce@simulator.amazonses.com"), page_size=2)
    # WHEN the smoke runs
    err: list[str] = []
    smoke = Smoke(api, Options("dev", 120.0, None, "20270101000000-abcdef"), lambda _: None, err.append, clock=lambda: api.now, sleep=api.sleep)
    passed = smoke.run()
    # THEN each read by recipient finds the run's own message among the mailbox's, and the run passes
    assert passed and err == [], err
    summary = dict(smoke.summary)
    assert summary["read back by recipient"] == "success mail PENDING -> ACCEPTED -> DELIVERED, bounce mail PENDING -> ACCEPTED -> BOUNCED"
    [double] = [record["id"] for record in api.records.values() if record["to"] == "success+smoke-20270101000000-abcdef-double@simulator.amazonses.com"]
    assert summary["one sendMessage per request"] == f"the second refused (ResolverExecutionLimitReached), one message recorded ({double})"


def test_a_second_message_to_the_runs_own_address_fails_the_read_back() -> None:
    # GIVEN another message to the very address the run's success mail goes to
    api = StandIn(records=earlier_messages("success+smoke-20270101000000-abcdef@simulator.amazonses.com"))
    # WHEN the smoke runs
    outcome = run(api)
    # THEN the read back fails, counting the messages to that address
    assert not outcome.passed
    assert outcome.failure.startswith("smoke: FAILED read back: getMessages by the success mail's recipient returned 2 message(s) to its address, not just MESSAGE#"), outcome.failure


def test_an_sms_that_fails_is_reported_with_its_reason() -> None:
    api = StandIn(outcome={"success": "DELIVERED", "bounce": "BOUNCED", "SMS": "FAILED"})
    outcome = run(api, sms_to="+14155550123")
    assert outcome.failure.startswith("smoke: FAILED SMS: the SMS MESSAGE#00000000000000000000000003 ended FAILED (SES accepted it), not DELIVERED")
    assert "+14155550123" not in "\n".join(outcome.out + outcome.err)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("validNumber", "is not a valid phone number"),
        ("allowedCountry", "must be a number in a country this service sends SMS to (CA, GB, US)"),
        ("allowedPrefix", "must be a number in a country this service sends SMS to (+1, +44)"),
        ("e164", "must be a phone number in international form: + and the country code, e.g. +1 415 555 0100"),
    ],
)
def test_an_sms_number_the_api_refuses_is_named(rule: str, message: str) -> None:
    # GIVEN an API that refuses SMOKE_SMS_TO by one of its number rules
    api = StandIn()
    original = api.send

    def refuse_sms(given: dict[str, Any]) -> dict[str, Any]:
        if given["deliveryMethod"] == "SMS":
            raise api_error("ValidationError", f"input.to: {message}", field="input.to", rule=rule)
        return original(given)

    api.send = refuse_sms  # type: ignore[method-assign]
    # WHEN the smoke sends its SMS
    outcome = run(api, sms_to="+33612345678")
    # THEN the cause is the number given, not a difference between the API and this repository
    assert "likely cause: SMOKE_SMS_TO is refused: give a valid number in E.164 form, of a country in sms_allowed_countries of envs/dev.tfvars" in outcome.failure


def test_a_key_that_cannot_be_revoked_fails_the_run_and_says_how_to_revoke_it() -> None:
    api = StandIn()
    original = api.operator

    def refuse_revoke(name: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = original(name, variables)
        if name == "revokeClientKey":
            raise OperatorError("could not reach https://example.appsync-api.eu-central-1.amazonaws.com/graphql: timed out")
        return result

    api.operator = refuse_revoke  # type: ignore[method-assign]
    outcome = run(api)
    assert not outcome.passed
    assert outcome.failure.startswith(f"smoke: FAILED revoke: the smoke's key {KEY_ID} could not be revoked: could not reach ")
    assert re.search(rf"it expires by itself at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ, or: make revoke ENV=dev KEY={KEY_ID}$", outcome.failure), outcome.failure


def test_an_interrupted_run_revokes_its_key_before_it_stops() -> None:
    api = StandIn(interrupt_on_sleep=True)
    with pytest.raises(KeyboardInterrupt):
        run(api)
    assert api.revoked == [KEY_ID]


@pytest.mark.parametrize(
    ("refused", "cause"),
    [
        (api_error("ResolverExecutionLimitReached", "Resolver invocation limit reached."), "AppSync counts a pipeline's functions against resolver_count_limit: raise resolver_count_limit in envs/prod.tfvars to 11 "),
        (api_error("Unauthorized", "Not Authorized to access clients on type Query"), "your AWS identity may not call the operators' fields: it needs appsync:GraphQL on createClient"),
        (api_error("InvalidSignatureException", "Signature expired"), "AWS refused your credentials' signature (an expired session, another account?)"),
    ],
    ids=["functions counted", "no operators' permission", "expired credentials"],
)
def test_an_operator_refused_before_the_key_is_made_is_told_why_and_nothing_is_made(refused: ApiError, cause: str) -> None:
    api = StandIn(refuse={"clients": refused})
    out: list[str] = []
    err: list[str] = []
    assert not Smoke(api, Options("prod", 120.0), out.append, err.append, clock=lambda: api.now, sleep=api.sleep).run()
    assert api.revoked == [] and out == [] and api.records == {}
    [line] = err
    assert line.startswith(f"smoke: FAILED smoke client: {refused}; likely cause: {cause}"), line


# --- The double send and the firewall ---------------------------------------------------------------------------------


def firewall_regex() -> re.Pattern[str]:
    """The one-send-message-per-request rule's regex, as modules/api_firewall builds it from its locals."""
    options = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
    with (REPO_ROOT / "modules" / "api_firewall" / "main.tf").open() as source:
        parsed = hcl2.load(source, serialization_options=options)
    values = {name: value for block in parsed["locals"] for name, value in block.items()}
    pattern = values["send_message_twice"]
    while "${local." in pattern:
        pattern = re.sub(r"\$\{local\.(\w+)\}", lambda match: values[match[1]], pattern)
    return re.compile(pattern)


def test_the_double_sends_two_sendmessage_lie_past_what_the_firewall_inspects() -> None:
    # GIVEN the body of the smoke's double send, as it goes on the wire
    api = StandIn()
    bodies: list[bytes] = []
    original = api.client

    def capture(payload: dict[str, Any], key: str) -> dict[str, Any]:
        if payload["query"].endswith(DOUBLE_SEND):
            bodies.append(json.dumps(payload).encode())
        return original(payload, key)

    api.client = capture  # type: ignore[method-assign]
    assert run(api).passed
    [body] = bodies
    rule = firewall_regex()
    # THEN the firewall's rule sees no two sends in the part it inspects, so AppSync's limit is what refuses the second
    assert not rule.search(body[:WAF_INSPECTED_BYTES].decode())
    # AND the rule is not blind to them: it matches the whole body, and the same document without the padding
    assert rule.search(body.decode())
    assert rule.search(json.dumps({"query": DOUBLE_SEND}))
