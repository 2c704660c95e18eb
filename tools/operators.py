"""`make client|key|revoke|clients|limits|audit ENV=...`: the operators' API of an environment (its clients, their
keys and daily limits, and the audit log of what operators did), called with the operator's own IAM identity.

    python -m tools.operators --env dev create-client --name shop [--email-per-day 5000] [--sms-per-day 100]
    python -m tools.operators --env dev create-key --client <client id> [--mode TEST] [--expires 2027-06-30]
    python -m tools.operators --env dev revoke --key <key id>
    python -m tools.operators --env dev clients [--client <client id>]
    python -m tools.operators --env dev limits --client <client id> [--email-per-day 5000] [--sms-per-day 100]
    python -m tools.operators --env dev audit [--first 50] [--after <cursor>]

Each command sends the documents of graphql/operations/ (create-client sends two: the client, then its LIVE key)
to the environment's graphql_url, read with `terraform output` from the selected workspace (the Makefile selects
it from ENV). Requests are signed with SigV4 by botocore's own signer, for the service appsync in the
environment's region (the `region` output), with the credentials of boto3's default chain (AWS_PROFILE, the
environment, SSO, an instance role): the caller needs appsync:GraphQL on the operators' fields. With
`--env local` the requests go to the local stack (HOST and PORT, 127.0.0.1:4000 by default), signed with the
credentials and region it checks (local/config.py), so no Terraform is involved.

A new key's secret is printed once, on stdout, and nowhere else. An error of the API is printed with its
errorType and message and the exit status is 1; input refused before anything is sent exits with 2. An empty
option counts as not given (the Makefile passes every variable, set or not).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import BotoCoreError
from botocore.httpsession import URLLib3Session
from botocore.utils import get_environ_proxies

from local.operations import operation
from tools.terraform_outputs import OperatorError, terraform_output

SERVICE = "appsync"
# AppSync ends a request after 30 s; a little more lets its own answer arrive.
TIMEOUT_SECONDS = 35
MODES = ("LIVE", "TEST")
# The local stack's refusals of a signature (local/appsync/auth.py), for which the operator gets a hint.
SIGNATURE_REFUSALS = {"UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException"}
NO_VALUE = "-"


class ApiError(OperatorError):
    """The API's GraphQL errors, each shown as `<errorType>: <message>`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self.error_types = [str(error.get("errorType") or "GraphQLError") for error in errors]
        super().__init__("\n".join(f"{kind}: {error.get('message', '')}" for kind, error in zip(self.error_types, errors, strict=True)))


@dataclass(frozen=True)
class Endpoint:
    """Where the operators' API is and how requests to it are signed."""

    env: str
    url: str
    region: str
    credentials: Credentials | ReadOnlyCredentials

    @property
    def local(self) -> bool:
        return self.env == "local"


def local_endpoint() -> Endpoint:
    """The local stack as local/config.py defines it: its address and the credentials and region it checks."""
    # The local stack's settings: imported only when they are needed.
    from local.config import Settings

    try:
        settings = Settings()
    except ValueError as error:  # a malformed setting in the environment, e.g. PORT=abc
        raise OperatorError(f"the local stack's settings: {error}") from None
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    return Endpoint("local", f"http://{host}:{settings.port}/graphql", settings.table_region, Credentials(settings.access_key_id, settings.secret_access_key))


def deployed_endpoint(env: str, terraform: str, output: Callable[[str, str], str] = terraform_output) -> Endpoint:
    """A deployed environment: its URL and region from Terraform, the operator's credentials from boto3's chain."""
    import boto3  # slow to import; not needed to reach the local stack

    url, region = output(terraform, "graphql_url"), output(terraform, "region")
    try:
        credentials = boto3.Session().get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as error:  # an unknown profile, an expired SSO session, ...
        raise OperatorError(f"could not load your AWS credentials: {error}") from None
    if frozen is None:
        raise OperatorError("no AWS credentials found: set AWS_PROFILE (or the usual AWS_* variables) to your operator identity")
    return Endpoint(env, url, region, frozen)


def call(endpoint: Endpoint, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Send graphql/operations/<name>.graphql, signed; its `data`, or ApiError with the API's errors."""
    return post(endpoint, {"query": operation(name), "operationName": name, "variables": variables})


def post(endpoint: Endpoint, payload: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """A GraphQL request (`{query, variables, ...}`), signed with the endpoint's credentials, or sent with a client's
    `key` as the Authorization header instead (tools/smoke.py); its `data`, or ApiError with the API's errors."""
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": key} if key is not None else {})}
    request = AWSRequest(method="POST", url=endpoint.url, data=body, headers=headers)
    if key is None:
        SigV4Auth(endpoint.credentials, SERVICE, endpoint.region).add_auth(request)
    session = URLLib3Session(proxies=get_environ_proxies(endpoint.url), timeout=TIMEOUT_SECONDS)
    try:
        reply = session.send(request.prepare())
    except BotoCoreError as error:  # refused, timed out, a TLS or proxy failure
        hint = " (is the local stack running? make dev, with the same PORT)" if endpoint.local else ""
        raise OperatorError(f"could not reach {endpoint.url}{hint}: {error}") from None
    finally:
        session.close()
    try:
        answer = json.loads(reply.content)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not (answer.get("errors") or "data" in answer):
        # Not from GraphQL (a proxy, the web firewall, AWS's front door): AWS names the error in a header.
        kind = reply.headers.get("x-amzn-ErrorType", "").split(":")[0]
        raise OperatorError(f"{kind or 'HTTP ' + str(reply.status_code)}: {endpoint.url} answered HTTP {reply.status_code}, which is not a GraphQL answer")
    if answer.get("errors"):
        refused = ApiError(list(answer["errors"]))
        if endpoint.local and key is None and SIGNATURE_REFUSALS.intersection(refused.error_types):
            refused.add_note(
                "ENV=local signs with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION when they are set, else with the local "
                "stack's own: give this tool the values the stack was started with (its banner names them)"
            )
        raise refused
    if reply.status_code != 200 or not isinstance(answer.get("data"), dict):
        raise OperatorError(f"HTTP {reply.status_code} from {endpoint.url} without data or errors")
    return dict(answer["data"])


# --- What people read ------------------------------------------------------------------------


def moment(value: str | None, seconds: bool = False) -> str:
    """An AWSDateTime as `2027-06-30 12:00` (UTC), or `-` for none."""
    if not value:
        return NO_VALUE
    parsed = datetime.fromisoformat(value).astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def expired(key: dict[str, Any], now: datetime) -> bool:
    return datetime.fromisoformat(key["expiresAt"]) <= now


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart; the last one unpadded."""
    widths = [max(len(str(row[column])) for row in [headers, *rows]) for column in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in [headers, *rows]]
    return "\n".join(lines)


def limits_text(limits: dict[str, int]) -> str:
    return f"email {limits['emailPerDay']}/day, SMS {limits['smsPerDay']}/day"


def clients_table(clients: list[dict[str, Any]], now: datetime) -> str:
    """One line per key (a client without keys: one line), the client's columns on its first line."""
    rows: list[list[str]] = []
    for client in clients:
        about = [client["id"], client["name"], str(client["limits"]["emailPerDay"]), str(client["limits"]["smsPerDay"])]
        keys = client["keys"] or [None]
        for index, key in enumerate(keys):
            shown = about if index == 0 else [""] * len(about)
            if key is None:
                rows.append([*shown, "(no keys)", "", "", "", ""])
                continue
            expiry = moment(key["expiresAt"]) + (" (expired)" if expired(key, now) else "")
            rows.append([*shown, key["id"], key["mode"], expiry, moment(key["revokedAt"]), moment(key["lastUsedAt"]) if key["lastUsedAt"] else "never"])
    keys = [key for client in clients for key in client["keys"]]
    usable = sum(1 for key in keys if not key["revokedAt"] and not expired(key, now))
    headers = ["CLIENT", "NAME", "EMAIL/DAY", "SMS/DAY", "KEY", "MODE", "EXPIRES (UTC)", "REVOKED (UTC)", "LAST USED (UTC)"]
    return f"{table(headers, rows)}\n\n{len(clients)} client(s), {len(keys)} key(s), {usable} of them usable"


def audit_table(events: list[dict[str, Any]]) -> str:
    rows = [[moment(event["at"], seconds=True), event["action"], event["actor"], event["clientId"] or NO_VALUE, event["keyId"] or NO_VALUE, event["details"] or ""] for event in events]
    return table(["AT (UTC)", "ACTION", "ACTOR", "CLIENT", "KEY", "DETAILS"], rows)


def new_key_text(new_key: dict[str, Any], client_id: str, env: str) -> str:
    """The key and its secret, shown this once, with what to do with it."""
    key = new_key["key"]
    return (
        f"{key['mode']} key {key['id']} created for client {client_id}, valid until {moment(key['expiresAt'])} UTC.\n"
        "\n"
        f"    {new_key['secret']}\n"
        "\n"
        "WARNING: this is the key's secret and it is NOT SHOWN AGAIN: the API keeps only its hash. Hand it now to the\n"
        "client's backend through a secret store (it sends it as the Authorization header). If it is lost, create\n"
        f"another key (make key ENV={env} CLIENT={client_id}) and revoke this one (make revoke ENV={env} KEY={key['id']})."
    )


# --- Input checked before anything is sent -------------------------------------------------------


def optional_count(value: str) -> int | None:
    """A daily limit: a whole number, or empty for "not given"."""
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None


def optional_text(value: str) -> str | None:
    return value.strip() or None


def key_mode(value: str) -> str:
    mode = value.strip().upper() or "LIVE"
    if mode not in MODES:
        raise argparse.ArgumentTypeError(f"must be LIVE or TEST, not {value!r}")
    return mode


def expiry(value: str) -> str | None:
    """An AWSDateTime: a date means its start (00:00 UTC); a date and time must name its time zone."""
    if not value.strip():
        return None
    try:
        moment_given = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time(), UTC)
    except ValueError:
        try:
            moment_given = datetime.fromisoformat(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an ISO 8601 date (2027-06-30) or date and time (2027-06-30T12:00:00Z), not {value!r}") from None
        if moment_given.tzinfo is None:
            raise argparse.ArgumentTypeError(f"must name its time zone, e.g. {value.strip()}Z")
    return moment_given.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m tools.operators", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--env", required=True, help="local (the local stack), or a deployed environment whose workspace is selected")
    root.add_argument("--terraform", default="terraform", help="the terraform binary (default: terraform on PATH)")
    commands = root.add_subparsers(dest="command", required=True)

    create_client = commands.add_parser("create-client", help="create a client and a LIVE key; print the key once")
    create_client.add_argument("--name", required=True, type=optional_text, help="what people recognise the client by")
    create_client.add_argument("--email-per-day", type=optional_count, help="emails a day (default: the environment's)")
    create_client.add_argument("--sms-per-day", type=optional_count, help="SMS a day (default: the environment's)")

    create_key = commands.add_parser("create-key", help="create a key for a client; print it once")
    create_key.add_argument("--client", required=True, type=optional_text, help="the client's id")
    create_key.add_argument("--mode", type=key_mode, default="LIVE", help="LIVE (default) or TEST")
    create_key.add_argument("--expires", type=expiry, help="when the key stops working (default and latest: the environment's longest key lifetime)")

    revoke = commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("--key", required=True, type=optional_text, help="the key's id (not its secret)")

    clients = commands.add_parser("clients", help="list the clients with their limits and keys")
    clients.add_argument("--client", type=optional_text, help="only this client")

    limits = commands.add_parser("limits", help="change a client's daily limits")
    limits.add_argument("--client", required=True, type=optional_text, help="the client's id")
    limits.add_argument("--email-per-day", type=optional_count)
    limits.add_argument("--sms-per-day", type=optional_count)

    audit = commands.add_parser("audit", help="what operators did, newest first")
    audit.add_argument("--first", type=optional_count, help="how many events (1 to 100; default 100)")
    audit.add_argument("--after", type=optional_text, help="the cursor printed under the previous page")
    return root


def given_limits(options: argparse.Namespace) -> dict[str, int]:
    return {name: value for name, value in (("emailPerDay", options.email_per_day), ("smsPerDay", options.sms_per_day)) if value is not None}


# --- The commands ------------------------------------------------------------------------------------


Api = Callable[[str, dict[str, Any]], dict[str, Any]]


def run(options: argparse.Namespace, api: Api, out: Callable[[str], None], now: datetime) -> None:
    env = options.env
    match options.command:
        case "create-client":
            limits = given_limits(options)
            client = api("createClient", {"input": {"name": options.name, **({"limits": limits} if limits else {})}})["createClient"]
            out(f"Client {client['id']} created: {client['name']} ({limits_text(client['limits'])}).")
            try:
                new_key = api("createClientKey", {"clientId": client["id"], "mode": "LIVE"})["createClientKey"]
            except OperatorError as error:
                error.add_note(f"the client exists without a key: make key ENV={env} CLIENT={client['id']}")
                raise
            out(new_key_text(new_key, client["id"], env))
        case "create-key":
            variables = {"clientId": options.client, "mode": options.mode, **({"expiresAt": options.expires} if options.expires else {})}
            out(new_key_text(api("createClientKey", variables)["createClientKey"], options.client, env))
        case "revoke":
            key = api("revokeClientKey", {"keyId": options.key})["revokeClientKey"]
            out(
                f"{key['mode']} key {key['id']} revoked at {moment(key['revokedAt'], seconds=True)} UTC. It stops working once the API's\n"
                "authorizer cache lets go of it: within authorizer_cache_seconds (AUTHORIZER_CACHE_SECONDS on the local stack)."
            )
        case "clients":
            if options.client is not None:
                client = api("client", {"id": options.client})["client"]
                if client is None:
                    raise OperatorError(f"no client has the id {options.client}")
                out(clients_table([client], now))
                return
            clients: list[dict[str, Any]] = []
            after = None
            while True:
                page = api("clients", {"first": 100, **({"after": after} if after else {})})["clients"]
                clients.extend(page["data"])
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            out(clients_table(clients, now))
        case "limits":
            limits = given_limits(options)
            client = api("updateClientLimits", {"clientId": options.client, "limits": limits})["updateClientLimits"]
            out(f"Client {client['id']} ({client['name']}) may now send {limits_text(client['limits'])}.")
        case "audit":
            variables = {name: value for name, value in (("first", options.first), ("after", options.after)) if value is not None}
            page = api("auditEvents", variables)["auditEvents"]
            out(audit_table(page["data"]) if page["data"] else "No audit events.")
            if page["pageInfo"]["hasNextPage"]:
                out(f"\nOlder events: make audit ENV={env} AFTER={page['pageInfo']['endCursor']}")


def refusal(options: argparse.Namespace) -> str | None:
    """Why the command cannot be sent as given (an empty required value), or None."""
    required = {"create-client": ("name", "NAME"), "create-key": ("client", "CLIENT"), "revoke": ("key", "KEY"), "limits": ("client", "CLIENT")}
    if options.command in required:
        attribute, variable = required[options.command]
        if getattr(options, attribute) is None:
            return f"give {variable}=... (--{attribute})"
    if options.command == "limits" and not given_limits(options):
        return "give EMAIL_PER_DAY=..., SMS_PER_DAY=... or both (--email-per-day, --sms-per-day)"
    return None


def main(argv: Sequence[str], output: Callable[[str, str], str] = terraform_output) -> int:
    options = parser().parse_args(argv)
    if (reason := refusal(options)) is not None:
        print(f"operators: {reason}", file=sys.stderr)
        return 2
    try:
        endpoint = local_endpoint() if options.env == "local" else deployed_endpoint(options.env, options.terraform, output)
        run(options, lambda name, variables: call(endpoint, name, variables), lambda text: print(text, flush=True), datetime.now(UTC))
    except OperatorError as error:
        for line in [*str(error).splitlines(), *getattr(error, "__notes__", [])]:
            print(f"operators: {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
