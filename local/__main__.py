"""`make dev`: run the local stack until Ctrl-C.

    python -m local [--port 4000] [--api-key KEY]
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

from local.config import LOCAL_SECRET_ACCESS_KEY, Settings

# As the EventBridge rule does in AWS (terraform: stale_pending.schedule_expression).
SWEEP_EVERY_SECONDS = 300
# DynamoDB's TTL deletes expired items within a day or two; locally a minute shows the same effect sooner.
EXPIRE_EVERY_SECONDS = 60


def on_schedule(every_seconds: float, job: Callable[[], object], stopping: threading.Event) -> None:
    while not stopping.wait(every_seconds):
        job()


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    parser = argparse.ArgumentParser(prog="python -m local", description="serverless-messenger local stack")
    parser.add_argument("--port", type=int, help="port to listen on (default: $PORT or 4000; 0 picks a free one)")
    parser.add_argument("--api-key", help="API key clients must send as x-api-key (default: $API_KEY)")
    options = parser.parse_args(argv)
    settings = Settings()
    if options.port is not None:
        settings = dataclasses.replace(settings, port=options.port)
    if options.api_key:
        settings = dataclasses.replace(settings, api_key=options.api_key)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    # Imported here so that --help answers without starting anything.
    from local.server import LocalServer
    from local.stack import start_stack

    try:
        server = LocalServer(settings)
    except OSError as error:
        print(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}", file=sys.stderr)
        return 1
    host, port = str(server.server_address[0]), int(server.server_address[1])
    # The port it got (--port 0 picks one): the stack's own functions call its GraphQL endpoint.
    settings = dataclasses.replace(settings, port=port)
    stack = start_stack(settings)
    server.attach(stack)
    aws_endpoint = stack.aws.endpoint_url if stack.aws else "(none)"
    print(f"serverless-messenger local stack ready in {time.monotonic() - started:.1f}s", flush=True)
    print(f"  Console:  http://{host}:{port}/   (outbox, messages, send, GraphQL explorer, channels, webhooks)", flush=True)
    print(f"  GraphQL:  http://{host}:{port}/graphql", flush=True)
    secret = settings.secret_access_key if settings.secret_access_key == LOCAL_SECRET_ACCESS_KEY else "(yours, from AWS_SECRET_ACCESS_KEY)"
    print(f"  LIVE key: {stack.local_keys['LIVE']}   (the local client's; send it as the Authorization header)", flush=True)
    print(f"  TEST key: {stack.local_keys['TEST']}   (sends nothing: outcomes are simulated)", flush=True)
    print(f"  API key:  {settings.api_key}   (x-api-key: the default client, as before clients existed)", flush=True)
    print(f"  IAM:      SigV4, service appsync, region {settings.table_region}: access key {settings.access_key_id}, secret {secret}", flush=True)
    print("  Tools (x-api-key, JSON): GET /local/outbox   POST /local/events {\"to\", \"messageId\", \"event\"}   POST /local/sweep   POST /local/expire", flush=True)
    print(f"  SES mailbox simulator: mail to success@, bounce@, ooto@, complaint@, suppressionlist@simulator.amazonses.com gets its events after {settings.ses_simulator_delay_seconds:g}s", flush=True)
    print(
        f"  AWS:      {aws_endpoint}   (moto, signed with the IAM credentials above; e.g. aws --endpoint-url ... dynamodb scan --table-name {settings.table_names['messages']})",
        flush=True,
    )
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        # The Host check cannot tell a neighbour who sends `Host: localhost` from this machine's browser.
        print(f"  WARNING: HOST={settings.host} lets other machines reach this stack, its console and the key it hands out.", file=sys.stderr, flush=True)
    print("Press Ctrl-C to stop.", flush=True)

    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            # shutdown() waits for serve_forever to return, so it runs off the serving thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=on_schedule, args=(SWEEP_EVERY_SECONDS, lambda: stack.reporter.sweep({}), stopping), daemon=True, name="stale-pending").start()
    threading.Thread(target=on_schedule, args=(EXPIRE_EVERY_SECONDS, stack.expire, stopping), daemon=True, name="ttl").start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        stack.close()
        print("local stack stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
