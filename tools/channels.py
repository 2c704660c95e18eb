"""`make channels|pause|resume ENV=...`: ask an environment's channel guardrail to pause or resume a channel, or
what it holds, and print the channels' state.

    python -m tools.channels status
    python -m tools.channels pause EMAIL --reason "bounce storm from the March import"
    python -m tools.channels resume EMAIL

The function and its region come from `terraform output` of the selected workspace (the Makefile selects it
from ENV, as `make outputs` does). The guardrail is invoked synchronously with the operator's request
(handlers/guardrail: {"action", "channel", "reason"}) and answers with both channels' state; an error of the
function (a request it refuses, a failed call) is printed and the exit status is 1 (2 for a request this tool
refuses before asking). Needs AWS credentials allowed lambda:InvokeFunction on the guardrail.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tools.terraform_outputs import OperatorError, terraform_output

CHANNELS = ("EMAIL", "SMS")
# What handlers/guardrail accepts as a reason (MAX_REASON_LENGTH): kept with the channel's state, shown by `status`.
MAX_REASON_LENGTH = 200


class ChannelsError(OperatorError):
    """Something the operator must fix; printed without a traceback."""


def request(action: str, channel: str | None, reason: str | None) -> dict[str, str]:
    """The guardrail's operator request; ChannelsError for one it would refuse anyway."""
    if action != "status" and channel not in CHANNELS:
        raise ChannelsError(f"CHANNEL must be one of {', '.join(CHANNELS)}, not {channel!r}")
    payload = {"action": action}
    if action != "status":
        payload["channel"] = str(channel)
    if reason is not None and reason.strip():
        if len(reason.strip()) > MAX_REASON_LENGTH:
            raise ChannelsError(f"REASON is at most {MAX_REASON_LENGTH} characters")
        payload["reason"] = reason.strip()
    elif action == "pause":
        raise ChannelsError('pausing needs a REASON="..." (kept with the channel\'s state: make channels shows it)')
    return payload


def invoke(client: Any, function_name: str, payload: dict[str, str]) -> dict[str, Any]:
    """Run the guardrail synchronously; its answer, or ChannelsError with the function's own error message."""
    response = client.invoke(FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(payload).encode())
    body = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        message = body.get("errorMessage", body) if isinstance(body, dict) else body
        kind = body.get("errorType", response["FunctionError"]) if isinstance(body, dict) else response["FunctionError"]
        raise ChannelsError(f"the guardrail refused or failed ({kind}): {message}")
    if not isinstance(body, dict):
        raise ChannelsError(f"unexpected answer from the guardrail: {body!r}")
    return body


def describe(states: dict[str, Any]) -> str:
    """One line per channel: sending, or paused since when and why."""
    lines = []
    for channel in CHANNELS:
        state = states.get(channel, {})
        if state.get("paused"):
            lines.append(f"{channel:<6} PAUSED since {state.get('since', '?')}: {state.get('reason', '')}")
        else:
            lines.append(f"{channel:<6} sending")
    return "\n".join(lines)


def main(argv: Sequence[str], client_factory: Callable[[str], Any] | None = None, output: Callable[[str, str], str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.channels", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terraform", default="terraform", help="the terraform binary (default: terraform on PATH)")
    parser.add_argument("action", choices=["status", "pause", "resume"])
    parser.add_argument("channel", nargs="?", help="EMAIL or SMS (pause, resume)")
    parser.add_argument("--reason", help="why: required to pause, optional to resume")
    options = parser.parse_args(argv)
    read_output = output or terraform_output
    try:
        payload = request(options.action, options.channel.upper() if options.channel else None, options.reason)
    except ChannelsError as error:
        print(f"channels: {error}", file=sys.stderr)
        return 2
    try:
        function_name = read_output(options.terraform, "guardrail_function_name")
        region = read_output(options.terraform, "region")
        client = (client_factory or _lambda_client)(region)
        states = invoke(client, function_name, payload)
    except OperatorError as error:
        print(f"channels: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:  # no credentials, no permission, throttled, ...
        print(f"channels: could not invoke the guardrail: {error}", file=sys.stderr)
        return 1
    print(describe(states))
    return 0


def _lambda_client(region: str) -> Any:
    return boto3.client("lambda", region_name=region)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
