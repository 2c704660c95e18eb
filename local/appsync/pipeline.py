"""AppSync's pipeline resolver execution, locally.

For one field: the resolver's request handler, then each pipeline function
(request handler -> data source -> response handler), then the resolver's response
handler. `ctx.stash` lives for the whole field; `ctx.prev.result` carries each
step's result to the next. `runtime.earlyReturn` and `util.error` behave as
documented for APPSYNC_JS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from local.appsync.datasources import DataSource
from local.appsync.js_engine import JsEngine, Outcome
from local.manifest import Manifest


@dataclass
class FieldError(Exception):
    """An error for the field being resolved, in AppSync's error shape."""

    message: str
    error_type: str | None = None
    data: Any = None
    error_info: Any = None

    def __str__(self) -> str:
        return self.message


@dataclass
class Extensions:
    """What a field's resolver asked of AppSync's real-time side through `extensions` (see the runtime)."""

    subscription_filter: dict[str, Any] | None = None
    invalidation_filter: dict[str, Any] | None = None
    # Each {"subscriptionField", "payload"} passed to extensions.invalidateSubscriptions, in call order.
    invalidations: list[dict[str, Any]] = field(default_factory=list)

    def record(self, calls: dict[str, Any]) -> None:
        self.subscription_filter = calls.get("subscriptionFilter", self.subscription_filter)
        self.invalidation_filter = calls.get("invalidationFilter", self.invalidation_filter)
        self.invalidations.extend(calls.get("invalidations", ()))


@dataclass
class FieldResult:
    value: Any
    appended_errors: list[FieldError] = field(default_factory=list)
    extensions: Extensions = field(default_factory=Extensions)


@dataclass
class RequestInfo:
    """What AppSync exposes about the GraphQL request in ctx.info and ctx.request."""

    field_name: str
    parent_type_name: str
    variables: dict[str, Any]
    selection_set_list: list[str]
    selection_set_graphql: str
    headers: dict[str, str]
    identity: dict[str, Any] | None = None  # none for an API key; the IAM caller's otherwise


class _EarlyReturnToEnd(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class PipelineExecutor:
    def __init__(
        self,
        manifest: Manifest,
        engine: JsEngine,
        data_sources: dict[str, DataSource],
        env: dict[str, str],
    ) -> None:
        self.manifest = manifest
        self.engine = engine
        self.data_sources = data_sources
        self.env = env
        missing = set(manifest.data_sources) - set(data_sources)
        if missing:
            raise ValueError(f"no local implementation for data sources {sorted(missing)}")
        for unit, path in manifest.code_units().items():
            engine.load_file(unit, path)

    def resolve(self, field_path: str, args: dict[str, Any], info: RequestInfo, source: Any = None) -> FieldResult:
        # One JS lane for the whole pipeline: its handlers then run with no thread hand-off each.
        return self.engine.run(self._resolve, field_path, args, info, source)

    def _resolve(self, field_path: str, args: dict[str, Any], info: RequestInfo, source: Any) -> FieldResult:
        resolver = self.manifest.resolvers[field_path]
        result = FieldResult(value=None)
        appended = result.appended_errors
        ctx: dict[str, Any] = {
            "args": args,
            "source": source,
            "stash": {},
            "prev": {"result": None},
            "identity": info.identity,
            "env": self.env,
            "request": {"headers": info.headers, "domainName": None},
            "info": {
                "fieldName": info.field_name,
                "parentTypeName": info.parent_type_name,
                "variables": info.variables,
                "selectionSetList": info.selection_set_list,
                "selectionSetGraphQL": info.selection_set_graphql,
            },
        }
        unit = f"resolver:{field_path}"
        before = self._run(unit, "request", ctx, appended)
        ctx["prev"] = {"result": before.value}
        if before.kind != "earlyReturn":
            try:
                for name in resolver.pipeline:
                    ctx["prev"] = {"result": self._run_function(name, ctx, appended)}
            except _EarlyReturnToEnd as early:
                ctx["prev"] = {"result": early.value}
        after = self._run(unit, "response", ctx, appended)
        # Only the resolver's response handler may call `extensions` (the runtime refuses it elsewhere).
        result.extensions.record(after.extensions)
        result.value = after.value
        return result

    def _run_function(self, name: str, ctx: dict[str, Any], appended: list[FieldError]) -> Any:
        function = self.manifest.functions[name]
        unit = f"function:{name}"
        request = self._run(unit, "request", ctx, appended)
        if request.kind == "earlyReturn":
            if request.skip_to == "END":
                raise _EarlyReturnToEnd(request.value)
            return request.value
        result, error = self.data_sources[function.data_source].invoke(request.value)
        response_ctx = {**ctx, "result": result}
        if error is not None:
            response_ctx["error"] = error
        response = self._run(unit, "response", response_ctx, appended)
        ctx["stash"] = response_ctx["stash"]
        if response.kind == "earlyReturn" and response.skip_to == "END":
            raise _EarlyReturnToEnd(response.value)
        return response.value

    def _run(self, unit: str, phase: str, ctx: dict[str, Any], appended: list[FieldError]) -> Outcome:
        outcome = self.engine.invoke(unit, phase, ctx)
        ctx["stash"] = outcome.stash
        appended.extend(_field_error(error) for error in outcome.appended_errors)
        if outcome.kind == "error":
            raise _field_error(outcome.error)
        if outcome.kind in ("crash", "missing"):
            raise FieldError(message=f"{unit} {phase}: {outcome.message}", error_type="Code")
        return outcome


def _field_error(error: dict[str, Any]) -> FieldError:
    return FieldError(
        message=error.get("message", ""),
        error_type=error.get("errorType"),
        data=error.get("data"),
        error_info=error.get("errorInfo"),
    )
