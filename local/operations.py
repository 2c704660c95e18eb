"""The GraphQL documents clients of the API send (graphql/operations): read once, used by the tests,
the benchmarks and the local console alike."""

from __future__ import annotations

from local.manifest import GRAPHQL_DIR

OPERATIONS_DIR = GRAPHQL_DIR / "operations"


def operation(name: str) -> str:
    return (OPERATIONS_DIR / f"{name}.graphql").read_text()


SEND_MESSAGE = operation("sendMessage")
GET_MESSAGES = operation("getMessages")
CREATE_WEBHOOK = operation("createWebhook")
WEBHOOKS = operation("webhooks")
DELETE_WEBHOOK = operation("deleteWebhook")
ROTATE_WEBHOOK_SECRET = operation("rotateWebhookSecret")
WEBHOOK_ATTEMPTS = operation("webhookAttempts")
REPLAY_WEBHOOK_EVENT = operation("replayWebhookEvent")
