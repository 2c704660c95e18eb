"""The GraphQL side of the local stack: the real schema, executed by graphql-core, resolved by the pipelines."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_ast_schema,
    execute_sync,
    get_operation_ast,
    parse,
    print_ast,
    specified_rules,
    validate,
)

from local.appsync.auth import API_KEY, Caller
from local.appsync.authorization import enforce_auth_directives
from local.appsync.pipeline import Extensions, FieldError, PipelineExecutor, RequestInfo
from local.appsync.validation import (
    LIMIT_ERROR_TYPE,
    LIMIT_MESSAGE,
    NoIntrospection,
    Operation,
    appsync_refusal,
    field_paths,
    node_locations,
    refusal,
    root_type_name,
    syntax_refusal,
)
from local.manifest import Manifest

logger = logging.getLogger("local.graphql")

# AppSync declares these itself; a schema written for AppSync does not.
APPSYNC_PRELUDE = """
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
directive @aws_cognito_user_pools(cognito_groups: [String]) on FIELD_DEFINITION | OBJECT
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
directive @aws_publish(subscriptions: [String]) on FIELD_DEFINITION
"""


def load_schema(manifest: Manifest) -> GraphQLSchema:
    """A schema of its own (the stack sets its fields' resolvers), built from a parse of the SDL that the stacks of one
    process share: the syntax tree is only read, and parsing is most of the build's work."""
    return build_ast_schema(_parsed_sdl(APPSYNC_PRELUDE + manifest.schema.read_text()))


@lru_cache(maxsize=4)
def _parsed_sdl(source: str) -> DocumentNode:
    return parse(source)


# AppSync's ctx.info.selectionSetList and selectionSetGraphQL of one field node.
Selection = tuple[list[str], str]


@dataclass
class PreparedDocument:
    """A parsed document, its validation errors and what its field nodes select (each worked out once, on first
    use: a document refused before validation is never validated)."""

    document: DocumentNode | None
    syntax_error: GraphQLError | None = None
    problems: tuple[GraphQLError, ...] | None = None
    # By id() of a field node of `document`, which this object keeps alive.
    selections: dict[int, Selection] = field(default_factory=dict)


@dataclass(frozen=True)
class Admitted:
    """A document AppSync would run: parsed, within its limits, valid."""

    document: DocumentNode
    selections: dict[int, Selection]


@dataclass
class RequestState:
    """Per-request context: the caller, headers for ctx.request, errors appended by util.appendError,
    and how many resolvers the request has run (AppSync's resolverCountLimit)."""

    headers: dict[str, str]
    variables: dict[str, Any]
    selections: dict[int, Selection]
    caller: Caller = field(default_factory=lambda: Caller(API_KEY))
    appended: list[tuple[list[Any], FieldNode, FieldError]] = field(default_factory=list)
    resolvers_run: int = 0
    # By response key of a root field: its arguments and what its resolver asked through `extensions`.
    root_fields: dict[str, tuple[dict[str, Any], Extensions]] = field(default_factory=dict)
    # Set when a subscription's selection is rendered for a published payload: its root field resolves to this
    # payload, and no resolver runs (AppSync runs none either when it delivers).
    delivery: dict[str, Any] | None = None


def _selection_paths(selection_set: SelectionSetNode | None, info: GraphQLResolveInfo, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            name = selection.alias.value if selection.alias else selection.name.value
            if name == "__typename":
                continue
            path = f"{prefix}{name}"
            paths.append(path)
            paths.extend(_selection_paths(selection.selection_set, info, f"{path}/"))
        elif isinstance(selection, InlineFragmentNode):
            paths.extend(_selection_paths(selection.selection_set, info, prefix))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments[selection.name.value]
            paths.extend(_selection_paths(fragment.selection_set, info, prefix))
    return paths


def _field_resolver(executor: PipelineExecutor, field_path: str, resolver_count_limit: int):
    type_name, field_name = field_path.split(".", 1)

    def resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        state: RequestState = info.context
        if state.delivery is not None and info.path.prev is None:
            return state.delivery
        # As AppSync does: past the limit, a resolver fails during execution; what ran before stands.
        if state.resolvers_run >= resolver_count_limit:
            raise FieldError(message=LIMIT_MESSAGE, error_type=LIMIT_ERROR_TYPE)
        state.resolvers_run += 1
        node = info.field_nodes[0]
        selection = state.selections.get(id(node))
        if selection is None:
            selection = (_selection_paths(node.selection_set, info), print_ast(node.selection_set) if node.selection_set else "")
            state.selections[id(node)] = selection
        request_info = RequestInfo(
            field_name=field_name,
            parent_type_name=type_name,
            variables=state.variables,
            selection_set_list=selection[0],
            selection_set_graphql=selection[1],
            headers=state.headers,
            identity=state.caller.identity,
        )
        result = executor.resolve(field_path, args, request_info, source=source)
        for error in result.appended_errors:
            state.appended.append((list(info.path.as_list()), node, error))
        if info.path.prev is None:
            state.root_fields[str(info.path.key)] = (args, result.extensions)
        return result.value

    return resolve


def attach_resolvers(schema: GraphQLSchema, executor: PipelineExecutor, resolver_count_limit: int) -> None:
    for field_path, resolver in executor.manifest.resolvers.items():
        graphql_type = schema.get_type(resolver.type_name)
        if not isinstance(graphql_type, GraphQLObjectType) or resolver.field_name not in graphql_type.fields:
            raise ValueError(f"manifest resolver {field_path} has no field in the schema")
        graphql_type.fields[resolver.field_name].resolve = _field_resolver(executor, field_path, resolver_count_limit)


def _locations(error: GraphQLError) -> list[dict[str, Any]] | None:
    if not error.locations:
        return None
    return [{"line": location.line, "column": location.column, "sourceName": None} for location in error.locations]


def appsync_error(error: GraphQLError) -> dict[str, Any]:
    """A GraphQL error as AppSync writes it: errorType, data and errorInfo beside the message."""
    original = error.original_error
    if isinstance(original, FieldError):
        return {
            "path": error.path,
            "data": original.data,
            "errorType": original.error_type,
            "errorInfo": original.error_info,
            "locations": _locations(error),
            "message": original.message,
        }
    if original is not None and error.path is not None:
        # A fault of the local host itself while resolving a field: log where, never the request
        # content (an exception's message may quote variables, and so addresses or bodies).
        logger.error("resolver host failure: %s\n%s", type(original).__name__, "".join(traceback.format_tb(original.__traceback__)))
        return {
            "path": error.path,
            "data": None,
            "errorType": "InternalFailure",
            "errorInfo": None,
            "locations": _locations(error),
            "message": "An internal failure occurred while resolving this field",
        }
    # Not a field's: the variables could not be coerced.
    return appsync_refusal(error)


@dataclass(frozen=True)
class Published:
    """A mutation's root field that AppSync publishes to the subscriptions naming it in @aws_subscribe: the
    field's result as the mutation selected it (keyed by field names, not aliases)."""

    mutation_field: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Invalidation:
    subscription_field: str
    payload: dict[str, Any]


class RealtimeListener(Protocol):
    """What the real-time side (local/appsync/realtime.py) learns from each mutation request."""

    def mutation_completed(self, published: list[Published], invalidations: list[Invalidation]) -> None: ...


@dataclass(frozen=True)
class SubscriptionStart:
    """A subscription whose resolver ran: what it asked for, and how to render a payload for it later."""

    field_name: str
    arguments: dict[str, Any]
    extensions: Extensions
    document: DocumentNode
    variables: dict[str, Any]
    operation_name: str | None


# AppSync allows at most five distinct extensions.invalidateSubscriptions calls in a request (developer guide,
# "Extensions").
MAX_INVALIDATIONS = 5


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {definition.name.value: definition for definition in document.definitions if isinstance(definition, FragmentDefinitionNode)}


def _by_field_name(selection_set: SelectionSetNode | None, value: Any, fragments: dict[str, FragmentDefinitionNode]) -> Any:
    """A result as selected, keyed by the fields' names rather than their aliases (what AppSync publishes)."""
    if selection_set is None or value is None:
        return value
    if isinstance(value, list):
        return [_by_field_name(selection_set, item, fragments) for item in value]
    renamed: dict[str, Any] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            if key in value and selection.name.value != "__typename":
                renamed[selection.name.value] = _by_field_name(selection.selection_set, value[key], fragments)
        elif isinstance(selection, InlineFragmentNode):
            renamed.update(_by_field_name(selection.selection_set, value, fragments))
        elif isinstance(selection, FragmentSpreadNode):
            renamed.update(_by_field_name(fragments[selection.name.value].selection_set, value, fragments))
    return renamed


def _root_fields(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> list[FieldNode]:
    fields: list[FieldNode] = []
    pending = list(operation.selection_set.selections)
    while pending:
        selection = pending.pop(0)
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending[:0] = selection.selection_set.selections
        elif isinstance(selection, FragmentSpreadNode):
            pending[:0] = fragments[selection.name.value].selection_set.selections
    return fields


def subscribed_mutations(schema: GraphQLSchema) -> dict[str, set[str]]:
    """For each subscription field, the mutations its @aws_subscribe names."""
    subscribed: dict[str, set[str]] = {}
    for name, graphql_field in (schema.subscription_type.fields if schema.subscription_type else {}).items():
        for directive in graphql_field.ast_node.directives if graphql_field.ast_node else ():
            if directive.name.value != "aws_subscribe":
                continue
            for argument in directive.arguments:
                if argument.name.value == "mutations":
                    subscribed[name] = {item.value for item in getattr(argument.value, "values", ())}
    return subscribed


class GraphQLHost:
    def __init__(
        self,
        schema: GraphQLSchema,
        executor: PipelineExecutor,
        resolver_count_limit: int = 10_000,
        query_depth_limit: int | None = None,
        introspection: bool = True,
    ) -> None:
        self.schema = schema
        self.resolver_count_limit = resolver_count_limit
        self.query_depth_limit = query_depth_limit
        self.rules = (*specified_rules, *(() if introspection else (NoIntrospection,)))
        self.resolved_fields = {(resolver.type_name, resolver.field_name) for resolver in executor.manifest.resolvers.values()}
        attach_resolvers(schema, executor, resolver_count_limit)
        enforce_auth_directives(schema)
        # Clients send the same few documents over and over: parse each once (and validate it once, if it gets there).
        self._prepare = lru_cache(maxsize=256)(self._parse)
        self.subscribed_mutations = subscribed_mutations(schema)
        self.published_mutations = set().union(*self.subscribed_mutations.values()) if self.subscribed_mutations else set()
        self.realtime: RealtimeListener | None = None

    def _parse(self, query: str) -> PreparedDocument:
        try:
            return PreparedDocument(parse(query))
        except GraphQLError as error:
            return PreparedDocument(None, syntax_error=error)

    def _problems(self, prepared: PreparedDocument) -> tuple[GraphQLError, ...]:
        if prepared.problems is None and prepared.document is not None:
            prepared.problems = tuple(validate(self.schema, prepared.document, self.rules))
        return prepared.problems or ()

    def _refused_before_validation(self, operation: Operation) -> dict[str, Any] | None:
        """AppSync's limits that a document's shape alone breaks, checked before the (costlier) validation.

        - More resolver fields at the root than `resolver_count_limit` allows, by more than one: AppSync would run
          the first and fail the next, and a client repeating an operation by mistake gets just that (the next
          one fails in execution). A document that selects more can only be an attempt to make the server work:
          it is refused here, with AppSync's limit error at the first field past the limit, and nothing runs.
        - Deeper than `query_depth_limit` (root fields are at depth 1), as AppSync's query_depth_limit refuses it.
        """
        root = root_type_name(self.schema, operation.node)
        resolved = [node for node in operation.root_fields() if (root, node.name.value) in self.resolved_fields]
        if len(resolved) > self.resolver_count_limit + 1:
            first_refused = resolved[self.resolver_count_limit]
            return {
                "path": [(first_refused.alias or first_refused.name).value],
                "data": None,
                "errorType": LIMIT_ERROR_TYPE,
                "errorInfo": None,
                "locations": node_locations(first_refused),
                "message": LIMIT_MESSAGE,
            }
        if self.query_depth_limit is not None:
            depth, deepest = operation.depth()
            if depth > self.query_depth_limit:
                return refusal(f"maximum query depth exceeded {depth} > {self.query_depth_limit}", node_locations(deepest))
        return None

    def _request_problem(self, body: dict[str, Any]) -> dict[str, Any] | None:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return {"errors": [{"errorType": "BadRequestException", "message": "The request has no GraphQL query"}]}
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return {"errors": [{"errorType": "BadRequestException", "message": "variables must be a JSON object"}]}
        operation_name = body.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            return {"errors": [{"errorType": "BadRequestException", "message": "operationName must be a string"}]}
        return None

    def _admitted(self, body: dict[str, Any]) -> Admitted | list[dict[str, Any]]:
        """The parsed document, or AppSync's refusals of it: a syntax error, a limit its shape breaks, or what
        validation finds (in that order, so a document refused by its shape is never validated)."""
        prepared = self._prepare(body["query"])
        if prepared.syntax_error is not None or prepared.document is None:
            return [syntax_refusal(prepared.syntax_error)] if prepared.syntax_error else []
        operation = Operation.of(prepared.document, body.get("operationName"))
        refused = self._refused_before_validation(operation) if operation is not None else None
        if refused is not None:
            return [refused]
        problems = self._problems(prepared)
        if problems:
            paths = field_paths(prepared.document)
            return [appsync_refusal(problem, paths) for problem in problems]
        return Admitted(prepared.document, prepared.selections)

    def _run(self, admitted: Admitted, body: dict[str, Any], state: RequestState) -> dict[str, Any]:
        # Every resolver here is synchronous, so execution is too.
        result: ExecutionResult = execute_sync(
            self.schema, admitted.document, variable_values=state.variables, operation_name=body.get("operationName"), context_value=state
        )
        response: dict[str, Any] = {"data": result.data}
        errors = [appsync_error(error) for error in result.errors or []]
        errors.extend(
            appsync_error(GraphQLError(appended.message, nodes=[node], path=path, original_error=appended))
            for path, node, appended in state.appended
        )
        if errors:
            response["errors"] = errors
        return response

    def execute(self, body: dict[str, Any], headers: dict[str, str], caller: Caller | None = None) -> dict[str, Any]:
        problem = self._request_problem(body)
        if problem is not None:
            return problem
        admitted = self._admitted(body)
        if not isinstance(admitted, Admitted):
            return {"data": None, "errors": admitted}
        state = RequestState(headers=headers, variables=body.get("variables") or {}, selections=admitted.selections, caller=caller or Caller(API_KEY))
        operation = get_operation_ast(admitted.document, body.get("operationName"))
        if operation is not None and operation.operation == OperationType.SUBSCRIPTION:
            # As AppSync: subscriptions go over the real-time endpoint, not POST /graphql.
            message = "Subscriptions are not supported over HTTP: connect to the real-time endpoint (/graphql/realtime)"
            return {"data": None, "errors": [{"errorType": "UnsupportedOperation", "message": message}]}
        response = self._run(admitted, body, state)
        if operation is not None and operation.operation == OperationType.MUTATION:
            self._announce(operation, admitted.document, response, state)
        return response

    def _announce(self, operation: OperationDefinitionNode, document: DocumentNode | None, response: dict[str, Any], state: RequestState) -> None:
        """Hand the real-time side what this mutation publishes and invalidates."""
        assert document is not None
        invalidations = [
            Invalidation(call["subscriptionField"], call["payload"]) for _, extensions in state.root_fields.values() for call in extensions.invalidations
        ]
        unique = {(call.subscription_field, repr(sorted(call.payload.items()))): call for call in invalidations}
        if len(unique) > MAX_INVALIDATIONS:
            error = {"errorType": "InvalidationLimitExceeded", "message": f"A request may invalidate subscriptions at most {MAX_INVALIDATIONS} times"}
            response.setdefault("errors", []).append(error)
            invalidations = []
        failed = {str(error["path"][0]) for error in response.get("errors", []) if error.get("path")}
        fragments = _fragments(document)
        published = []
        for node in _root_fields(operation, fragments):
            key = node.alias.value if node.alias else node.name.value
            value = (response.get("data") or {}).get(key)
            if node.name.value in self.published_mutations and key not in failed and isinstance(value, dict):
                published.append(Published(node.name.value, _by_field_name(node.selection_set, value, fragments)))
        if self.realtime is not None and (published or invalidations):
            self.realtime.mutation_completed(published, invalidations)

    def start_subscription(self, body: dict[str, Any], headers: dict[str, str], caller: Caller) -> SubscriptionStart | list[dict[str, Any]]:
        """Validate a subscription and run its resolver, as AppSync does on `start`; AppSync-shaped errors otherwise."""
        problem = self._request_problem(body)
        if problem is not None:
            errors: list[dict[str, Any]] = problem["errors"]
            return errors
        admitted = self._admitted(body)
        if not isinstance(admitted, Admitted):
            return admitted
        operation = get_operation_ast(admitted.document, body.get("operationName"))
        if operation is None:
            return [{"errorType": "BadRequestException", "message": "The document names no operation to run (give operationName)"}]
        if operation.operation != OperationType.SUBSCRIPTION:
            return [{"errorType": "UnsupportedOperation", "message": f"{operation.operation.value} not supported through the realtime channel"}]
        state = RequestState(headers=headers, variables=body.get("variables") or {}, selections=admitted.selections, caller=caller)
        response = self._run(admitted, body, state)
        if response.get("errors"):
            failures: list[dict[str, Any]] = response["errors"]
            return failures
        (node,) = _root_fields(operation, _fragments(admitted.document))
        arguments, extensions = state.root_fields[node.alias.value if node.alias else node.name.value]
        return SubscriptionStart(node.name.value, arguments, extensions, admitted.document, state.variables, body.get("operationName"))

    def render(self, start: SubscriptionStart, payload: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """What a subscriber receives for a published payload: its own selection of it, as `{data[, errors]}`."""
        state = RequestState(headers={}, variables=start.variables, selections={}, caller=caller, delivery=payload)
        result = execute_sync(self.schema, start.document, variable_values=start.variables, operation_name=start.operation_name, context_value=state)
        rendered: dict[str, Any] = {"data": result.data}
        if result.errors:
            rendered["errors"] = [appsync_error(error) for error in result.errors]
        return rendered
