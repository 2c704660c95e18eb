"""The resolver manifest (graphql/manifest.json), read once and checked for dangling references."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
GRAPHQL_DIR = REPO_ROOT / "graphql"
MANIFEST_PATH = GRAPHQL_DIR / "manifest.json"

DATA_SOURCE_TYPES = {"NONE", "AMAZON_DYNAMODB", "AWS_LAMBDA"}
# What starts an event handler, in AWS and in the local stack (terraform/main.tf: trigger_regions).
TRIGGERS = {"sesEvents", "smsDeliveryLogs", "schedule", "alarms", "testOutcomes", "tableStream"}


class ManifestError(Exception):
    pass


@dataclass(frozen=True)
class Resolver:
    field: str  # "Type.field"
    code: Path
    pipeline: tuple[str, ...]

    @property
    def type_name(self) -> str:
        return self.field.split(".", 1)[0]

    @property
    def field_name(self) -> str:
        return self.field.split(".", 1)[1]


@dataclass(frozen=True)
class Function:
    name: str
    data_source: str
    code: Path


@dataclass(frozen=True)
class EventHandler:
    """A Lambda that AWS invokes with provider events (not through AppSync), wired by its trigger."""

    name: str
    source: str
    handler: str
    trigger: str
    queries: tuple[str, ...] = ()
    # A tableStream handler's event source mapping filter patterns (Lambda's FilterCriteria, ORed).
    stream_filters: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class StorageContract:
    """How the messages table is laid out: what the resolvers, handlers, Terraform and the local stack share."""

    key_prefixes: dict[str, str]
    config_item: dict[str, str]
    channels_item: dict[str, str]
    sms_item: dict[str, str]
    sweep_item: dict[str, str]
    clients_item: dict[str, str]
    audit_item: dict[str, str]
    limit_shards: dict[str, int]
    status_ranks: dict[str, int]
    indexes: dict[str, dict[str, Any]]

    def index_environment(self) -> dict[str, str]:
        """The variables that hand the Lambda handlers the names of the indexes they read."""
        return {index["environment"]: name for name, index in self.indexes.items() if "environment" in index}

    @classmethod
    def of(cls, table: dict[str, Any]) -> StorageContract:
        return cls(
            key_prefixes=table["keyPrefixes"],
            config_item=table["configItem"],
            channels_item=table["channelsItem"],
            sms_item=table["smsItem"],
            sweep_item=table["sweepItem"],
            clients_item=table["clientsItem"],
            audit_item=table["auditItem"],
            limit_shards=table["limitShards"],
            status_ranks=table["statusRanks"],
            indexes=table["indexes"],
        )


@dataclass(frozen=True)
class Manifest:
    schema: Path
    tables: dict[str, dict[str, Any]]
    data_sources: dict[str, dict[str, Any]]
    functions: dict[str, Function]
    resolvers: dict[str, Resolver]
    event_handlers: dict[str, EventHandler]
    # Clients: the default client's id, the keys' prefixes and form, the Lambda authorizer.
    clients: dict[str, Any]
    # What TEST keys' messages end as.
    test_mode: dict[str, Any]
    # Webhook deliveries: the sender Lambda, the retry schedule and the endpoints' rules.
    webhooks: dict[str, Any]

    @property
    def storage(self) -> StorageContract:
        return StorageContract.of(self.tables["messages"])

    @property
    def handler_sources(self) -> list[str]:
        """Every folder a Lambda is built from (handlers/<name>): the Lambda data sources', the event handlers', the
        authorizer's and the webhook sender's."""
        sources = {source["source"] for source in self.data_sources.values() if "source" in source}
        authorizer = {self.clients["authorizer"]["source"]} if "authorizer" in self.clients else set()
        sender = {self.webhooks["sender"]["source"]} if "sender" in self.webhooks else set()
        return sorted(sources | {handler.source for handler in self.event_handlers.values()} | authorizer | sender)

    def handlers_triggered_by(self, trigger: str) -> list[EventHandler]:
        return [handler for handler in self.event_handlers.values() if handler.trigger == trigger]

    def code_units(self) -> dict[str, Path]:
        """Every JS file by the unit name the local runtime loads it under."""
        units = {f"function:{name}": function.code for name, function in self.functions.items()}
        units.update({f"resolver:{field}": resolver.code for field, resolver in self.resolvers.items()})
        return units


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    raw = json.loads(path.read_text())
    base = path.parent
    data_sources = raw["dataSources"]
    problems: list[str] = []
    for name, source in data_sources.items():
        if source.get("type") not in DATA_SOURCE_TYPES:
            problems.append(f"data source {name}: type must be one of {sorted(DATA_SOURCE_TYPES)}")
        if source.get("type") == "AMAZON_DYNAMODB" and source.get("table") not in raw.get("tables", {}):
            problems.append(f"data source {name}: unknown table {source.get('table')!r}")
        if source.get("type") == "AWS_LAMBDA" and not (base.parent / source.get("source", "") / "").is_dir():
            problems.append(f"data source {name}: Lambda source folder {source.get('source')!r} does not exist")
    functions = {
        name: Function(name=name, data_source=entry["dataSource"], code=base / entry["code"])
        for name, entry in raw["functions"].items()
    }
    for function in functions.values():
        if function.data_source not in data_sources:
            problems.append(f"function {function.name}: unknown data source {function.data_source!r}")
    resolvers = {
        field: Resolver(field=field, code=base / entry["code"], pipeline=tuple(entry["pipeline"]))
        for field, entry in raw["resolvers"].items()
    }
    for resolver in resolvers.values():
        problems.extend(
            f"resolver {resolver.field}: unknown function {name!r}" for name in resolver.pipeline if name not in functions
        )
    event_handlers = {
        name: EventHandler(
            name=name,
            source=entry["source"],
            handler=entry["handler"],
            trigger=entry["trigger"],
            queries=tuple(entry.get("queries", [])),
            stream_filters=tuple(entry.get("streamFilters", [])),
        )
        for name, entry in raw.get("eventHandlers", {}).items()
    }
    problems.extend(
        f"event handler {handler.name}: trigger must be one of {sorted(TRIGGERS)}" for handler in event_handlers.values() if handler.trigger not in TRIGGERS
    )
    problems.extend(
        f"event handler {handler.name}: Lambda source folder {handler.source!r} does not exist"
        for handler in event_handlers.values()
        if not (base.parent / handler.source).is_dir()
    )
    for unit, code in [*((f.name, f.code) for f in functions.values()), *((r.field, r.code) for r in resolvers.values())]:
        if not code.is_file():
            problems.append(f"{unit}: code file {code} does not exist")
    if problems:
        raise ManifestError("graphql/manifest.json: " + "; ".join(problems))
    return Manifest(
        schema=base / raw["schema"],
        tables=raw.get("tables", {}),
        data_sources=data_sources,
        functions=functions,
        resolvers=resolvers,
        event_handlers=event_handlers,
        clients=raw.get("clients", {}),
        test_mode=raw.get("testMode", {}),
        webhooks=raw.get("webhooks", {}),
    )
