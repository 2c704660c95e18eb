"""The status functions, each through its own module: SES events and SMS delivery logs as AWS delivers them, and the
stale-pending sweep, against an emulated table."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent, SNSEvent

from local.aws.lambda_context import LambdaContext

RECIPIENT = "recipient@example.com"
MESSAGE_ID = "MESSAGE#01M88FN0F4JBQYHKMCVXGCJMHG"
PROVIDER_ID = "34d9b400-c6dd-5444-820d-fbeb0f1f54cf"


@pytest.fixture
def record(messages_table) -> Callable[..., dict[str, Any]]:
    """Store a sent message as the sendMessage pipeline leaves it."""

    def put(status: str = "ACCEPTED", to: str = RECIPIENT, method: str = "EMAIL", provider_id: str | None = PROVIDER_ID) -> dict[str, Any]:
        item = {
            "PK": f"MESSAGE#{to}",
            "SK": MESSAGE_ID,
            "id": MESSAGE_ID,
            "to": to,
            "body": "a body that must never reach a log",
            "deliveryMethod": method,
            "deliveryStatus": status,
            "statusReason": f"{status} for the test",
            "statusHistory": [{"status": status, "reason": f"{status} for the test", "at": "2026-11-25T10:00:00.000Z"}],
        }
        if provider_id:
            item["providerMessageId"] = provider_id
        messages_table.put_item(Item=item)
        return item

    return put


@pytest.fixture
def stored(messages_table) -> Callable[..., dict[str, Any]]:
    return lambda to=RECIPIENT: messages_table.get_item(Key={"PK": f"MESSAGE#{to}", "SK": MESSAGE_ID}, ConsistentRead=True).get("Item")


@pytest.fixture
def ses_notification(event, delivery) -> Callable[..., dict[str, Any]]:
    """The documented SES event of a kind, tagged as the delivery handler tags the email, inside the documented SNS notification."""

    def build(kind: str, to: str = RECIPIENT) -> dict[str, Any]:
        # "soft_bounce": the documented bounce, as SES reports a transient one it gave up on.
        ses_event = event(f"ses_{kind.removeprefix('soft_')}")
        if kind == "soft_bounce":
            ses_event["bounce"] |= {"bounceType": "Transient", "bounceSubType": "MailboxFull"}
        tags = delivery.message_tags({"id": MESSAGE_ID, "to": to, "key": {"PK": f"MESSAGE#{to}", "SK": MESSAGE_ID}})
        ses_event["mail"]["tags"] |= {tag["Name"]: [tag["Value"]] for tag in tags}
        notification = event("sns_notification")
        notification["Records"][0]["Sns"]["Message"] = json.dumps(ses_event)
        return notification

    return build


@pytest.fixture
def delivery_logs(event) -> Callable[..., dict[str, Any]]:
    """Documented SMS delivery log entries inside the documented CloudWatch Logs subscription payload."""

    def build(*entries: dict[str, Any], message_type: str = "DATA_MESSAGE") -> dict[str, Any]:
        data = event("cloudwatch_logs_data")
        template = data["logEvents"][0]
        data["messageType"] = message_type
        data["logEvents"] = [{**template, "message": json.dumps(entry)} for entry in entries]
        return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}

    return build


@pytest.fixture
def sms_log(event) -> Callable[..., dict[str, Any]]:
    def build(outcome: str, provider_id: str = PROVIDER_ID) -> dict[str, Any]:
        entry = event(f"sms_{outcome}")
        entry["notification"]["messageId"] = provider_id
        return entry

    return build


def history(item: dict[str, Any]) -> list[str]:
    return [change["status"] for change in item["statusHistory"]]


@pytest.mark.parametrize(
    ("kind", "expected", "reason"),
    [
        ("delivery", "DELIVERED", "Delivered to the recipient's mail server: 250 2.6.0 Message received"),
        ("bounce", "BOUNCED", "Permanent bounce (General): smtp; 550 5.1.1 user unknown"),
        ("complaint", "COMPLAINED", "The recipient marked the email as spam (abuse)"),
        ("reject", "REJECTED", "SES rejected the email: Bad content"),
        ("delivery_delay", "DELAYED", "Delivery delayed: TransientCommunicationFailure; SES keeps trying until 2020-06-16T00:25:40.914Z"),
    ],
)
def test_each_ses_event_becomes_its_status_with_a_reason(ses_events, record, stored, ses_notification, kind, expected, reason, lambda_context) -> None:
    # GIVEN an accepted email
    record("ACCEPTED")
    # WHEN SES reports on it
    summary = ses_events.ses_event_handler(ses_notification(kind), lambda_context)
    # THEN the record moves to the event's status, with the reason, and keeps its history
    item = stored()
    assert summary["changed"] == 1
    assert (item["deliveryStatus"], item["statusReason"]) == (expected, reason)
    assert history(item) == ["ACCEPTED", expected]
    assert item["statusHistory"][-1]["reason"] == reason


def test_a_soft_bounce_fails_with_its_type(ses_events, record, stored, ses_notification, lambda_context) -> None:
    record("ACCEPTED")
    ses_events.ses_event_handler(ses_notification("soft_bounce"), lambda_context)
    assert stored()["deliveryStatus"] == "FAILED"
    assert stored()["statusReason"].startswith("Transient bounce (MailboxFull)")


@pytest.mark.parametrize("scope", ["", "SCOPE#01JCLIENTAAAAAAAAAAAAAAAAA#TEST#", "SCOPE#default#TEST#"])
def test_the_tags_carry_any_mailbox_and_scope_to_its_record(ses_events, delivery, scope: str) -> None:
    # The longest address there is needs more than one 256-character tag value.
    longest = "a" * 64 + "@" + ".".join(["b" * 61] * 3) + ".example"
    for to in (RECIPIENT, "Ünïcode@example.com", longest[:254]):
        record_key = {"PK": f"MESSAGE#{to}", "SK": f"{scope}{MESSAGE_ID}"}
        tags = delivery.message_tags({"id": MESSAGE_ID, "to": to, "key": record_key})
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,256}", tag["Name"] + tag["Value"][:200]) for tag in tags)
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,256}", tag["Value"]) for tag in tags)
        key = ses_events.record_key_from_tags({tag["Name"]: [tag["Value"]] for tag in tags})
        assert (key.partition, key.sort) == (record_key["PK"], record_key["SK"])


def test_a_late_delivery_does_not_overwrite_a_bounce(ses_events, record, stored, ses_notification, lambda_context) -> None:
    record("ACCEPTED")
    ses_events.ses_event_handler(ses_notification("bounce"), lambda_context)
    summary = ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    assert summary == {"changed": 0, "unchanged": 1, "unmatched": 0, "ignored": 0}
    assert stored()["deliveryStatus"] == "BOUNCED"
    assert history(stored()) == ["ACCEPTED", "BOUNCED"]


def test_a_duplicate_event_changes_nothing(ses_events, record, stored, ses_notification, lambda_context) -> None:
    record("ACCEPTED")
    ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    before = stored()
    ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    assert stored() == before


@pytest.mark.parametrize(
    ("kinds", "final"),
    [
        (("delivery_delay", "delivery", "complaint"), "COMPLAINED"),
        (("delivery_delay", "delivery"), "DELIVERED"),
        (("delivery_delay", "bounce", "delivery"), "BOUNCED"),
        (("soft_bounce", "bounce"), "BOUNCED"),
        (("soft_bounce", "delivery"), "DELIVERED"),
        (("reject", "delivery_delay"), "REJECTED"),
    ],
)
def test_events_in_any_order_end_in_the_same_state(ses_events, recording, record, stored, ses_notification, lambda_context, kinds, final) -> None:
    for order in itertools.permutations(kinds):
        # GIVEN an accepted email, WHEN its events arrive in this order
        record("ACCEPTED")
        for kind in order:
            ses_events.ses_event_handler(ses_notification(kind), lambda_context)
        # THEN it ends in the furthest status, reached by forward steps only
        statuses = history(stored())
        assert stored()["deliveryStatus"] == final, order
        ranks = [recording.STATUS_RANK[s] for s in statuses]
        assert ranks == sorted(set(ranks)), (order, statuses)


def test_an_event_can_overtake_the_pipelines_own_outcome(ses_events, record, stored, ses_notification, lambda_context) -> None:
    # SES may report before the pipeline records ACCEPTED; PENDING moves straight on.
    record("PENDING")
    ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    assert history(stored()) == ["PENDING", "DELIVERED"]


def test_an_event_without_a_record_creates_nothing(ses_events, stored, ses_notification, messages_table, lambda_context) -> None:
    summary = ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    assert summary["unchanged"] == 1 and stored() is None
    assert messages_table.scan()["Items"] == []


def test_events_that_are_not_delivery_outcomes_are_ignored(ses_events, record, stored, ses_notification, lambda_context) -> None:
    record("ACCEPTED")
    notification = ses_notification("delivery")
    ses_event = json.loads(notification["Records"][0]["Sns"]["Message"])
    notification["Records"][0]["Sns"]["Message"] = json.dumps({"eventType": "Open", "mail": ses_event["mail"], "open": {}})
    assert ses_events.ses_event_handler(notification, lambda_context)["ignored"] == 1
    assert stored()["deliveryStatus"] == "ACCEPTED"


def test_an_email_without_our_tags_is_unmatched(ses_events, event, lambda_context) -> None:
    notification = event("sns_notification")
    notification["Records"][0]["Sns"]["Message"] = json.dumps(event("ses_delivery"))
    assert ses_events.ses_event_handler(notification, lambda_context)["unmatched"] == 1


@pytest.mark.parametrize(
    ("outcome", "final", "reason"),
    [
        ("success", "DELIVERED", "Delivered to the phone carrier: Message has been accepted by phone carrier"),
        ("failure", "FAILED", "The phone carrier did not deliver the SMS: Unknown error attempting to reach phone"),
    ],
)
def test_sms_delivery_logs_find_their_record_by_provider_id(sms_events, record, stored, delivery_logs, sms_log, lambda_context, outcome, final, reason) -> None:
    # GIVEN an accepted SMS
    record("ACCEPTED", to="+14155550100", method="SMS")
    # WHEN its delivery log arrives through the subscription filter
    summary = sms_events.sms_delivery_log_handler(delivery_logs(sms_log(outcome)), lambda_context)
    # THEN the record found through the provider id index has the carrier's outcome, timed by SNS
    item = stored("+14155550100")
    assert summary["changed"] == 1
    assert (item["deliveryStatus"], item["statusReason"]) == (final, reason)
    assert item["statusHistory"][-1]["at"] == f"2016-06-28T00:40:34.{'558' if outcome == 'success' else '559'}Z"


@pytest.mark.parametrize("order", [("failure", "success"), ("success", "failure")])
def test_sms_reports_in_either_order_end_delivered(sms_events, record, stored, delivery_logs, sms_log, lambda_context, order) -> None:
    record("ACCEPTED", to="+14155550100", method="SMS")
    sms_events.sms_delivery_log_handler(delivery_logs(*(sms_log(outcome) for outcome in order)), lambda_context)
    assert stored("+14155550100")["deliveryStatus"] == "DELIVERED"


def test_sms_sent_outside_this_stack_are_unmatched(sms_events, record, stored, delivery_logs, sms_log, lambda_context) -> None:
    # Delivery logs are account-wide: other applications' SMS pass through too.
    record("ACCEPTED", to="+14155550100", method="SMS")
    summary = sms_events.sms_delivery_log_handler(delivery_logs(sms_log("success", provider_id="someone-elses")), lambda_context)
    assert summary == {"changed": 0, "unchanged": 0, "unmatched": 1, "ignored": 0}
    assert stored("+14155550100")["deliveryStatus"] == "ACCEPTED"


def test_a_control_message_is_not_a_delivery_log(sms_events, delivery_logs, lambda_context) -> None:
    payload = delivery_logs({"not": "json of an SMS"}, message_type="CONTROL_MESSAGE")
    assert sum(sms_events.sms_delivery_log_handler(payload, lambda_context).values()) == 0


def test_status_logs_hold_no_address_number_or_body(ses_events, sms_events, record, ses_notification, delivery_logs, sms_log, lambda_context, caplog, capsys) -> None:
    caplog.set_level(logging.INFO)
    record("ACCEPTED")
    ses_events.ses_event_handler(ses_notification("bounce"), lambda_context)
    ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    record("ACCEPTED", to="+14155550100", method="SMS")
    sms_events.sms_delivery_log_handler(delivery_logs(sms_log("failure")), lambda_context)
    logs = capsys.readouterr().out + caplog.text
    assert '"outcome":"changed"' in logs.replace(" ", "") and '"outcome":"unchanged"' in logs.replace(" ", "")
    for secret in (RECIPIENT, "+14155550100", "must never reach a log", "user unknown"):
        assert secret not in logs


def test_an_unreadable_log_entry_is_counted_and_the_rest_still_applied(sms_events, record, stored, delivery_logs, sms_log, lambda_context) -> None:
    record("ACCEPTED", to="+14155550100", method="SMS")
    payload = delivery_logs({"notification": "not what SNS writes"}, sms_log("success"))
    summary = sms_events.sms_delivery_log_handler(payload, lambda_context)
    assert (summary["malformed"], summary["changed"]) == (1, 1)
    assert stored("+14155550100")["deliveryStatus"] == "DELIVERED"


def test_the_envelopes_are_read_as_powertools_event_classes_read_them(ses_notification, delivery_logs, sms_log, sms_events) -> None:
    # The functions read the SNS and CloudWatch Logs envelopes themselves, to spare their cold start
    # Powertools' data_classes package: they must read them exactly as its event classes do.
    # GIVEN a documented SNS notification and documented subscription payloads, data and control
    notification = ses_notification("delivery")
    payloads = [delivery_logs(sms_log("success"), sms_log("failure")), delivery_logs({"not": "an SMS"}, message_type="CONTROL_MESSAGE")]
    # THEN the SES events, the batches' type and their entries are Powertools' own
    assert [record["Sns"]["Message"] for record in notification["Records"]] == [record.sns.message for record in SNSEvent(notification).records]
    for payload in payloads:
        ours, theirs = sms_events.logs_data(payload), CloudWatchLogsEvent(payload).parse_logs_data()
        assert ours["messageType"] == theirs.message_type
        assert [(entry["id"], entry["message"]) for entry in ours["logEvents"]] == [(entry.get_id, entry.message) for entry in theirs.log_events]


# --- Metrics: CloudWatch EMF lines, with dimensions that never hold an address or a number ---------


def test_each_provider_event_is_counted_by_channel_and_status(ses_events, sms_events, record, ses_notification, delivery_logs, sms_log, lambda_context, emitted_metrics) -> None:
    # GIVEN an email and an SMS, both accepted
    record("ACCEPTED")
    record("ACCEPTED", to="+14155550100", method="SMS")
    # WHEN SES reports a bounce (and then a late delivery, which changes nothing) and the carrier a failure
    ses_events.ses_event_handler(ses_notification("bounce"), lambda_context)
    ses_events.ses_event_handler(ses_notification("delivery"), lambda_context)
    sms_events.sms_delivery_log_handler(delivery_logs(sms_log("failure")), lambda_context)
    # THEN each provider event is one StatusEvents count, by channel and the status it reported
    metrics = emitted_metrics()
    assert [(m["name"], m["value"], m["dimensions"]) for m in metrics] == [
        ("StatusEvents", 1, {"service": "delivery-status", "Channel": "EMAIL", "Status": "BOUNCED"}),
        ("StatusEvents", 1, {"service": "delivery-status", "Channel": "EMAIL", "Status": "DELIVERED"}),
        ("StatusEvents", 1, {"service": "delivery-status", "Channel": "SMS", "Status": "FAILED"}),
    ]
    assert {m["namespace"] for m in metrics} == {"serverless-messenger/test"}
    # AND the line says what became of it, by message id only
    assert [(m["properties"]["outcome"], m["properties"]["message_id"]) for m in metrics] == [
        ("changed", MESSAGE_ID), ("unchanged", MESSAGE_ID), ("changed", MESSAGE_ID)
    ]
    assert RECIPIENT not in json.dumps(metrics) and "+14155550100" not in json.dumps(metrics)


def test_a_report_on_an_email_sent_elsewhere_is_counted_too(ses_events, event, lambda_context, emitted_metrics) -> None:
    notification = event("sns_notification")
    notification["Records"][0]["Sns"]["Message"] = json.dumps(event("ses_delivery"))
    ses_events.ses_event_handler(notification, lambda_context)
    [metric] = emitted_metrics()
    assert (metric["name"], metric["dimensions"]["Status"], metric["properties"]["outcome"]) == ("StatusEvents", "DELIVERED", "unmatched")


def test_every_sweep_reports_how_many_stale_pending_messages_it_found(sweep, pending_record, lambda_context, emitted_metrics) -> None:
    # GIVEN nothing stale, THEN the sweep still reports 0, so the alarm on it always has data
    sweep.stale_pending_handler({}, lambda_context)
    assert [(m["name"], m["value"], m["dimensions"]) for m in emitted_metrics()] == [("StalePendingFound", 0, {"service": "delivery-status"})]
    # GIVEN a message recorded PENDING two minutes ago (its request failed mid-way)
    pending_record(minutes_ago=2)
    # WHEN the sweep runs with a one-minute threshold THEN it marks it UNKNOWN and reports 1
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)["changed"] == 1
    [metric] = emitted_metrics()
    assert (metric["name"], metric["value"]) == ("StalePendingFound", 1)


# --- The stale-pending sweep: each stretch of time once, from where the last run stopped ---------------


@pytest.fixture
def pending_record(messages_table, sweep) -> Callable[..., dict[str, Any]]:
    """A message recorded `minutes_ago` (or `at`) as the pipeline records it, after counting it against its
    recipient's hourly limit as graphql/functions/limitRecipient.js does: in the counter of the hour in which
    it counts (`counted_seconds_later`), the first send's time kept, the last one's overwritten, both the
    record's own time."""
    numbers = itertools.count()

    def put(
        minutes_ago: float = 0,
        state: str = "PENDING",
        counted_seconds_later: float = 0,
        at: datetime | None = None,
        to: str = RECIPIENT,
        client_id: str = "default",
        mode: str = "LIVE",
    ) -> dict[str, Any]:
        recorded = at or datetime.now(UTC) - timedelta(minutes=minutes_ago)
        ulid = sweep.ulid_time_prefix(recorded) + f"{next(numbers):016d}"
        scope = sweep.scope_of(client_id, mode)
        item = {"PK": f"MESSAGE#{to}", "SK": f"{scope}MESSAGE#{ulid}", "deliveryStatus": state, "statusHistory": []}
        messages_table.put_item(Item=item)
        hour = int((recorded + timedelta(seconds=counted_seconds_later)).timestamp()) // 3600 * 3600
        # Any of the channel's shards (the resolver spreads mailboxes over them; the sweep reads them all).
        shard = sum(to.encode()) % sweep.RECIPIENT_SHARDS
        messages_table.update_item(
            Key={"PK": f"LIMIT#{mode}#EMAIL#{shard}", "SK": f"HOUR#{hour}#{to}"},
            UpdateExpression="ADD sends :one, clients :client SET firstSentAt = if_not_exists(firstSentAt, :at), lastSentAt = :at",
            ExpressionAttributeValues={":one": 1, ":client": {client_id}, ":at": sweep.iso_time(recorded)},
        )
        return item

    return put


@pytest.fixture
def message_partitions_read(sweep, monkeypatch) -> list[str]:
    """The message partitions the sweep Queries from now on (it reads the limit counters by channel apart)."""
    read: list[str] = []
    real_query = sweep.dynamodb().query

    def recording_query(**kwargs: Any) -> Any:
        read.extend(value["S"] for name, value in kwargs["ExpressionAttributeValues"].items() if name == ":partition")
        return real_query(**kwargs)

    monkeypatch.setattr(sweep.dynamodb(), "query", recording_query)
    return read


# Where the sweep keeps its mark (graphql/manifest.json: tables.messages.sweepItem).
SWEEP_KEY = {"PK": "SWEEP", "SK": "SWEEP"}


def swept_until(messages_table) -> str | None:
    item = messages_table.get_item(Key=SWEEP_KEY, ConsistentRead=True).get("Item")
    return item["sweptUntil"] if item else None


def test_the_sweep_marks_only_messages_still_pending(sweep, pending_record, messages_table, lambda_context) -> None:
    # GIVEN two messages of two minutes ago: one whose outcome was recorded, one left PENDING
    accepted = pending_record(minutes_ago=2, state="ACCEPTED")
    stale = pending_record(minutes_ago=2)
    # WHEN the sweep runs
    summary = sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)
    # THEN only the PENDING one became UNKNOWN, with why; the other is untouched
    assert summary["changed"] == 1 and summary["unchanged"] == 0
    stored_stale = messages_table.get_item(Key={"PK": stale["PK"], "SK": stale["SK"]})["Item"]
    assert stored_stale["deliveryStatus"] == "UNKNOWN" and stored_stale["statusHistory"][-1]["reason"] == sweep.STALE_REASON
    assert messages_table.get_item(Key={"PK": accepted["PK"], "SK": accepted["SK"]})["Item"] == accepted


def test_each_stretch_of_time_is_swept_once(sweep, pending_record, messages_table, lambda_context, message_partitions_read) -> None:
    # GIVEN a sweep that checked everything up to a minute ago
    sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)
    mark = swept_until(messages_table)
    assert mark is not None
    # WHEN it runs again at once
    pending_record(minutes_ago=5)  # recorded before the mark: already covered by the first run's window
    sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)
    # THEN it starts at the mark: the older message's partition is not read again, and the mark only moves forward
    new_mark = swept_until(messages_table)
    assert message_partitions_read == []
    assert new_mark is not None and new_mark >= mark


def test_the_sweep_finds_a_message_counted_in_the_hour_after_its_window(sweep, pending_record, messages_table, lambda_context) -> None:
    # GIVEN a message recorded 30 s before an hour began, left PENDING, whose request counted it against its
    # recipient's limit 40 s later: in the next hour's counter
    hour = datetime.fromtimestamp((datetime.now(UTC) - timedelta(minutes=6)).timestamp() // 3600 * 3600, UTC)
    stale = pending_record(at=hour - timedelta(seconds=30), counted_seconds_later=40)
    # AND a sweep whose window ends 20 s before that hour
    window_start = hour - timedelta(seconds=20) - sweep.SWEEP_WINDOW
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(window_start)})
    # WHEN it runs THEN it reads the next hour's counters too, and finds the message
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)["changed"] == 1
    assert messages_table.get_item(Key={"PK": stale["PK"], "SK": stale["SK"]})["Item"]["deliveryStatus"] == "UNKNOWN"
    assert swept_until(messages_table) == sweep.iso_time(hour - timedelta(seconds=20))


def test_the_sweep_finds_a_message_whose_counter_a_later_send_wrote_first(sweep, pending_record, messages_table, lambda_context) -> None:
    # GIVEN two sends to one recipient 20 s apart whose counter updates landed in the opposite order: the
    # counter's first send is the later one's time, its last send the earlier one's
    later = datetime.now(UTC) - timedelta(minutes=3)
    pending_record(at=later, state="ACCEPTED")
    stale = pending_record(at=later - timedelta(seconds=20))
    counter = next(item for item in messages_table.scan()["Items"] if item["PK"].startswith("LIMIT#LIVE#EMAIL#"))
    assert counter["firstSentAt"] > counter["lastSentAt"]
    # WHEN a sweep covers only the earlier message's time
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(later - timedelta(seconds=25))})
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60 * 3 + 15}, lambda_context)["changed"] == 1
    # THEN it finds it all the same
    assert messages_table.get_item(Key={"PK": stale["PK"], "SK": stale["SK"]})["Item"]["deliveryStatus"] == "UNKNOWN"


def test_the_sweep_finds_every_clients_and_modes_messages_in_a_shared_mailbox(sweep, pending_record, messages_table, lambda_context) -> None:
    # GIVEN one mailbox with messages left PENDING by the default client, another client's LIVE and TEST keys
    recorded = datetime.now(UTC) - timedelta(minutes=10)
    stale = [
        pending_record(at=recorded),
        pending_record(at=recorded + timedelta(seconds=1), client_id="01JCLIENTAAAAAAAAAAAAAAAAA"),
        pending_record(at=recorded + timedelta(seconds=2), client_id="01JCLIENTAAAAAAAAAAAAAAAAA", mode="TEST"),
    ]
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(recorded - timedelta(minutes=1))})
    # WHEN the sweep runs
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)["changed"] == 3
    # THEN each is UNKNOWN
    assert {messages_table.get_item(Key={"PK": m["PK"], "SK": m["SK"]})["Item"]["deliveryStatus"] for m in stale} == {"UNKNOWN"}


def test_a_run_short_of_time_records_how_far_it_got_and_the_next_goes_on(sweep, pending_record, messages_table) -> None:
    # GIVEN 20 recipients each with a message left PENDING, a second apart
    first = datetime.now(UTC) - timedelta(minutes=10)
    for number in range(20):
        pending_record(at=first + timedelta(seconds=number), to=f"r{number}@example.com")
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(first - timedelta(minutes=1))})
    # WHEN a run has time for one batch of readers only
    short = LambdaContext(function_name="test-sweep", timeout_seconds=sweep.SWEEP_RESERVE_MILLIS / 1000 - 1)
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60}, short)["changed"] == sweep.SWEEP_READERS
    # THEN its mark stops before the first recipient it did not read, less the margin
    unread_first_send = first + timedelta(seconds=sweep.SWEEP_READERS)
    assert swept_until(messages_table) == sweep.iso_time(unread_first_send - sweep.COUNTER_MARGIN)
    # AND the next run finds the rest
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60}, LambdaContext(function_name="test-sweep"))["changed"] == 20 - sweep.SWEEP_READERS


def test_a_sweep_behind_its_counters_says_what_it_could_not_check_and_goes_on(sweep, messages_table, lambda_context, caplog) -> None:
    # GIVEN a sweep that last ran two days ago
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(datetime.now(UTC) - timedelta(days=2))})
    # WHEN it runs
    sweep.stale_pending_handler({}, lambda_context)
    # THEN it logs, at ERROR, the stretch its counters no longer cover, and goes on from the oldest they do
    [gap] = [record for record in caplog.records if "fell behind its limit counters" in record.getMessage()]
    assert gap.levelname == "ERROR"
    assert datetime.fromisoformat(swept_until(messages_table) or "") > datetime.now(UTC) - sweep.RECIPIENT_COUNTER_KEPT + timedelta(hours=1)


def test_the_sweep_reads_only_the_partitions_of_recipients_sent_to_in_its_window(sweep, pending_record, messages_table, lambda_context, message_partitions_read) -> None:
    # GIVEN a message of 40 minutes ago, and a sweep that checked everything up to 20 minutes ago
    pending_record(minutes_ago=40)
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(datetime.now(UTC) - timedelta(minutes=20))})
    # WHEN the sweep runs THEN it reads the counters but not the recipient's messages: none were sent since
    assert sweep.stale_pending_handler({"staleAfterSeconds": 60}, lambda_context)["changed"] == 0
    assert message_partitions_read == []


def test_a_sweep_catching_up_covers_one_window_per_run(sweep, pending_record, messages_table, lambda_context) -> None:
    # GIVEN the last sweep stopped an hour ago, and a message left PENDING 40 minutes ago
    earlier = datetime.now(UTC) - timedelta(hours=1)
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(earlier)})
    pending_record(minutes_ago=40)
    # WHEN the sweep runs THEN it covers one window (15 minutes): not yet the message
    assert sweep.stale_pending_handler({}, lambda_context)["changed"] == 0
    assert swept_until(messages_table) == sweep.iso_time(earlier + sweep.SWEEP_WINDOW)
    # AND the next run reaches it
    assert sweep.stale_pending_handler({}, lambda_context)["changed"] == 1


def test_an_overlapping_sweep_leaves_the_mark_where_the_first_put_it(sweep, messages_table, lambda_context) -> None:
    # GIVEN a run that read the mark, while another run moved it first
    earlier = datetime.now(UTC) - timedelta(minutes=10)
    messages_table.put_item(Item={**SWEEP_KEY, "sweptUntil": sweep.iso_time(earlier + timedelta(minutes=5))})
    # WHEN the slower run records where it stopped THEN the mark stays where the faster one put it
    sweep.record_swept_until(earlier + timedelta(minutes=3), previous=earlier)
    assert swept_until(messages_table) == sweep.iso_time(earlier + timedelta(minutes=5))
