"""Settings of the local stack. Every value can be overridden by an environment variable of the same name."""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local import sms_countries
from local.appsync.auth import (
    FUNCTIONS_ACCESS_KEY_ID,
    FUNCTIONS_ROLE_SESSIONS,
    Authorizer,
)
from local.manifest import Manifest, StorageContract

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "local-dev-api-key"
LOCAL_ACCESS_KEY_ID = "LOCALDEVACCESSKEY"
LOCAL_SECRET_ACCESS_KEY = "local-dev-secret-access-key"
LOCAL_LIVE_KEY = "sm_live_00000000000000000000000001_local-development-live-key-0000000000000000"
LOCAL_TEST_KEY = "sm_test_00000000000000000000000002_local-development-test-key-0000000000000000"
_LOOPBACK_ORIGIN = re.compile(r"http://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?", re.IGNORECASE)
_LOOPBACK_HOST = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?", re.IGNORECASE)


def host_is_loopback(host: str | None) -> bool:
    """A loopback Host (localhost, 127.0.0.1, [::1], any port): the only names the local stack answers to (no DNS
    rebinding), for HTTP requests and for the host a real-time connection names in its header object."""
    return host is not None and _LOOPBACK_HOST.fullmatch(host.strip()) is not None


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _flag(name: str, default: bool) -> bool:
    value = _env(name, "on" if default else "off").strip().lower()
    if value not in _FLAG_VALUES:
        raise ValueError(f"{name} must be one of {', '.join(sorted(_FLAG_VALUES))}")
    return _FLAG_VALUES[value]


_FLAG_VALUES = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}


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
    # Sending limits, as terraform/variables.tf's send_limits (the same defaults).
    sms_per_recipient_per_hour: int = field(default_factory=lambda: int(_env("SMS_PER_RECIPIENT_PER_HOUR", "10")))
    email_per_recipient_per_hour: int = field(default_factory=lambda: int(_env("EMAIL_PER_RECIPIENT_PER_HOUR", "50")))
    sms_per_minute: int = field(default_factory=lambda: int(_env("SMS_PER_MINUTE", "100")))
    email_per_minute: int = field(default_factory=lambda: int(_env("EMAIL_PER_MINUTE", "0")))
    # Countries SMS may go to: ISO 3166 alpha-2 codes, comma-separated (e.g. "US,CA,GB"); unset: every valid number.
    sms_allowed_countries: str = field(default_factory=lambda: _env("SMS_ALLOWED_COUNTRIES", ""))
    # Deprecated, for one release: E.164 prefixes (e.g. "+1,+44"), now of valid numbers of their calling codes' countries.
    sms_allowed_prefixes: str = field(default_factory=lambda: _env("SMS_ALLOWED_PREFIXES", ""))
    # Origins besides loopback ones that may call /graphql from a browser (comma-separated, e.g. a dev server).
    cors_origins: str = field(default_factory=lambda: _env("CORS_ORIGINS", ""))
    # What SigV4-signed requests (AWS_IAM) are checked against; the local defaults unless the environment says.
    access_key_id: str = field(default_factory=lambda: _env("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID))
    secret_access_key: str = field(default_factory=lambda: _env("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY))
    # Resolvers one request may run (AppSync's resolverCountLimit): one, so one sendMessage per request.
    resolver_count_limit: int = field(default_factory=lambda: int(_env("RESOLVER_COUNT_LIMIT", "1")))
    # As terraform/variables.tf's query_depth_limit (the same default): the deepest document AppSync accepts.
    query_depth_limit: int = field(default_factory=lambda: int(_env("QUERY_DEPTH_LIMIT", "10")))
    # As terraform/variables.tf's introspection_enabled; on here, as in dev, so the console's explorer and
    # clients that fetch the schema work (stage and prod have it off).
    introspection: bool = field(default_factory=lambda: _flag("INTROSPECTION", True))
    # Seconds a client has to send a request's headers, and again its whole body, before the connection is closed.
    read_timeout_seconds: float = field(default_factory=lambda: float(_env("READ_TIMEOUT_SECONDS", "10")))
    # As terraform/variables.tf's message_retention_days and test_message_retention_days (TEST keys' messages).
    message_retention_days: int = field(default_factory=lambda: int(_env("MESSAGE_RETENTION_DAYS", "90")))
    test_message_retention_days: int = field(default_factory=lambda: int(_env("TEST_MESSAGE_RETENTION_DAYS", "7")))
    # As terraform/variables.tf's authorizer_cache_seconds: how long a key's authorization is cached (0: never).
    authorizer_cache_seconds: int = field(default_factory=lambda: int(_env("AUTHORIZER_CACHE_SECONDS", "60")))
    # As terraform/variables.tf's client_defaults: a new client's daily limits, and the longest key lifetime.
    client_email_per_day: int = field(default_factory=lambda: int(_env("CLIENT_EMAIL_PER_DAY", "10000")))
    client_sms_per_day: int = field(default_factory=lambda: int(_env("CLIENT_SMS_PER_DAY", "1000")))
    client_key_max_days: int = field(default_factory=lambda: int(_env("CLIENT_KEY_MAX_DAYS", "365")))
    # The local client's keys, the same on every start so that scripts and the README can name them (a local
    # development stack only; a deployed environment's keys are made by `make client` and shown once).
    local_live_key: str = field(default_factory=lambda: _env("LOCAL_LIVE_KEY", LOCAL_LIVE_KEY))
    local_test_key: str = field(default_factory=lambda: _env("LOCAL_TEST_KEY", LOCAL_TEST_KEY))
    # As terraform/variables.tf's iam_clients: IAM principals (ARNs) that act as a client, as JSON {"arn": "client id"}.
    iam_clients: str = field(default_factory=lambda: _env("IAM_CLIENTS", "{}"))
    # How often the real-time endpoint sends a `ka` keep-alive to each connection (AppSync: about once a minute).
    realtime_keepalive_seconds: float = field(default_factory=lambda: float(_env("REALTIME_KEEPALIVE_SECONDS", "60")))
    # Seconds from SES accepting an email to a mailbox-simulator address to its events (local/providers/ses_simulator.py).
    ses_simulator_delay_seconds: float = field(default_factory=lambda: float(_env("SES_SIMULATOR_DELAY_SECONDS", "1")))
    # Webhooks: the wait before each attempt of an event, comma-separated seconds (e.g. 0,1,2 tries three times
    # within seconds); unset, graphql/manifest.json's (0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h).
    webhook_retry_schedule_seconds: str = field(default_factory=lambda: _env("WEBHOOK_RETRY_SCHEDULE_SECONDS", ""))
    # As terraform/variables.tf's webhooks.allowed_ports: ports besides 443 an endpoint may use (comma-separated).
    webhook_allowed_ports: str = field(default_factory=lambda: _env("WEBHOOK_ALLOWED_PORTS", ""))
    # As terraform/variables.tf's webhooks.attempt_retention_days: how long webhookAttempts shows an attempt.
    webhook_attempt_retention_days: int = field(default_factory=lambda: int(_env("WEBHOOK_ATTEMPT_RETENTION_DAYS", "30")))

    def __post_init__(self) -> None:
        if not 0 <= self.ses_simulator_delay_seconds <= 3600:
            raise ValueError("SES_SIMULATOR_DELAY_SECONDS must be a number of seconds from 0 to 3600")
        if not 0.05 <= self.realtime_keepalive_seconds <= 3600:
            raise ValueError("REALTIME_KEEPALIVE_SECONDS must be a number of seconds from 0.05 to 3600")
        if not 0 <= self.authorizer_cache_seconds <= 3600:
            raise ValueError("AUTHORIZER_CACHE_SECONDS must be a number of seconds from 0 to 3600 (AppSync's range)")
        for name, key, prefix in (("LOCAL_LIVE_KEY", self.local_live_key, "sm_live_"), ("LOCAL_TEST_KEY", self.local_test_key, "sm_test_")):
            if not re.fullmatch(rf"{prefix}[0-9A-HJKMNP-TV-Z]{{26}}_[A-Za-z0-9_-]{{43}}", key):
                raise ValueError(f"{name} must be a key of the form {prefix}<26-character ULID>_<43 characters of base64url>")
        schedule = _split(self.webhook_retry_schedule_seconds)
        if not all(wait.isdigit() and int(wait) <= 43200 for wait in schedule):
            raise ValueError("WEBHOOK_RETRY_SCHEDULE_SECONDS must list whole numbers of seconds (0 to 43200), comma-separated, e.g. 0,1,2")
        if not all(port.isdigit() and 1 <= int(port) <= 65535 for port in _split(self.webhook_allowed_ports)):
            raise ValueError("WEBHOOK_ALLOWED_PORTS must list TCP ports (1 to 65535), comma-separated, e.g. 8443")
        if self.access_key_id == FUNCTIONS_ACCESS_KEY_ID:
            raise ValueError(f"AWS_ACCESS_KEY_ID must not be {FUNCTIONS_ACCESS_KEY_ID}, the access key id the stack's functions sign with")
        mapping = json.loads(self.iam_clients)
        if not isinstance(mapping, dict) or not all(isinstance(value, str) for value in mapping.values()):
            raise ValueError('IAM_CLIENTS must be a JSON object of IAM ARNs to client ids, e.g. {"arn:aws:iam::000000000000:user/local": "local"}')
        unknown = sorted(set(_split(self.sms_allowed_countries)) - set(sms_countries.countries()))
        if unknown:
            raise ValueError(f"SMS_ALLOWED_COUNTRIES: {', '.join(unknown)} is not an ISO 3166 alpha-2 code libphonenumber knows (e.g. US, GB)")
        if _split(self.sms_allowed_countries) and _split(self.sms_allowed_prefixes):
            raise ValueError("SMS_ALLOWED_PREFIXES is deprecated and replaced by SMS_ALLOWED_COUNTRIES: set only SMS_ALLOWED_COUNTRIES")
        if any(not re.fullmatch(r"\+[1-9][0-9]{0,5}", prefix) for prefix in _split(self.sms_allowed_prefixes)):
            raise ValueError("SMS_ALLOWED_PREFIXES lists E.164 prefixes: + and 1-6 digits, the first not 0 (e.g. +1,+44)")
        limits = {
            "SMS_PER_RECIPIENT_PER_HOUR": self.sms_per_recipient_per_hour,
            "EMAIL_PER_RECIPIENT_PER_HOUR": self.email_per_recipient_per_hour,
            "SMS_PER_MINUTE": self.sms_per_minute,
        }
        for name, limit in limits.items():
            if limit < 1:
                raise ValueError(f"{name} must be a whole number, at least 1")
        if self.email_per_minute < 0:
            raise ValueError("EMAIL_PER_MINUTE must be a whole number, at least 0 (0: no stack-wide email ceiling)")
        if not 1 <= self.query_depth_limit <= 75:
            raise ValueError("QUERY_DEPTH_LIMIT must be a whole number from 1 to 75 (AppSync's range)")
        if not 0 < self.read_timeout_seconds <= 300:
            raise ValueError("READ_TIMEOUT_SECONDS must be a number of seconds above 0, at most 300")

    @property
    def deprecations(self) -> list[str]:
        """Settings still honoured for one release; the stack logs each at start-up."""
        if not _split(self.sms_allowed_prefixes):
            return []
        return [
            (
                "SMS_ALLOWED_PREFIXES is deprecated and will be removed in the next release: set SMS_ALLOWED_COUNTRIES "
                "(ISO 3166 alpha-2 codes, e.g. US,CA,GB). Its prefixes still apply, to valid numbers of their countries."
            )
        ]

    @property
    def sms_countries(self) -> list[str]:
        """The regions SMS may go to: as set, those of the deprecated prefixes, or (unset) every region."""
        if _split(self.sms_allowed_countries):
            return sorted(set(_split(self.sms_allowed_countries)))
        if _split(self.sms_allowed_prefixes):
            return sms_countries.countries_of_prefixes(_split(self.sms_allowed_prefixes))
        return sms_countries.every_region()

    @property
    def authorizer(self) -> Authorizer:
        return Authorizer(self.api_key, self.access_key_id, self.secret_access_key, self.table_region)

    def origin_allowed(self, origin: str) -> bool:
        """A loopback origin (a developer's app on localhost:3000), or one listed in CORS_ORIGINS."""
        return _LOOPBACK_ORIGIN.fullmatch(origin) is not None or origin in _split(self.cors_origins)

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
            "limits": {
                "smsPerRecipientPerHour": self.sms_per_recipient_per_hour,
                "emailPerRecipientPerHour": self.email_per_recipient_per_hour,
                "smsPerMinute": self.sms_per_minute,
                "emailPerMinute": self.email_per_minute,
            },
            "messageRetentionDays": self.message_retention_days,
            "testMessageRetentionDays": self.test_message_retention_days,
            "clients": {
                "defaultLimits": {"emailPerDay": self.client_email_per_day, "smsPerDay": self.client_sms_per_day},
                "keyMaxDays": self.client_key_max_days,
            },
            "iamClients": iam_principal_prefixes(json.loads(self.iam_clients)),
            # The one principal publishMessageEvent accepts (authorizePublisher.js): the functions' role, which the
            # event publisher signs with, as Terraform names the publisher's role.
            "eventPublisher": FUNCTIONS_ROLE_SESSIONS,
        }

    @property
    def sms_config(self) -> dict[str, Any]:
        """The CONFIG/SMS item: the countries SMS may go to, with the numbering of their calling codes (only an SMS's
        sendMessage reads it); Terraform writes the same."""
        return {
            "smsAllowedCountries": self.sms_countries,
            "smsNumbering": sms_countries.sms_numbering(self.sms_countries),
            **({"smsAllowedPrefixes": _split(self.sms_allowed_prefixes)} if _split(self.sms_allowed_prefixes) else {}),
        }

    @property
    def configuration_set(self) -> str:
        return f"{self.stage}-messenger-messages"

    @property
    def email_senders(self) -> list[str]:
        return [self.default_email_from, *_split(self.allowed_email_senders)]

    @property
    def sms_sender_ids(self) -> list[str]:
        return _split(self.allowed_sms_sender_ids)

    @property
    def email_events_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.ses_region}:123456789012:{self.stage}-messenger-email-events"

    @property
    def metrics_namespace(self) -> str:
        """The handlers' CloudWatch metrics namespace, as Terraform names it (terraform/main.tf: metrics_namespace)."""
        return f"serverless-messenger/{self.stage}"

    def alarm_region(self, name: str) -> str:
        """Where one of the stack's alarms lives, as Terraform places it (terraform/operations.tf): the SES
        reputation alarms in the SES region, the SMS ones (spend, the smsEvents queue) in the SNS region, the
        rest beside the table."""
        after_prefix = name.removeprefix(f"{self.stage}-messenger-")
        if after_prefix.startswith("ses-"):
            return self.ses_region
        return self.sns_region if after_prefix.startswith("sms-") else self.table_region

    def alarm_arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.alarm_region(name)}:123456789012:alarm:{name}"

    @property
    def guardrail_alarms(self) -> dict[str, str]:
        """The alarms whose ALARM pauses a channel (alarm ARN -> channel), named and placed as Terraform does."""
        prefix = f"{self.stage}-messenger"
        channels = {"ses-bounce-rate-critical": "EMAIL", "ses-complaint-rate-critical": "EMAIL", "sms-spend-critical": "SMS"}
        return {self.alarm_arn(f"{prefix}-{name}"): channel for name, channel in channels.items()}

    def alarm_topic_arn(self, region: str) -> str:
        """The alarm topic of a region: every alarm notifies the one of its own region."""
        return f"arn:aws:sns:{region}:123456789012:{self.stage}-messenger-alarms"

    def status_env(self, storage: StorageContract) -> dict[str, str]:
        """What the status Lambdas get as their environment in AWS (terraform/main.tf: status_environment)."""
        return {
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
            "MESSAGES_TABLE": self.table_names["messages"],
            "MESSAGES_TABLE_REGION": self.table_region,
            "STALE_AFTER_SECONDS": str(self.stale_after_seconds),
            **storage.index_environment(),
        }

    def default_client_item(self, manifest: Manifest) -> dict[str, Any]:
        """The `default` client's record: the client the API key sends as, with the environment's default limits."""
        client_id = manifest.clients["defaultClientId"]
        return {
            "PK": manifest.storage.clients_item["PK"],
            "SK": f"{manifest.storage.key_prefixes['client']}{client_id}",
            "clientId": client_id,
            "name": "default (the AppSync API key)",
            "limits": {"emailPerDay": self.client_email_per_day, "smsPerDay": self.client_sms_per_day},
            "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    @property
    def test_outcomes_queue_url(self) -> str:
        return f"https://sqs.{self.table_region}.amazonaws.com/123456789012/{self.stage}-messenger-test-outcomes"

    def delivery_env(self, test_mode: dict[str, Any]) -> dict[str, str]:
        """What the delivery Lambda gets as its environment in AWS."""
        return {
            "TEST_OUTCOMES": json.dumps(test_mode),
            "TEST_OUTCOMES_QUEUE_URL": self.test_outcomes_queue_url,
            "SES_REGION": self.ses_region,
            "SNS_REGION": self.sns_region,
            "SES_CONFIGURATION_SET": self.configuration_set,
            "MESSAGES_TABLE": self.table_names["messages"],
            "MESSAGES_TABLE_REGION": self.table_region,
            "POWERTOOLS_SERVICE_NAME": "delivery",
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
        }

    @property
    def graphql_url(self) -> str:
        """The stack's own GraphQL endpoint, which the event publisher calls as it calls AppSync's."""
        return f"http://{self.host}:{self.port}/graphql"

    @property
    def webhook_queue_url(self) -> str:
        """The queue of webhook deliveries: the event publisher queues them, the webhook sender sends them."""
        return f"https://sqs.{self.table_region}.amazonaws.com/123456789012/{self.stage}-messenger-webhook-deliveries"

    def clients_env(self) -> dict[str, str]:
        """What the authorizer, operators', erasure and event publisher Lambdas (handlers/clients) get as their
        environment in AWS."""
        return {
            "MESSAGES_TABLE": self.table_names["messages"],
            "MESSAGES_TABLE_REGION": self.table_region,
            "AUTHORIZER_CACHE_SECONDS": str(self.authorizer_cache_seconds),
            "GRAPHQL_API_URL": self.graphql_url,
            "GRAPHQL_API_REGION": self.table_region,
            "WEBHOOK_QUEUE_URL": self.webhook_queue_url,
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
        }

    @property
    def webhook_dead_letter_queue_url(self) -> str:
        return f"{self.webhook_queue_url}-dlq"

    @property
    def kms_key_alias(self) -> str:
        """The stack's key, by the alias Terraform gives it (modules/kms_key)."""
        return f"alias/{self.stage}-messenger"

    def webhook_retry_schedule(self, manifest: Manifest) -> list[int]:
        schedule = _split(self.webhook_retry_schedule_seconds)
        return [int(wait) for wait in schedule] if schedule else list(manifest.webhooks["retryScheduleSeconds"])

    def webhooks_env(self, manifest: Manifest) -> dict[str, str]:
        """What the webhook Lambdas (handlers/clients: webhook_endpoints, webhooks) get besides clients_env, as
        terraform/webhooks.tf sets it; and, here alone, plain HTTP to loopback receivers."""
        return {
            "WEBHOOK_KMS_KEY_ID": self.kms_key_alias,
            "WEBHOOK_DEAD_LETTER_QUEUE_URL": self.webhook_dead_letter_queue_url,
            "WEBHOOK_RETRY_SCHEDULE_SECONDS": ",".join(str(wait) for wait in self.webhook_retry_schedule(manifest)),
            "WEBHOOK_ATTEMPT_RETENTION_DAYS": str(self.webhook_attempt_retention_days),
            "WEBHOOK_ALLOWED_PORTS": ",".join(_split(self.webhook_allowed_ports)),
            "WEBHOOK_LOOPBACK_ALLOWED": "true",
        }

    def handler_env(self, source: str, manifest: Manifest) -> dict[str, str]:
        """The environment of the Lambda built from a handler folder (handlers/<name>), as Terraform sets it."""
        storage = manifest.storage
        environments = {
            "handlers/clients": lambda: self.clients_env() | self.webhooks_env(manifest),
            "handlers/delivery": lambda: self.delivery_env(manifest.test_mode),
            "handlers/guardrail": self.guardrail_env,
            "handlers/status": lambda: self.status_env(storage),
        }
        return environments[source]()

    def guardrail_env(self) -> dict[str, str]:
        """What the guardrail Lambda gets as its environment in AWS."""
        return {
            "MESSAGES_TABLE": self.table_names["messages"],
            "MESSAGES_TABLE_REGION": self.table_region,
            "SES_REGION": self.ses_region,
            "SES_CONFIGURATION_SET": self.configuration_set,
            "GUARDRAIL_ALARMS": json.dumps(self.guardrail_alarms),
        }


def _split(values: str) -> list[str]:
    return [value.strip() for value in values.split(",") if value.strip()]


def iam_principal_prefixes(mapping: dict[str, str]) -> dict[str, str]:
    """IAM ARNs to the form identifyCaller.js matches, as terraform/main.tf writes them: a role as the prefix of
    its sessions' ARNs (arn:aws:sts::<account>:assumed-role/<name>/; a role's path is not in them), a user as is."""
    converted = {}
    for arn, client_id in mapping.items():
        partition, _, rest = arn.removeprefix("arn:").partition(":iam::")
        account, _, resource = rest.partition(":")
        if resource.startswith("role/"):
            converted[f"arn:{partition}:sts::{account}:assumed-role/{resource.rsplit('/', 1)[-1]}/"] = client_id
        else:
            converted[arn] = client_id
    return converted
