"""AppSync's authorization directives, enforced on every field the way AppSync enforces them.

The API's default mode is AWS_LAMBDA (a client's key, checked by the Lambda authorizer). A field or type may name the modes it admits (`@aws_api_key`,
`@aws_iam`); a field's directives override its type's; without any, only the default mode is admitted.
A caller in a mode a field does not admit gets AppSync's "Not Authorized to access <field> on type <Type>"
for that field (HTTP 200, `errorType: Unauthorized`), and nothing runs for it.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    default_field_resolver,
)

from local.appsync.auth import API_KEY, AWS_IAM, AWS_LAMBDA
from local.appsync.pipeline import FieldError

DEFAULT_MODE = AWS_LAMBDA
_DIRECTIVE_MODES = {"aws_api_key": API_KEY, "aws_iam": AWS_IAM, "aws_lambda": AWS_LAMBDA}


def _modes(node: Any) -> set[str]:
    directives = getattr(node, "directives", None) or ()
    return {_DIRECTIVE_MODES[d.name.value] for d in directives if d.name.value in _DIRECTIVE_MODES}


def admitted_modes(graphql_type: GraphQLObjectType, field: GraphQLField) -> set[str]:
    """The modes that may read `field`: its own directives, else its type's, else the default mode."""
    return _modes(field.ast_node) or _modes(graphql_type.ast_node) or {DEFAULT_MODE}


def enforce_auth_directives(schema: GraphQLSchema) -> None:
    """Wrap every field of every object type (introspection aside) with its mode check."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field in graphql_type.fields.items():
            field.resolve = _checked(graphql_type.name, name, admitted_modes(graphql_type, field), field.resolve or default_field_resolver)


def _checked(type_name: str, field_name: str, modes: set[str], resolve: Any) -> Any:
    def check(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        if info.context.caller.mode not in modes:
            raise FieldError(message=f"Not Authorized to access {field_name} on type {type_name}", error_type="Unauthorized")
        return resolve(source, info, **args)

    return check
