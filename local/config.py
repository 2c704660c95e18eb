"""Settings of the local stack. Every value can be overridden by an environment variable of the same name."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from local.manifest import StorageContract

DEFAULT_API_KEY = "local-dev-api-key"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("PORT", "4000")))
    api_key: str = field(default_factory=lambda: _env("API_KEY", DEFAULT_API_KEY))
    stage: str = field(default_factory=lambda: _env("STAGE", "local"))
    ses_region: str = field(default_factory=lambda: _env("SES_REGION", "eu-central-1"))
    sns_region: str = field(default_factory=lambda: _env("SNS_REGION", "eu-central-1"))
    table_region: str = field(default_factory=lambda: _env("AWS_REGION", "eu-central-1"))
    default_email_from: str = field(default_factory=lambda: _env("DEFAULT_EMAIL_FROM", "no-reply@example.com"))
    # Comma-separated lists.
    allowed_email_senders: str = field(default_factory=lambda: _env("ALLOWED_EMAIL_SENDERS", "support@example.com"))
    allowed_sms_sender_ids: str = field(default_factory=lambda: _env("ALLOWED_SMS_SENDER_IDS", "Messenger"))
    # As terraform/variables.tf's stale_pending.stale_after_seconds.
    stale_after_seconds: int = field(default_factory=lambda: int(_env("STALE_AFTER_SECONDS", "300")))

    @property
    def table_names(self) -> dict[str, str]:
        return {"messages": f"{self.stage}-messages"}

    @property
    def delivery_config(self) -> dict[str, Any]:
        """The settings of the CONFIG/DELIVERY item the resolvers read; Terraform writes the same from its variables."""
        return {
            "defaultEmailFrom": self.default_email_from,
            "allowedEmailSenders": _split(self.allowed_email_senders),
            "allowedSmsSenderIds": _split(self.allowed_sms_sender_ids),
            # Transactions name their tables; resolvers have no other way to learn the name.
            "messagesTable": self.table_names["messages"],
        }

    @property
    def configuration_set(self) -> str:
        return f"{self.stage}-messenger-messages"

    @property
    def email_senders(self) -> list[str]:
        return [self.default_email_from, *_split(self.allowed_email_senders)]

    @property
    def email_events_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.ses_region}:123456789012:{self.stage}-messenger-email-events"

    def status_env(self, storage: StorageContract) -> dict[str, str]:
        """What the status Lambdas get as their environment in AWS (terraform/main.tf: status_environment)."""
        return {
            "MESSAGES_TABLE": self.table_names["messages"],
            "MESSAGES_TABLE_REGION": self.table_region,
            "STALE_AFTER_SECONDS": str(self.stale_after_seconds),
            **storage.index_environment(),
        }

    def delivery_env(self) -> dict[str, str]:
        """What the delivery Lambda gets as its environment in AWS."""
        return {
            "SES_REGION": self.ses_region,
            "SNS_REGION": self.sns_region,
            "SES_CONFIGURATION_SET": self.configuration_set,
            "MESSAGES_TABLE": self.table_names["messages"],
            "MESSAGES_TABLE_REGION": self.table_region,
            "POWERTOOLS_SERVICE_NAME": "delivery",
        }


def _split(values: str) -> list[str]:
    return [value.strip() for value in values.split(",") if value.strip()]
