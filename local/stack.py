"""The local stack assembled: moto for AWS, QuickJS for the resolvers, the real handlers, the providers' simulators.

What `make dev` runs behind its HTTP endpoint (local/server.py), and what the in-process tests and benchmarks build.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

from local.appsync.auth import Authorizer
from local.appsync.datasources import (
    DataSource,
    DynamoDBDataSource,
    LambdaDataSource,
    NoneDataSource,
    load_handler,
)
from local.appsync.host import GraphQLHost, load_schema
from local.appsync.js_engine import JsEngine
from local.appsync.pipeline import PipelineExecutor
from local.aws.activity import Activity
from local.aws.emulator import EmulatedAws, delete_expired, provision, start_moto
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
    aws: EmulatedAws | None = None
    executing: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(WORKERS))

    @property
    def authorizer(self) -> Authorizer:
        return self.settings.authorizer

    def expire(self) -> int:
        """Delete the records whose time is up, as DynamoDB's TTL does in AWS; how many were deleted."""
        table = self.manifest.tables["messages"]
        return delete_expired(self.settings, self.settings.table_names["messages"], table)

    def close(self) -> None:
        self.simulator.stop()
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


def assemble_stack(settings: Settings) -> LocalStack:
    """Provision the emulated account and wire the resolvers to it (moto must already be running)."""
    manifest = load_manifest()
    provision(settings, manifest)
    # Handlers read their configuration from the environment at import, as in Lambda. They share this
    # process's, so their settings must agree where their names do (tests/test_handler_environment.py).
    for source in manifest.handler_sources:
        os.environ.update(settings.handler_env(source, manifest.storage))
    # A fresh default session: the one the handlers make their clients from, as in Lambda. Every client
    # made from it pools as many connections as requests may run at once (the handlers' own settings,
    # timeouts and retries, merge over this), and the outbox sees every send made through it.
    session = boto3.Session()
    session._session.set_default_client_config(Config(max_pool_connections=WORKERS))
    boto3.DEFAULT_SESSION = session
    outbox = Outbox(manifest.storage.key_prefixes["message"])
    outbox.attach(session)
    messages = manifest.tables["messages"]
    activity = Activity(outbox, (messages["partitionKey"], messages["sortKey"]))
    activity.attach(session)
    engine = JsEngine()
    executor = PipelineExecutor(manifest, engine, build_data_sources(settings, manifest), env={})
    reporter = build_status_reporter(settings, manifest, engine, outbox)
    simulator = MailboxSimulator(reporter.play, settings.ses_simulator_delay_seconds)
    outbox.subscribe(simulator.on_sent)
    simulator.start()
    graphql = GraphQLHost(
        load_schema(manifest),
        executor,
        settings.resolver_count_limit,
        query_depth_limit=settings.query_depth_limit,
        introspection=settings.introspection,
    )
    return LocalStack(settings, manifest, engine, executor, graphql, outbox, reporter, activity, simulator)


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
