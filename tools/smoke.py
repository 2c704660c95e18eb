"""`make smoke ENV=dev|stage|prod|local`: an environment proves, end to end and as a client uses it, that it
works; `make apply` ends with it.

    python -m tools.smoke --env dev [--wait-seconds 120] [--sms-to +14155550123]

It settles what only a real deployment can: whether AppSync counts a pipeline's functions against
`resolver_count_limit` = 1 (then every request is refused with ResolverExecutionLimitReached), and whether SES's
events reach the status handler through the encrypted SES events topic (if SES's KMS calls do not match the key
policy, every event is lost silently and no email ever leaves ACCEPTED).

As the operator (signed with SigV4 by tools/operators.py: the operator's own AWS credentials, or the local stack's
with --env local) it finds the client named `smoke`, or creates it, and makes it a fresh LIVE key that expires
soon after the run. The key's secret lives only in this process's memory: it is never printed, logged or
written anywhere, and the key is revoked at the end whatever happened (a failed check, Ctrl-C, SIGTERM). Then,
sending with that key, each run with its own run id:

1. mail to SES's mailbox simulator `success+smoke-<run id>@simulator.amazonses.com` must reach DELIVERED, and
2. mail to `bounce+smoke-<run id>@simulator.amazonses.com` BOUNCED, within --wait-seconds (SMOKE_WAIT_SECONDS,
   120 by default);
3. both are read back with getMessages by recipient, with their status histories;
4. one request that selects sendMessage twice (aliases) must have its second refused with
   ResolverExecutionLimitReached, and exactly one message recorded;
5. with --sms-to (SMOKE_SMS_TO), an SMS to that number must reach DELIVERED (FAILED is reported with its reason).

A failed check prints one line on stderr, `smoke: FAILED <check>: <what was seen>; likely cause: <what it
means and what to do>` (docs/deployment.md#the-smoke-test has the table), and the exit status is 1; input refused
before anything is made exits with 2. No address, number or secret is ever printed: messages are named by their
mailbox (success, bounce) and id.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, Protocol

from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE
from local.providers.ses_simulator import SIMULATOR_DOMAIN
from tools.operators import (
    SIGNATURE_REFUSALS,
    ApiError,
    Endpoint,
    call,
    deployed_endpoint,
    local_endpoint,
    post,
)
from tools.terraform_outputs import OperatorError, terraform_output

CLIENT_NAME = "smoke"
DEFAULT_WAIT_SECONDS = 120.0
MAX_WAIT_SECONDS = 3600.0
POLL_SECONDS = 1.0
# The key outlives the longest run (two waits: the emails', the SMS's) by this much, then expires by itself, so
# a run killed before it could revoke its key (SIGKILL) leaves nothing usable for long.
KEY_MARGIN = timedelta(minutes=30)
# AWS WAF inspects the first 8 KB of an AppSync request's body, and the firewall's one-send-message-per-request
# rule blocks two sendMessage in them. The double send carries its document past them, so that AppSync's
# resolverCountLimit, the guard itself, is what refuses the second send.
WAF_INSPECTED_BYTES = 8 * 1024
# Statuses a message holds before its provider's report settles it (graphql/schema.graphql: DeliveryStatus).
IN_FLIGHT = ("PENDING", "ACCEPTED", "UNKNOWN", "DELAYED")
LIMIT_ERROR_TYPE = "ResolverExecutionLimitReached"
CREDENTIAL_REFUSALS = {*SIGNATURE_REFUSALS, "ExpiredTokenException", "InvalidClientTokenId"}
DATABASE_ERRORS = {"LimitCheckFailed", "RecordFailed", "ReadFailed", "OutcomeNotRecorded", "ConfigurationUnavailable", "ReplayFailed"}
DOUBLE_SEND = """mutation smokeDoubleSend($input: MessageInput!) {
  first: sendMessage(input: $input) { id deliveryStatus }
  second: sendMessage(input: $input) { id deliveryStatus }
}"""
# The rules by which the API refuses an SMS's number (validateInput): all about SMOKE_SMS_TO, not the smoke's own input.
SMS_NUMBER_RULES = ("e164", "validNumber", "allowedCountry", "allowedPrefix")
PHONE_FORMATTING = re.compile(r"[\s().-]")


class SmokeFailure(Exception):
    """A check that failed: what was seen, and its likely cause with what to do, printed as one line."""

    def __init__(self, check: str, seen: str, cause: str) -> None:
        super().__init__(f"FAILED {check}: {seen}; likely cause: {cause}")


class Api(Protocol):
    """The environment's API: the operators' fields (signed), and the clients' fields with a key."""

    @property
    def local(self) -> bool: ...

    def operator(self, name: str, variables: dict[str, Any]) -> dict[str, Any]: ...

    def client(self, payload: dict[str, Any], key: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class EndpointApi:
    endpoint: Endpoint

    @property
    def local(self) -> bool:
        return self.endpoint.local

    def operator(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        return call(self.endpoint, name, variables)

    def client(self, payload: dict[str, Any], key: str) -> dict[str, Any]:
        return post(self.endpoint, payload, key)


@dataclass(frozen=True)
class Options:
    env: str
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    sms_to: str | None = None
    run_id: str = field(default_factory=lambda: new_run_id(datetime.now(UTC)))


def new_run_id(now: datetime) -> str:
    """When, and a random part: unique per run, and part of an email address (lower case, as stored)."""
    return f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


@dataclass
class Message:
    """A message the smoke sent, and what became of it."""

    name: str  # how it is named in the output: never its address
    to: str
    expected: str
    id: str
    body: str
    sent_at: float
    status: str
    reason: str | None = None
    settled_after: float | None = None


# --- What a failure means ------------------------------------------------------------------------------------


def longest_pipeline() -> int:
    """The most functions any resolver's pipeline runs (graphql/manifest.json): sendMessage's."""
    return max(len(resolver.pipeline) for resolver in load_manifest().resolvers.values())


def resolver_limit_cause(env: str, local: bool) -> str:
    if local:
        return "the local stack's RESOLVER_COUNT_LIMIT is below 1: start make dev without it, or with RESOLVER_COUNT_LIMIT=1"
    functions = longest_pipeline()
    return (
        f"AppSync counts a pipeline's functions against resolver_count_limit: raise resolver_count_limit in envs/{env}.tfvars to "
        f"{functions + 1} (the longest pipeline, sendMessage's, has {functions} functions, so a second sendMessage in one request "
        f"still exceeds it) and make apply ENV={env}"
    )


def error_info(error: ApiError, name: str) -> Any:
    """`errorInfo.<name>` of the first of the API's errors that has it."""
    for item in error.errors:
        if isinstance(item.get("errorInfo"), dict) and name in item["errorInfo"]:
            return item["errorInfo"][name]
    return None


def cause_of(error: OperatorError, env: str, local: bool, with_key: bool) -> str:
    """The likely cause of a failed request, and what to do, in words for the operator."""
    text = str(error)
    if "WAF" in text or "Forbidden" in text:
        return "the web firewall blocked the request (a rate limit, or AWS's anonymous-IP list for a VPN or proxy): its log group aws-waf-logs-<stage>-... names the rule"
    if isinstance(error, ApiError):
        return api_cause(error, env, local, with_key)
    if text.startswith("could not reach"):
        return "the local stack is not running there: make dev (with the same PORT)" if local else f"the API cannot be reached: check graphql_url (make outputs ENV={env}) and your network"
    if text.startswith("terraform output"):
        return f"the environment is not deployed (or another workspace is selected): make apply ENV={env}"
    return "the answer above; docs/api.md#errors lists what each errorType means"


def api_cause(error: ApiError, env: str, local: bool, with_key: bool) -> str:
    kinds = set(error.error_types)
    if LIMIT_ERROR_TYPE in kinds:
        return resolver_limit_cause(env, local)
    if kinds & {"UnauthorizedException", "Unauthorized"}:
        if with_key:
            return (
                "the Lambda authorizer refused the smoke's new key, or AppSync could not invoke it: check the authorizer function's log "
                "group, its lambda permission for appsync.amazonaws.com on this API, and that AWS_LAMBDA is one of the API's auth modes"
            )
        return (
            f"your AWS identity may not call the operators' fields: it needs appsync:GraphQL on createClient, createClientKey, "
            f"revokeClientKey and clients under graphql_api_arn (make outputs ENV={env}; docs/deployment.md#clients-and-keys)"
        )
    if kinds & CREDENTIAL_REFUSALS:
        if local:
            return "the local stack checks other credentials: give this tool the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION the stack was started with"
        return "AWS refused your credentials' signature (an expired session, another account?): aws sso login, or export AWS_PROFILE=<your operator profile>"
    if "RateLimited" in kinds:
        return (
            f"a sending limit ({error_info(error, 'limit')}) refused the send: the smoke client's daily limits (make clients ENV={env}, "
            f"make limits ENV={env} CLIENT=<id>) or the environment's send_limits; the window ends in {error_info(error, 'retryAfterSeconds')} s"
        )
    if "ValidationError" in kinds:
        if error_info(error, "field") == "input.to" and error_info(error, "rule") in SMS_NUMBER_RULES:
            return f"SMOKE_SMS_TO is refused: give a valid number in E.164 form, of a country in sms_allowed_countries of envs/{env}.tfvars"
        return f"the API refused the smoke's own input: the deployed API and this repository differ (make apply ENV={env} from this commit)"
    if "ConfigurationMissing" in kinds:
        return f"the CONFIG/DELIVERY item the resolvers read is missing or incomplete: make apply ENV={env} writes it"
    if "ClientNotFound" in kinds:
        return "the resolvers do not find the smoke client's record: the operators' function and the API read different tables"
    if kinds & DATABASE_ERRORS:
        return "DynamoDB failed for the API's resolvers: read the API's log group (field log level ERROR) and check the AppSync role's permissions on the table"
    if "GraphQLError" in kinds:
        return f"the API refused the document: it runs another schema than this repository's (make apply ENV={env} from this commit)"
    return "the API's answer above; docs/api.md#errors lists what each errorType means"


def one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


# --- The run ----------------------------------------------------------------------------------------------------


class Smoke:
    def __init__(
        self,
        api: Api,
        options: Options,
        out: Callable[[str], None],
        err: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api, self.options, self.out, self.err = api, options, out, err
        self.clock, self.sleep, self.now = clock, sleep, now
        self.failures: list[SmokeFailure] = []
        self.summary: list[tuple[str, str]] = []
        self.client_id: str | None = None
        self.key_id: str | None = None
        self.key_expires: str | None = None
        self.sender_id = f"smoke-{options.run_id}"

    # What the run says ------------------------------------------------------------------------------------

    def fail(self, failure: SmokeFailure) -> None:
        self.failures.append(failure)
        self.err(f"smoke: {failure}")

    def refused(self, check: str, error: OperatorError, with_key: bool) -> NoReturn:
        raise SmokeFailure(check, one_line(str(error)), cause_of(error, self.options.env, self.api.local, with_key)) from None

    def operator(self, check: str, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.api.operator(name, variables)
        except OperatorError as error:
            self.refused(check, error, with_key=False)

    def client(self, check: str, payload: dict[str, Any], secret: str) -> dict[str, Any]:
        try:
            return self.api.client(payload, secret)
        except OperatorError as error:
            self.refused(check, error, with_key=True)

    # The whole run -----------------------------------------------------------------------------------------------

    def run(self) -> bool:
        """Every check, the key revoked at the end whatever happens; True when all passed."""
        try:
            secret = self.new_key()
        except SmokeFailure as failure:
            self.fail(failure)
            return False
        try:
            self.checks(secret)
        except SmokeFailure as failure:
            self.fail(failure)
        finally:
            self.revoke()
        return not self.failures

    def new_key(self) -> str:
        """The smoke client (found by name, or created) and a fresh LIVE key; its secret, kept only in memory."""
        self.client_id = self.smoke_client()
        expires = self.now() + timedelta(seconds=2 * self.options.wait_seconds) + KEY_MARGIN
        variables = {"clientId": self.client_id, "mode": "LIVE", "expiresAt": expires.isoformat(timespec="seconds").replace("+00:00", "Z")}
        made = self.operator("key", "createClientKey", variables)["createClientKey"]
        self.key_id, self.key_expires = made["key"]["id"], made["key"]["expiresAt"]
        self.out(
            f"smoke: run {self.options.run_id} of ENV={self.options.env}: LIVE key {self.key_id} made for client {CLIENT_NAME} ({self.client_id}), "
            f"expiring {self.key_expires}; its secret is held in this process's memory only, and the key is revoked at the end"
        )
        return str(made["secret"])

    def smoke_client(self) -> str:
        after = None
        while True:
            page = self.operator("smoke client", "clients", {"first": 100, **({"after": after} if after else {})})["clients"]
            found = [client["id"] for client in page["data"] if client["name"] == CLIENT_NAME]
            if found:
                return str(found[0])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        created = self.operator("smoke client", "createClient", {"input": {"name": CLIENT_NAME}})["createClient"]
        self.out(f"smoke: client {CLIENT_NAME} created ({created['id']})")
        return str(created["id"])

    def revoke(self) -> None:
        try:
            revoked = self.api.operator("revokeClientKey", {"keyId": self.key_id})["revokeClientKey"]
        except OperatorError as error:
            self.fail(
                SmokeFailure(
                    "revoke",
                    f"the smoke's key {self.key_id} could not be revoked: {one_line(str(error))}",
                    f"{cause_of(error, self.options.env, self.api.local, with_key=False)}; it expires by itself at {self.key_expires}, or: make revoke ENV={self.options.env} KEY={self.key_id}",
                )
            )
            return
        self.out(f"smoke: key {revoked['id']} revoked")

    def checks(self, secret: str) -> None:
        success = self.send_email(secret, "success", "DELIVERED")
        bounce = self.send_email(secret, "bounce", "BOUNCED")
        self.out(f"smoke: success mail {success.id} and bounce mail {bounce.id} sent: waiting up to {self.options.wait_seconds:g} s for DELIVERED and BOUNCED")
        self.await_outcomes("email", [success, bounce], secret)
        self.read_back([success, bounce], secret)
        self.double_send(secret)
        if self.options.sms_to:
            self.sms(secret)
        else:
            self.summary.append(("SMS", "not sent (SMOKE_SMS_TO=+<number> sends one)"))

    # The checks ---------------------------------------------------------------------------------------------------

    def address(self, mailbox: str, suffix: str = "") -> str:
        return f"{mailbox}+smoke-{self.options.run_id}{suffix}@{SIMULATOR_DOMAIN}"

    def message_input(self, to: str, method: str, body: str) -> dict[str, Any]:
        extra = {"subject": f"Smoke test {self.options.run_id}"} if method == "EMAIL" else {}
        return {"to": to, "body": body, "deliveryMethod": method, "senderId": self.sender_id, **extra}

    def send(self, check: str, secret: str, name: str, to: str, method: str, expected: str) -> Message:
        body = f"serverless-messenger smoke test {self.options.run_id} of ENV={self.options.env}: the {name}. Nobody reads it."
        sent = self.client(check, {"query": SEND_MESSAGE, "variables": {"input": self.message_input(to, method, body)}}, secret)["sendMessage"]
        message = Message(name, to, expected, sent["id"], body, self.clock(), sent["deliveryStatus"], sent["statusReason"])
        if message.status == "FAILED":
            raise SmokeFailure(check, f"the {name} was refused on sending: {message.reason}", self.refusal_cause(method))
        return message

    def refusal_cause(self, method: str) -> str:
        env = self.options.env
        if method == "EMAIL":
            return (
                f"SES refused it: default_email_from of envs/{env}.tfvars must be verified in ses_region, and the delivery role "
                "must allow it (docs/deployment.md#prerequisites)"
            )
        return "SNS refused it: the SNS SMS sandbox (verify the number in sns_region), the SMS spend limit, or an opted-out number (docs/deployment.md#prerequisites)"

    def send_email(self, secret: str, mailbox: str, expected: str) -> Message:
        return self.send("email", secret, f"{mailbox} mail", self.address(mailbox), "EMAIL", expected)

    def await_outcomes(self, check: str, messages: list[Message], secret: str) -> None:
        """Read the run's messages by its sender id until each has settled, or the wait is over; then judge."""
        deadline = self.clock() + self.options.wait_seconds
        while True:
            unsettled = [message for message in messages if message.status in IN_FLIGHT]
            if not unsettled or self.clock() >= deadline:
                break
            self.sleep(min(POLL_SECONDS, max(0.0, deadline - self.clock())))
            page = self.client(check, {"query": GET_MESSAGES, "variables": {"filter": {"senderId": self.sender_id}, "first": 100}}, secret)["getMessages"]
            records = {record["id"]: record for record in page["data"]}
            for message in unsettled:
                if (record := records.get(message.id)) is not None:
                    message.status, message.reason = record["deliveryStatus"], record["statusReason"]
                    if message.status not in IN_FLIGHT:
                        message.settled_after = self.clock() - message.sent_at
        self.judge(check, messages)
        for message in messages:
            self.summary.append((message.name, f"{message.status} after {message.settled_after:.1f} s"))

    def judge(self, check: str, messages: list[Message]) -> None:
        waited = f"{self.options.wait_seconds:g} s"
        stuck = [message for message in messages if message.status in IN_FLIGHT]
        wrong = [message for message in messages if message.status not in IN_FLIGHT and message.status != message.expected]
        if check == "email" and len(stuck) == len(messages) and all(message.status == "ACCEPTED" for message in stuck):
            raise SmokeFailure(check, f"every mail to SES's mailbox simulator is still ACCEPTED after {waited}", self.no_ses_events_cause())
        if stuck:
            message = stuck[0]
            raise SmokeFailure(check, f"the {message.name} {message.id} is still {message.status} after {waited}", self.stuck_cause(message))
        if wrong:
            message = wrong[0]
            reason = f" ({message.reason})" if message.reason else ""
            raise SmokeFailure(check, f"the {message.name} {message.id} ended {message.status}{reason}, not {message.expected}", self.wrong_outcome_cause(message))

    def no_ses_events_cause(self) -> str:
        if self.api.local:
            return (
                "SES events are not arriving: the local stack's mailbox simulator has not played them (is SES_SIMULATOR_DELAY_SECONDS "
                "longer than SMOKE_WAIT_SECONDS?), or its emailEvents handler failed (the stack's output)"
            )
        return (
            "SES events are not arriving: check the SES events topic's KMS key policy (ses.amazonaws.com's statement and its "
            "aws:SourceAccount condition, modules/kms_key), the configuration set's event destination (ses_configuration_set, "
            "ses_events_topic_arn), and the emailEvents function's errors and dead-letter queue (status_dead_letter_queues)"
        )

    def stuck_cause(self, message: Message) -> str:
        if message.status == "PENDING":
            return "no delivery outcome was recorded: read the API's log group (deliverMessage, recordOutcome) and the delivery function's log group"
        if message.status == "UNKNOWN":
            return "the delivery function timed out or crashed, or its answer was lost: read its log group (delivery_function_name)"
        if message.name == "SMS":
            if self.api.local:
                return "the local stack simulates no SMS outcome: play one (POST /local/events, SMS_SUCCESS) or leave SMOKE_SMS_TO unset"
            return (
                "SMS delivery status is not arriving: only the environment that owns the account's SMS settings gets it "
                "(sms.manage_account_preferences, prod by default; docs/deployment.md#sms-settings-have-one-owner); in the owner, check the "
                "delivery-status role and the smsEvents function's subscription to sms_delivery_log_groups"
            )
        event = "DELIVERY" if message.expected == "DELIVERED" else "BOUNCE"
        return (
            f"SES's {event} events are not recorded while others are: check that the configuration set's event destination publishes "
            f"{event} (ses_configuration_set), and the emailEvents function's errors and dead-letter queue (status_dead_letter_queues)"
        )

    def wrong_outcome_cause(self, message: Message) -> str:
        if message.name == "SMS" and message.status == "FAILED":
            return (
                "the carrier or SNS could not deliver it: the SNS SMS sandbox (verify the number in sns_region), the SMS spend limit, or "
                "for +1 numbers an origination identity (docs/deployment.md#prerequisites)"
            )
        return "the status handler recorded another event than SES's mailbox simulator sends: read the emailEvents function's log group"

    def sent_to(self, check: str, to: str, secret: str) -> list[dict[str, Any]]:
        """The messages to exactly this address. getMessages by recipient reads its whole mailbox: every variant of
        the address, so every run's success+smoke-<run id>@ and success@ itself; each run's own address is its own."""
        address = to.lower()
        found: list[dict[str, Any]] = []
        after = None
        while True:
            variables = {"filter": {"to": to}, "first": 100, **({"after": after} if after else {})}
            page = self.client(check, {"query": GET_MESSAGES, "variables": variables}, secret)["getMessages"]
            found.extend(record for record in page["data"] if record["to"] == address)
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def read_back(self, messages: list[Message], secret: str) -> None:
        """Each message, read back by its recipient: the one message there, as sent, with its status history."""
        histories = []
        for message in messages:
            records = self.sent_to("read back", message.to, secret)
            cause = "getMessages by recipient does not read what sendMessage wrote: read the API's log group (queryMessages)"
            if [record["id"] for record in records] != [message.id]:
                raise SmokeFailure("read back", f"getMessages by the {message.name}'s recipient returned {len(records)} message(s) to its address, not just {message.id}", cause)
            [record] = records
            history = [entry["status"] for entry in record["statusHistory"]]
            if record["to"] != message.to.lower() or record["body"] != message.body or record["deliveryStatus"] != message.expected:
                raise SmokeFailure("read back", f"the {message.name} {message.id} reads back other than it was sent and settled", cause)
            if history[:1] != ["PENDING"] or history[-1:] != [message.expected]:
                raise SmokeFailure("read back", f"the {message.name} {message.id}'s status history is {' -> '.join(history)}", "the status handler wrote the history out of order: read its log group")
            histories.append(f"{message.name} {' -> '.join(history)}")
        self.summary.append(("read back by recipient", ", ".join(histories)))

    def double_send(self, secret: str) -> None:
        """One request selecting sendMessage twice: the second is refused, and one message is recorded."""
        check = "one send per request"
        to = self.address("success", "-double")
        body = f"serverless-messenger smoke test {self.options.run_id} of ENV={self.options.env}: one request, two sends; only the first may run."
        # A GraphQL comment carries the two sends past what the firewall inspects (see WAF_INSPECTED_BYTES).
        padding = "#" + "." * WAF_INSPECTED_BYTES + "\n"
        payload = {"query": padding + DOUBLE_SEND, "variables": {"input": self.message_input(to, "EMAIL", body)}}
        try:
            self.api.client(payload, secret)
        except ApiError as error:
            second_refused = [(item.get("errorType"), item.get("path")) for item in error.errors] == [(LIMIT_ERROR_TYPE, ["second"])]
            if not second_refused:
                self.refused(check, error, with_key=True)
        except OperatorError as error:
            self.refused(check, error, with_key=True)
        else:
            env = self.options.env
            fix = "start make dev with RESOLVER_COUNT_LIMIT=1 (the default)" if self.api.local else f"set resolver_count_limit = 1 in envs/{env}.tfvars and make apply ENV={env}"
            raise SmokeFailure(check, "both sendMessage of one request ran", f"the resolver count limit is above 1, so one request may send many messages: {fix}")
        records = self.sent_to(check, to, secret)
        if len(records) != 1:
            raise SmokeFailure(
                check,
                f"the second send was refused ({LIMIT_ERROR_TYPE}), but {len(records)} messages were recorded, not 1",
                "the first send of a refused request must stand, alone: read the API's log group (recordMessage)",
            )
        self.summary.append(("one sendMessage per request", f"the second refused ({LIMIT_ERROR_TYPE}), one message recorded ({records[0]['id']})"))

    def sms(self, secret: str) -> None:
        to = self.options.sms_to or ""
        message = self.send("SMS", secret, "SMS", to, "SMS", "DELIVERED")
        self.out(f"smoke: SMS {message.id} sent: waiting up to {self.options.wait_seconds:g} s for DELIVERED or FAILED")
        self.await_outcomes("SMS", [message], secret)


# --- Input checked before anything is made -----------------------------------------------------------------------


def wait_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {value!r}") from None
    if not 0 < seconds <= MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_WAIT_SECONDS:g} seconds, not {value!r}")
    return seconds


def sms_number(value: str) -> str | None:
    """A number to send the SMS to, or None (empty: no SMS). Only its form is checked here, so that a typing slip
    makes nothing; the API checks the rest (a valid number, sms_allowed_countries)."""
    number = PHONE_FORMATTING.sub("", value)
    if not number:
        return None
    if not re.fullmatch(r"\+[0-9]+", number):
        raise argparse.ArgumentTypeError("must be a phone number in E.164 form, e.g. +14155550123")
    return number


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m tools.smoke", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--env", required=True, help="local (the local stack), or a deployed environment whose workspace is selected")
    root.add_argument("--terraform", default="terraform", help="the terraform binary (default: terraform on PATH)")
    root.add_argument("--wait-seconds", help=f"how long the messages may take to settle (default: SMOKE_WAIT_SECONDS, else {DEFAULT_WAIT_SECONDS:g})")
    root.add_argument("--sms-to", help="send an SMS there too (default: SMOKE_SMS_TO; none when both are empty)")
    return root


def options_from(argv: Sequence[str], environ: dict[str, str]) -> tuple[Options, str]:
    """The options and the terraform binary; SystemExit(2) with the reason for input refused before anything is made.
    An option given empty, or not given, falls back to its variable (the Makefile passes only the variables)."""
    root = parser()
    given = root.parse_args(argv)
    wait = given.wait_seconds or environ.get("SMOKE_WAIT_SECONDS", "").strip()
    sms_to = given.sms_to or environ.get("SMOKE_SMS_TO", "")
    try:
        options = Options(given.env, wait_seconds(wait) if wait else DEFAULT_WAIT_SECONDS, sms_number(sms_to))
    except argparse.ArgumentTypeError as error:
        name = "SMOKE_WAIT_SECONDS (--wait-seconds)" if "seconds" in str(error) else "SMOKE_SMS_TO (--sms-to)"
        root.error(f"{name} {error}")
    return options, given.terraform


def main(argv: Sequence[str], output: Callable[[str, str], str] = terraform_output) -> int:
    try:
        options, terraform = options_from(argv, dict(os.environ))
    except SystemExit as refused:
        return int(refused.code or 0)

    def out(text: str) -> None:
        print(text, flush=True)

    def err(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        endpoint = local_endpoint() if options.env == "local" else deployed_endpoint(options.env, terraform, output)
    except OperatorError as error:
        err(f"smoke: {SmokeFailure('start', one_line(str(error)), cause_of(error, options.env, options.env == 'local', with_key=False))}")
        return 1
    started = time.monotonic()
    smoke = Smoke(EndpointApi(endpoint), options, out, err)
    try:
        passed = smoke.run()
    except KeyboardInterrupt:
        err("smoke: interrupted (the key was revoked above, or its failure said what to do)")
        return 130
    if not passed:
        err(f"smoke ENV={options.env} failed: fix the cause above, then make smoke ENV={options.env} again (what make apply applied stays applied)")
        return 1
    width = max(len(name) for name, _ in smoke.summary)
    out(f"\nsmoke ENV={options.env} passed in {time.monotonic() - started:.1f} s (run {options.run_id}, client {CLIENT_NAME} {smoke.client_id}, key {smoke.key_id} revoked):")
    for name, outcome in smoke.summary:
        out(f"  {name.ljust(width)}  {outcome}")
    return 0


if __name__ == "__main__":
    # A stopped make (SIGTERM) ends the run as Ctrl-C does: through the code that revokes the key.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
