"""The local stack assembled: moto for AWS, QuickJS for the resolvers, the real handlers, the providers' simulators.

What `make dev` runs behind its HTTP endpoint (local/server.py), and what the in-process tests and benchmarks build.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
from botocore.config import Config

from local.appsync.auth import Authorizer
from local.appsync.datasources import (
    DataSource,
    DynamoDBDataSource,
    LambdaDataSource,
    NoneDataSource,
    load_handler,
    load_lambda_module,
)
from local.appsync.host import GraphQLHost, load_schema
from local.appsync.js_engine import JsEngine
from local.appsync.lambda_authorizer import LambdaAuthorizer
from local.appsync.pipeline import PipelineExecutor
from local.appsync.realtime import Realtime
from local.aws.activity import Activity
from local.aws.emulator import (
    EmulatedAws,
    MotoQueueWaiter,
    delete_expired,
    provision,
    session_sharing_models,
    start_moto,
)
from local.aws.event_sources import SqsEventSource
from local.aws.table_stream import EventSourceMapping, TableStream
from local.config import Settings
from local.manifest import REPO_ROOT, TRIGGERS, Manifest, load_manifest
from local.providers.outbox import Outbox
from local.providers.ses_simulator import MailboxSimulator
from local.providers.status_reports import StatusReporter

# One bound for every concurrent path: requests executing at once, the in-process Lambda workers, and the
# connection pools of the boto3 clients they all share, so that no call waits for (or overflows) a pool.
# Connections beyond it stay open and wait their turn; the listen backlog takes bursts of new ones.
WORKERS = 64


@dataclass
class LocalStack:
    settings: Settings
    manifest: Manifest
    engine: JsEngine
    executor: PipelineExecutor
    graphql: GraphQLHost
    outbox: Outbox
    reporter: StatusReporter
    activity: Activity
    simulator: MailboxSimulator
    test_outcomes: SqsEventSource
    # The messages table's stream, fed to its tableStream handlers (the event publisher).
    stream: TableStream
    webhooks: SqsEventSource
    authorizer: Authorizer
    local_keys: dict[str, str]
    aws: EmulatedAws | None = None
    executing: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(WORKERS))
    realtime: Realtime = field(init=False)

    def __post_init__(self) -> None:
        # The real-time endpoint's subscriptions, fed by the mutations the GraphQL host runs.
        self.realtime = Realtime(self.graphql, self.authorizer, self.executing, self.settings.realtime_keepalive_seconds)

    def expire(self) -> int:
        """Delete the records whose time is up, as DynamoDB's TTL does in AWS; how many were deleted."""
        table = self.manifest.tables["messages"]
        return delete_expired(self.settings, self.settings.table_names["messages"], table, self.stream.ttl_deleter)

    def close(self) -> None:
        if self.authorizer.lambda_authorizer is not None:
            self.authorizer.lambda_authorizer.close()
        self.simulator.stop()
        self.test_outcomes.stop()
        self.stream.stop()
        self.webhooks.stop()
        self.activity.close()
        self.engine.close()
        if self.aws is not None:
            self.aws.stop()


def build_data_sources(settings: Settings, manifest: Manifest) -> dict[str, DataSource]:
    data_sources: dict[str, DataSource] = {}
    dynamodb = boto3.client("dynamodb", region_name=settings.table_region)
    for name, source in manifest.data_sources.items():
        if source["type"] == "NONE":
            data_sources[name] = NoneDataSource()
        elif source["type"] == "AMAZON_DYNAMODB":
            data_sources[name] = DynamoDBDataSource(dynamodb, settings.table_names[source["table"]])
        else:
            handler = load_handler(REPO_ROOT, source["source"], source["handler"])
            # A timeout the manifest fixes (erasure) holds here too; otherwise the delivery function's default.
            timeout = float(source.get("timeoutSeconds", 10))
            data_sources[name] = LambdaDataSource(f"{settings.stage}-{name}", handler, timeout_seconds=timeout, workers=WORKERS)
    return data_sources


def build_status_reporter(settings: Settings, manifest: Manifest, engine: JsEngine, outbox: Outbox) -> StatusReporter:
    """The manifest's event handlers, by trigger, invoked the way their subscriptions and schedules would."""
    return StatusReporter(
        dynamodb=boto3.client("dynamodb", region_name=settings.table_region),
        table_name=settings.table_names["messages"],
        message_prefix=manifest.storage.key_prefixes["message"],
        engine=engine,
        outbox=outbox,
        handlers={
            trigger: [
                LambdaDataSource(f"{settings.stage}-{handler.name}", load_handler(REPO_ROOT, handler.source, handler.handler), workers=WORKERS)
                for handler in manifest.handlers_triggered_by(trigger)
            ]
            for trigger in TRIGGERS
        },
        ses_region=settings.ses_region,
        sns_region=settings.sns_region,
        configuration_set=settings.configuration_set,
        topic_arn=settings.email_events_topic_arn,
        alarm_region=settings.alarm_region,
        alarm_topic_arn=settings.alarm_topic_arn,
    )


def queue_arn(settings: Settings, queue_url: str) -> str:
    return f"arn:aws:sqs:{settings.table_region}:123456789012:{queue_url.rsplit('/', 1)[1]}"


def build_webhook_sender(settings: Settings, manifest: Manifest) -> SqsEventSource:
    """The webhook sender on its queue, as its event source mapping runs it in AWS: it really sends, to the
    receivers the endpoints name (locally, loopback ones over plain HTTP)."""
    sender = manifest.webhooks["sender"]
    function = LambdaDataSource(
        f"{settings.stage}-webhooks", load_handler(REPO_ROOT, sender["source"], sender["handler"]), timeout_seconds=float(sender["timeoutSeconds"]), workers=WORKERS
    )
    sqs = boto3.client("sqs", region_name=settings.table_region)
    queue = settings.webhook_queue_url
    return SqsEventSource(sqs, queue, queue_arn(settings, queue), [function], MotoQueueWaiter(queue))


def assemble_stack(settings: Settings) -> LocalStack:
    """Provision the emulated account and wire the resolvers to it (moto must already be running)."""
    manifest = load_manifest()
    provision(settings, manifest, session_sharing_models())
    # Handlers read their configuration from the environment at import, as in Lambda. They share this
    # process's, so their settings must agree where their names do (tests/test_handler_environment.py).
    for source in manifest.handler_sources:
        os.environ.update(settings.handler_env(source, manifest))
    # A fresh default session: the one the handlers make their clients from, as in Lambda. Every client
    # made from it pools as many connections as requests may run at once (the handlers' own settings,
    # timeouts and retries, merge over this), and the outbox sees every send made through it.
    session = session_sharing_models()
    session._session.set_default_client_config(Config(max_pool_connections=WORKERS))
    boto3.DEFAULT_SESSION = session
    # The outbox names each email's record as SES's events find it: by the status handler's own reading of its tags.
    email_events = next(handler for handler in manifest.event_handlers.values() if handler.trigger == "sesEvents")
    record_key = load_lambda_module(REPO_ROOT, email_events.source, email_events.handler.rsplit(".", 1)[0]).record_key_from_tags
    outbox = Outbox(manifest.storage.key_prefixes["message"], record_key)
    outbox.attach(session)
    messages = manifest.tables["messages"]
    activity = Activity(outbox, (messages["partitionKey"], messages["sortKey"]))
    activity.attach(session)
    stream = TableStream(settings.table_names["messages"], (messages["partitionKey"], messages["sortKey"]), settings.table_region)
    stream.attach(session)
    engine = JsEngine()
    executor = PipelineExecutor(manifest, engine, build_data_sources(settings, manifest), env={})
    reporter = build_status_reporter(settings, manifest, engine, outbox)
    simulator = MailboxSimulator(reporter.play, settings.ses_simulator_delay_seconds)
    outbox.subscribe(simulator.on_sent)
    simulator.start()
    # TEST keys' simulated outcomes: the delivery function's queue, polled into the testOutcomes handler.
    test_outcomes = SqsEventSource(
        boto3.client("sqs", region_name=settings.table_region),
        settings.test_outcomes_queue_url,
        queue_arn(settings, settings.test_outcomes_queue_url),
        reporter.handlers["testOutcomes"],
        MotoQueueWaiter(settings.test_outcomes_queue_url),
    )
    test_outcomes.start()
    stream.start(
        [
            EventSourceMapping(function, handler.stream_filters)
            for handler, function in zip(manifest.handlers_triggered_by("tableStream"), reporter.handlers["tableStream"], strict=True)
        ]
    )
    webhooks = build_webhook_sender(settings, manifest)
    webhooks.start()
    graphql = GraphQLHost(
        load_schema(manifest),
        executor,
        settings.resolver_count_limit,
        query_depth_limit=settings.query_depth_limit,
        introspection=settings.introspection,
    )
    clients = manifest.clients
    lambda_authorizer = LambdaAuthorizer(
        load_handler(REPO_ROOT, clients["authorizer"]["source"], clients["authorizer"]["handler"]),
        clients["identityValidationExpression"],
        settings.authorizer_cache_seconds,
        function_name=f"{settings.stage}-authorizer",
    )
    # The functions sign their calls to the API (publishMessageEvent) with what this process's session
    # resolves, the emulated account's credentials: the API takes them as the functions' role.
    functions_role = session.get_credentials()
    function_credentials = None if functions_role is None else (functions_role.access_key, functions_role.secret_key)
    authorizer = dataclasses.replace(settings.authorizer, lambda_authorizer=lambda_authorizer, function_credentials=function_credentials)
    local_keys = provision_local_client(settings, manifest)
    return LocalStack(settings, manifest, engine, executor, graphql, outbox, reporter, activity, simulator, test_outcomes, stream, webhooks, authorizer, local_keys)


# Who the audit log names for what the local stack does at start-up.
LOCAL_OPERATOR = "arn:aws:iam::000000000000:user/local-stack"


def provision_local_client(settings: Settings, manifest: Manifest) -> dict[str, str]:
    """A `local` client, made through the operators' function as an operator makes one, with a LIVE and a TEST key
    whose secrets are the settings' (the same on every start, so scripts and the README can use them); the keys by
    mode (make dev prints them, and the console uses them)."""
    operators = manifest.data_sources["operatorsFunction"]
    module = load_lambda_module(REPO_ROOT, operators["source"], operators["handler"].rsplit(".", 1)[0])
    now = datetime.now(UTC)
    client = module.create_client("local", None, LOCAL_OPERATOR, now)
    keys = {"LIVE": settings.local_live_key, "TEST": settings.local_test_key}
    for mode, secret in keys.items():
        module.create_key(client["id"], mode, None, LOCAL_OPERATOR, now, secret=secret)
    return keys


def start_stack(settings: Settings | None = None) -> LocalStack:
    """The whole local stack, with its own moto server."""
    settings = settings or Settings()
    aws = start_moto(settings)
    try:
        stack = assemble_stack(settings)
    except Exception:
        aws.stop()
        raise
    stack.aws = aws
    return stack
