"""AppSync's subscription filters: the checks when a subscription sets one, and their evaluation on a publish.

A filter is what `util.transform.toSubscriptionFilter` builds and `extensions.setSubscriptionFilter` (or
`setSubscriptionInvalidationFilter`) sets: `{"filterGroup": [{"filters": [{"fieldName", "operator", "value"}]}]}`.
A published payload (or an invalidation's payload) passes when any group passes, and a group when every one of
its filters does. The operators, the value types each takes and the limits are AWS's, from the AppSync developer
guide ("Extensions", "Argument: filterJsonObject"; "Defining enhanced subscriptions filters"):

- `fieldName` names a field of the payload, `.` separating the levels of a nested one (at most five levels);
- a filter's strings hold at most 256 characters, and comparisons are case sensitive;
- a group names at most five distinct fields, and a filter at most ten groups, counting each value of an `in`
  as a group of its own (AppSync evaluates `in` as an OR);
- `in` and `notIn` take at most five values, `containsAny` at most twenty.

Where the guide says nothing, this module decides, and says so: a field the payload lacks (or holds null) passes
`ne`, `notContains` and `notIn` and fails every other operator; values of different types never compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_GROUPS = 10
MAX_FIELDS_PER_GROUP = 5
MAX_LIST_VALUES = {"in": 5, "notIn": 5, "containsAny": 20}
MAX_STRING = 256
MAX_DEPTH = 5

_SCALAR_OPERATORS = {"eq", "ne", "le", "lt", "ge", "gt", "contains", "notContains", "beginsWith"}
_LIST_OPERATORS = {"in", "notIn", "containsAny"}
OPERATORS = _SCALAR_OPERATORS | _LIST_OPERATORS | {"between"}


class FilterError(ValueError):
    """A filter AppSync would not accept."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(field: str, operator: str, value: Any) -> None:
    def scalar(item: Any, kinds: str) -> None:
        allowed = _is_number(item) or isinstance(item, str) or ("bool" in kinds and isinstance(item, bool))
        if not allowed:
            raise FilterError(f"{field} {operator}: {item!r} is not a {kinds}")
        if isinstance(item, str) and len(item) > MAX_STRING:
            raise FilterError(f"{field} {operator}: a string may hold at most {MAX_STRING} characters")

    if operator in ("eq", "ne"):
        scalar(value, "number, string or bool")
    elif operator == "beginsWith":
        if not isinstance(value, str):
            raise FilterError(f"{field} beginsWith: {value!r} is not a string")
        scalar(value, "string")
    elif operator in _SCALAR_OPERATORS:
        scalar(value, "number or string")
    elif operator == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise FilterError(f"{field} between: a pair [low, high] is expected")
        for item in value:
            scalar(item, "number or string")
    else:
        limit = MAX_LIST_VALUES[operator]
        if not isinstance(value, list) or not value or len(value) > limit:
            raise FilterError(f"{field} {operator}: a list of 1 to {limit} values is expected")
        for item in value:
            scalar(item, "number or string")


def validate(subscription_filter: Any) -> list[list[dict[str, Any]]]:
    """The filter's groups, each a list of filters; FilterError for anything AppSync would refuse."""
    if not isinstance(subscription_filter, Mapping) or set(subscription_filter) != {"filterGroup"}:
        raise FilterError('a subscription filter is {"filterGroup": [{"filters": [...]}, ...]}')
    groups = subscription_filter["filterGroup"]
    if not isinstance(groups, list) or not groups:
        raise FilterError("filterGroup must be a non-empty list")
    checked: list[list[dict[str, Any]]] = []
    evaluated_groups = 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, Mapping) else None
        if not isinstance(filters, list) or not filters:
            raise FilterError("each filterGroup entry holds a non-empty list of filters")
        fields: set[str] = set()
        expansion = 1
        for entry in filters:
            if not isinstance(entry, Mapping) or set(entry) != {"fieldName", "operator", "value"}:
                raise FilterError("a filter is {fieldName, operator, value}")
            field, operator, value = entry["fieldName"], entry["operator"], entry["value"]
            if not isinstance(field, str) or not field or field.count(".") >= MAX_DEPTH or len(field) > MAX_STRING:
                raise FilterError(f"fieldName {field!r}: a field name, at most {MAX_DEPTH} levels deep")
            if operator not in OPERATORS:
                raise FilterError(f"{field}: unknown operator {operator!r} (one of {', '.join(sorted(OPERATORS))})")
            _check_value(field, operator, value)
            fields.add(field)
            if operator == "in":
                expansion *= len(value)
        if len(fields) > MAX_FIELDS_PER_GROUP:
            raise FilterError(f"a filter group may name at most {MAX_FIELDS_PER_GROUP} fields")
        evaluated_groups += expansion
        checked.append([dict(entry) for entry in filters])
    if evaluated_groups > MAX_GROUPS:
        raise FilterError(f"a filter may hold at most {MAX_GROUPS} groups (each value of an `in` counts as one)")
    return checked


_MISSING = object()


def _field_value(payload: Mapping[str, Any], field: str) -> Any:
    value: Any = payload
    for part in field.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return _MISSING if value is None else value


def _same_kind(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    return (_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))


def _equal(left: Any, right: Any) -> bool:
    return _same_kind(left, right) and left == right


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, list):
        return any(_equal(element, item) for element in container)
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    return _equal(container, item)


def _passes(actual: Any, operator: str, expected: Any) -> bool:
    if actual is _MISSING:
        return operator in ("ne", "notContains", "notIn")
    if operator == "eq":
        return _equal(actual, expected)
    if operator == "ne":
        return not _equal(actual, expected)
    if operator in ("le", "lt", "ge", "gt"):
        if not _same_kind(actual, expected) or isinstance(actual, bool):
            return False
        return {"le": actual <= expected, "lt": actual < expected, "ge": actual >= expected, "gt": actual > expected}[operator]
    if operator == "contains":
        return _contains(actual, expected)
    if operator == "notContains":
        return not _contains(actual, expected)
    if operator == "beginsWith":
        return isinstance(actual, str) and actual.startswith(expected)
    if operator == "in":
        return any(_equal(actual, option) for option in expected)
    if operator == "notIn":
        return not any(_equal(actual, option) for option in expected)
    if operator == "between":
        # AWS's example: [1, 5] passes "values 2, 3, 4", so both ends are excluded.
        low, high = expected
        return _same_kind(actual, low) and _same_kind(actual, high) and low < actual < high
    if operator == "containsAny":
        return isinstance(actual, list) and any(_contains(actual, option) for option in expected)
    raise FilterError(f"unknown operator {operator!r}")


def matches(groups: list[list[dict[str, Any]]], payload: Mapping[str, Any]) -> bool:
    """Whether `payload` passes the filter whose `validate`d groups these are."""
    return any(
        all(_passes(_field_value(payload, entry["fieldName"]), entry["operator"], entry["value"]) for entry in group) for group in groups
    )


def matches_arguments(arguments: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """AppSync's basic filtering, for a subscription whose resolver set no filter: every argument the subscriber
    gave (not null) equals the payload's field of the same name."""
    return all(value is None or payload.get(name) == value for name, value in arguments.items())
