"""What AppSync says about a document before it runs anything: syntax and validation errors in its own words,
introspection when it is off, the query depth limit, and a document that asks for more resolvers than may run.

AppSync runs graphql-java, and answers a document it refuses with HTTP 200, `data: null` and errors that carry
graphql-java's message, `path: null` and `locations` (with `sourceName: null`), and no `errorType`. The shapes
below are taken from responses AWS and its users published:

- FieldUndefined, and the response shape: https://github.com/graphql/graphql-over-http/issues/81 (AppSync's
  team describing its HTTP behaviour), https://github.com/aws-amplify/amplify-cli/issues/5339;
- UnknownType ("Validation error of type UnknownType: Unknown type AWSTimestamp", no `@` path):
  https://github.com/aws-amplify/learn/issues/417;
- UnknownArgument: https://github.com/aws-amplify/amplify-flutter/issues/3388;
- MissingFieldArgument ("Missing field argument <name> @ '<field>'", located at the field):
  https://github.com/aws/aws-appsync-community/issues/273 shows the shape of a WrongType refusal beside it;
  the wording is graphql-java's (ValidationErrorType.MissingFieldArgument), as AppSync users quote it;
- VariableTypeMismatch: https://github.com/apollographql/graphql-tag/issues/652 (an AppSync answer);
- a variable that is missing or null although required ("Variable 'id' has coerced Null value for NonNull type
  'ID!'", `locations: null`): https://github.com/awslabs/aws-mobile-appsync-sdk-js/issues/83,
  https://github.com/aws/aws-appsync-community/issues/406 (AppSync says the same of a null inside an input
  object, naming the outer variable; locally that case keeps graphql-core's message, which names the field);
- introspection turned off: "the response will contain validation errors", the fields of the introspection types
  being undefined (https://docs.aws.amazon.com/appsync/latest/devguide/configuration-limits.html, whose picture
  shows FieldUndefined for `types` in `__Schema`);
- a syntax error: graphql-java's InvalidSyntax wording ("Invalid Syntax : offending token '<token>' at line L
  column C") in the same shape; AWS publishes no example of it;
- the depth limit: AWS documents the setting (1-75, "a limit error"), not the message; the message is
  graphql-java's MaxQueryDepthInstrumentation's ("maximum query depth exceeded D > L").

Any other refusal keeps graphql-core's message, with `errorType: "ValidationError"`, so that it reads as ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    Visitor,
    is_introspection_type,
    visit,
)

LIMIT_ERROR_TYPE = "ResolverExecutionLimitReached"
LIMIT_MESSAGE = "Resolver invocation limit reached."
INTROSPECTION_FIELDS = ("__schema", "__type")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\.\.")


def _location(line: int, column: int) -> dict[str, Any]:
    return {"line": line, "column": column, "sourceName": None}


def node_locations(node: Node | None) -> list[dict[str, Any]] | None:
    """Where `node` starts in its document, as AppSync writes locations."""
    if node is None or node.loc is None or node.loc.source is None:
        return None
    location = node.loc.source.get_location(node.loc.start)
    return [_location(location.line, location.column)]


def refusal(message: str, locations: list[dict[str, Any]] | None) -> dict[str, Any]:
    """One error of a document AppSync refuses before running it."""
    return {"path": None, "locations": locations, "message": message}


# graphql-core's message of a validation rule -> graphql-java's, given `at`: the path of field names to the node
# ("getMessages/data"), as AppSync writes it after `@`.
_VALIDATION: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (
        re.compile(r"Cannot query field '(?P<field>[^']+)' on type '(?P<type>[^']+)'\."),
        lambda m, at: f"Validation error of type FieldUndefined: Field '{m['field']}' in type '{m['type']}' is undefined @ '{at}'",
    ),
    (
        re.compile(r"Unknown argument '(?P<argument>[^']+)' on field '[^']+'\."),
        lambda m, at: f"Validation error of type UnknownArgument: Unknown field argument {m['argument']} @ '{at}'",
    ),
    (
        re.compile(r"Argument '[^']+\((?P<argument>[^':]+):\)' of type '[^']+' is required, but it was not provided\."),
        lambda m, at: f"Validation error of type MissingFieldArgument: Missing field argument {m['argument']} @ '{at}'",
    ),
    (
        re.compile(r"Variable '\$[^']+' of type '(?P<given>[^']+)' used in position expecting type '(?P<expected>[^']+)'\."),
        lambda m, at: f"Validation error of type VariableTypeMismatch: Variable type '{m['given']}' doesn't match expected type '{m['expected']}' @ '{at}'",
    ),
    (re.compile(r"Unknown type '(?P<type>[^']+)'\."), lambda m, at: f"Validation error of type UnknownType: Unknown type {m['type']}"),
]

# graphql-core's message for a variable value it cannot coerce -> AppSync's (these carry no locations).
_COERCION: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"Variable '\$(?P<name>[^']+)' has invalid value: Expected (?:a )?value of non-null type '(?P<type>[^']+)' (?:to be provided|not to be None)\."),
        lambda m: f"Variable '{m['name']}' has coerced Null value for NonNull type '{m['type']}'",
    ),
]


def field_paths(document: DocumentNode) -> dict[int, str]:
    """For every node of `document` (by id), the path of field names down to it, as AppSync writes it after `@`."""
    paths: dict[int, str] = {}
    names: list[str] = []

    class Paths(Visitor):
        def enter(self, node: Node, *_: Any) -> None:
            if isinstance(node, FieldNode):
                names.append(node.name.value)
            paths[id(node)] = "/".join(names)

        def leave(self, node: Node, *_: Any) -> None:
            if isinstance(node, FieldNode):
                names.pop()

    visit(document, Paths())
    return paths


def appsync_refusal(error: GraphQLError, paths: dict[int, str] | None = None) -> dict[str, Any]:
    """A validation or variable error of graphql-core, as AppSync words it; the fallback keeps graphql-core's."""
    for pattern, coerced in _COERCION:
        if match := pattern.match(error.message):
            return refusal(coerced(match), None)
    locations = [_location(location.line, location.column) for location in error.locations or ()]
    node = error.nodes[-1] if error.nodes else None
    for pattern, worded in _VALIDATION:
        if (match := pattern.fullmatch(error.message.split(" Did you mean")[0].rstrip())) is not None:
            at = (paths or {}).get(id(node), "") if node is not None else ""
            # graphql-java locates a variable mismatch at the variable's use only.
            return refusal(worded(match, at), locations[-1:] or None)
    return {"path": None, "locations": locations or None, "message": error.message, "errorType": "ValidationError"}


def syntax_refusal(error: GraphQLError) -> dict[str, Any]:
    """A document that does not parse: graphql-java's InvalidSyntax wording, at the token graphql-core stopped at."""
    source = error.source.body if error.source is not None else ""
    position = next(iter(error.positions or ()), len(source))
    location = error.locations[0] if error.locations else None
    token = _token_at(source, position)
    where = f" at line {location.line} column {location.column}" if location else ""
    return refusal(f"Invalid Syntax : offending token '{token}'{where}", [_location(location.line, location.column)] if location else None)


def _token_at(source: str, position: int) -> str:
    if position >= len(source):
        return "<EOF>"
    if (match := _NAME.match(source, position)) is not None:
        return match.group()
    return source[position]


class NoIntrospection(ValidationRule):
    """AppSync with introspection off: the fields of the introspection types (`__Schema`, `__Type`, ...) are
    undefined, so an introspection query fails validation on each one it selects; `__typename` stays."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.context.get_parent_type()
        if parent is not None and is_introspection_type(parent) and node.name.value != "__typename":
            self.report_error(GraphQLError(f"Cannot query field '{node.name.value}' on type '{parent.name}'.", node))


@dataclass(frozen=True)
class Operation:
    node: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]

    @staticmethod
    def of(document: DocumentNode, operation_name: str | None) -> Operation | None:
        """The operation a request runs, as execution would pick it; None when that is not clear (execution says why)."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        if operation_name is None:
            return Operation(operations[0], fragments) if len(operations) == 1 else None
        named = [operation for operation in operations if operation.name and operation.name.value == operation_name]
        return Operation(named[0], fragments) if len(named) == 1 else None

    def root_fields(self) -> list[FieldNode]:
        """The fields the operation selects at its root, fragments spread in, in the order execution meets them."""
        return list(_fields(self.node.selection_set, self.fragments, frozenset()))

    def depth(self) -> tuple[int, FieldNode | None]:
        """The deepest nesting of fields (a root field is at depth 1) and the field at that depth. Introspection
        fields are left out: INTROSPECTION governs them."""
        memo: dict[str, tuple[int, FieldNode | None]] = {}

        def deepest(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> tuple[int, FieldNode | None]:
            best: tuple[int, FieldNode | None] = (0, None)
            for selection in selection_set.selections if selection_set else ():
                found: tuple[int, FieldNode | None] = (0, None)
                if isinstance(selection, FieldNode):
                    if selection.name.value in INTROSPECTION_FIELDS:
                        continue
                    below, node = deepest(selection.selection_set, visiting)
                    found = (below + 1, node if below else selection)
                elif isinstance(selection, InlineFragmentNode):
                    found = deepest(selection.selection_set, visiting)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visiting or name not in self.fragments:
                        continue  # a cycle or an unknown fragment: validation refuses the document
                    if name not in memo:
                        memo[name] = deepest(self.fragments[name].selection_set, visiting | {name})
                    found = memo[name]
                if found[0] > best[0]:
                    best = found
            return best

        return deepest(self.node.selection_set, frozenset())


def _fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], visiting: frozenset[str]) -> Iterable[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in visiting and name in fragments:
                yield from _fields(fragments[name].selection_set, fragments, visiting | {name})


def root_type_name(schema: GraphQLSchema, operation: OperationDefinitionNode) -> str | None:
    root = schema.get_root_type(operation.operation)
    return root.name if root is not None else None
