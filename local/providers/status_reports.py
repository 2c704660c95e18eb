"""The local stack's stand-ins for what triggers the status handlers in AWS.

- `POST /local/events`: play a provider's delivery report for a sent message. The request
  names a message as sendMessage returned it (`to`, `messageId`) and an event; the reporter
  builds the payload AWS would deliver for it (local/providers/provider_events.py) and invokes the
  status handler on it, as the SNS subscription or the CloudWatch Logs subscription would.
- the SES mailbox simulator (local/providers/ses_simulator.py): the events SES publishes for mail to its
  addresses, played the same way (`play`) shortly after the send.
- `POST /local/sweep`: run the stale-pending sweep now, as its schedule would, optionally
  with `{"staleAfterSeconds": N}`.
- `GET|POST /local/channels`: the channels' state, or an operator's pause or resume
  (`{"action", "channel", "reason"}`), through the guardrail, as `make pause|resume` does in AWS.
- `POST /local/alarms`: play a CloudWatch alarm's state change (`{"alarm", "state"}`) on the alarm
  topic, as AWS would publish it to the guardrail: the alarm's ARN in its own region, which the guardrail
  acts on only if it is one of the stack's guardrail alarms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from local.appsync.datasources import LambdaDataSource, from_item
from local.appsync.js_engine import JsEngine
from local.providers import provider_events
from local.providers.outbox import Outbox


class ReportError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class StatusReporter:
    dynamodb: Any
    table_name: str
    message_prefix: str
    engine: JsEngine
    outbox: Outbox
    # The event handlers by trigger (sesEvents, smsDeliveryLogs, schedule): each gets every event of its trigger.
    handlers: dict[str, list[LambdaDataSource]]
    ses_region: str
    sns_region: str
    configuration_set: str
    topic_arn: str
    # Where an alarm (by its full name) lives, and the alarm topic of a region: a notification carries both.
    alarm_region: Callable[[str], str]
    alarm_topic_arn: Callable[[str], str]

    def report(self, request: Any) -> dict[str, Any]:
        """`{"to", "messageId", "event"}`, and for SMS events optionally the carrier's `providerResponse`."""
        to, message_id, event = self._parse(request)
        return self.play(to, message_id, event, provider_response=request.get("providerResponse"))

    def play(self, to: str, message_id: str, event: str, *, provider_response: Any = None, bounce_sub_type: str = "General") -> dict[str, Any]:
        """Deliver a provider's report of `event` for a sent message to its status handler, as AWS would; the
        record after. `POST /local/events` and the SES mailbox simulator both come here."""
        record = self._record(to, message_id)
        now = provider_events.now_utc()
        if event in provider_events.SES_EVENTS:
            payload, trigger = self._email_payload(event, record, now, bounce_sub_type), "sesEvents"
        else:
            payload, trigger = self._sms_payload(event, record, now, provider_response), "smsDeliveryLogs"
        handled = self._invoke(trigger, payload)
        after = self._record(to, message_id)
        return {
            "handled": handled,
            "message": {name: after.get(name) for name in ("id", "to", "deliveryStatus", "statusReason", "statusHistory", "updatedAt")},
        }

    def sweep(self, request: Any) -> dict[str, Any]:
        request = request or {}
        stale_after = request.get("staleAfterSeconds") if isinstance(request, dict) else None
        if stale_after is not None and (not isinstance(stale_after, int) or isinstance(stale_after, bool) or stale_after < 0):
            raise ReportError(HTTPStatus.BAD_REQUEST, "staleAfterSeconds must be a whole number of seconds, 0 or more")
        event = {} if stale_after is None else {"staleAfterSeconds": stale_after}
        return {"handled": self._invoke("schedule", event)}

    def channels(self, request: Any) -> dict[str, Any]:
        """The channels' state (no body), or the operator's `{"action", "channel", "reason"}` applied."""
        return {"channels": self._guardrail(request if request is not None else {"action": "status"})}

    def alarm(self, request: Any) -> dict[str, Any]:
        """`{"alarm": <name>, "state": "ALARM" | "OK"}` published to the alarm topic; the channels' state after."""
        if not isinstance(request, dict) or not isinstance(request.get("alarm"), str) or request.get("state", "ALARM") not in ("ALARM", "OK"):
            raise ReportError(HTTPStatus.BAD_REQUEST, 'the body must be {"alarm": <alarm name>, "state": "ALARM" | "OK"}')
        now = provider_events.now_utc()
        region = self.alarm_region(request["alarm"])
        notification = provider_events.alarm_notification(request["alarm"], request.get("state", "ALARM"), region, now)
        return {"channels": self._guardrail(provider_events.sns_notification(notification, self.alarm_topic_arn(region), now))}

    def _guardrail(self, payload: Any) -> dict[str, Any]:
        (function,) = self.handlers["alarms"]
        states, error = function.invoke({"operation": "Invoke", "payload": payload})
        if error is not None:
            # The guardrail refuses a malformed request with a ValueError: the caller's mistake, not a failure.
            refused = error["message"].startswith("ValueError: ")
            status = HTTPStatus.BAD_REQUEST if refused else HTTPStatus.INTERNAL_SERVER_ERROR
            raise ReportError(status, error["message"].removeprefix("ValueError: "))
        return states

    def _invoke(self, trigger: str, payload: dict[str, Any]) -> dict[str, int]:
        """Hand the event to every handler of its trigger; their summaries (counts by outcome) added up."""
        total: Counter[str] = Counter()
        for function in self.handlers[trigger]:
            handled, error = function.invoke({"operation": "Invoke", "payload": payload})
            if error is not None:
                raise ReportError(HTTPStatus.INTERNAL_SERVER_ERROR, f"{function.function_name} failed: {error['message']}")
            total.update(handled)
        return dict(total)

    @staticmethod
    def _parse(request: Any) -> tuple[str, str, str]:
        if not isinstance(request, dict):
            raise ReportError(HTTPStatus.BAD_REQUEST, 'the body must be a JSON object: {"to", "messageId", "event"}')
        fields = {name: value for name in ("to", "messageId", "event") if isinstance(value := request.get(name), str) and value}
        missing = [name for name in ("to", "messageId", "event") if name not in fields]
        if missing:
            raise ReportError(HTTPStatus.BAD_REQUEST, f"missing or not a string: {', '.join(missing)}")
        if fields["event"] not in provider_events.EVENTS:
            raise ReportError(HTTPStatus.BAD_REQUEST, f"event must be one of {', '.join(sorted(provider_events.EVENTS))}")
        return fields["to"], fields["messageId"], fields["event"]

    def _record(self, to: str, message_id: str) -> dict[str, Any]:
        # The resolvers' own normalisation, so `to` may be typed as it was for sendMessage; the message is found
        # in its mailbox's partition by its id, whichever client's scope its key begins with.
        normalised = self.engine.invoke(
            "function:validateInput",
            "request",
            {"args": {"filter": {"to": to}}, "stash": {}, "prev": {"result": None}, "info": {"fieldName": "getMessages"}},
        )
        mailbox = normalised.stash.get("mailbox") or ""
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk",
            FilterExpression="id = :id",
            ExpressionAttributeValues={":pk": {"S": f"{self.message_prefix}{mailbox}"}, ":id": {"S": message_id}},
            ConsistentRead=True,
        )
        item = next((item for page in pages for item in page.get("Items", [])), None)
        if item is None:
            raise ReportError(HTTPStatus.NOT_FOUND, "no message with this id was sent to this recipient")
        return from_item(item) or {}

    def _email_payload(self, event: str, record: dict[str, Any], now, bounce_sub_type: str = "General") -> dict[str, Any]:
        if record["deliveryMethod"] != "EMAIL":
            raise ReportError(HTTPStatus.BAD_REQUEST, f"{event} is an email event; this message is an SMS")
        # Found by the tags it was sent with, as SES events find their record: even one whose outcome was never recorded.
        ulid = record["id"].removeprefix(self.message_prefix)
        sent = self.outbox.sent_email(ulid)
        if sent is None:
            raise ReportError(HTTPStatus.CONFLICT, "SES never accepted this message, so it sends no events for it")
        ses_event = provider_events.ses_event(event, sent, self.ses_region, self.configuration_set, now, bounce_sub_type)
        return provider_events.sns_notification(ses_event, self.topic_arn, now)

    def _sms_payload(self, event: str, record: dict[str, Any], now, provider_response: Any) -> dict[str, Any]:
        if record["deliveryMethod"] != "SMS":
            raise ReportError(HTTPStatus.BAD_REQUEST, f"{event} is an SMS event; this message is an email")
        provider_message_id = record.get("providerMessageId")
        if not provider_message_id:
            raise ReportError(HTTPStatus.CONFLICT, "SNS never accepted this message, so it logs no delivery status for it")
        if provider_response is not None and not isinstance(provider_response, str):
            raise ReportError(HTTPStatus.BAD_REQUEST, "providerResponse must be a string")
        entry = provider_events.sms_delivery_log(event, provider_message_id, record["to"], now, provider_response)
        log_group = provider_events.sms_log_group(self.sns_region, succeeded=event == "SMS_SUCCESS")
        return provider_events.cloudwatch_logs_payload(entry, log_group, now)
