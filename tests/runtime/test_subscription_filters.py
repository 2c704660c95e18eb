"""Subscription filters: util.transform.toSubscriptionFilter in the runtime, `extensions` where AppSync allows it,
and the filters' checks and evaluation (local/appsync/subscription_filters.py), against AWS's documented examples."""

from __future__ import annotations

from typing import Any

import pytest

from local.appsync.js_engine import JsEngine, Outcome
from local.appsync.subscription_filters import (
    FilterError,
    matches,
    matches_arguments,
    validate,
)


def _filter(*groups: list[tuple[str, str, Any]]) -> dict[str, Any]:
    return {"filterGroup": [{"filters": [{"fieldName": f, "operator": o, "value": v} for f, o, v in group]} for group in groups]}


@pytest.fixture
def js():
    engine = JsEngine()
    engine.load(
        "resolver:Subscription.probe",
        "import { util, extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { if (ctx.args.inRequest) { extensions.setSubscriptionFilter({ filterGroup: [] }); } return {}; }\n"
        "export function response(ctx) {\n"
        "  const built = util.transform.toSubscriptionFilter(ctx.args.filter, ctx.args.ignored, ctx.args.rules);\n"
        "  if (ctx.args.set) { extensions.setSubscriptionFilter(built); extensions.setSubscriptionInvalidationFilter(built); }\n"
        "  if (ctx.args.invalidate) { extensions.invalidateSubscriptions({ subscriptionField: 'onX', payload: { keyId: 'k' } }); }\n"
        "  return built;\n"
        "}\n",
    )
    engine.load(
        "resolver:Mutation.probe",
        "import { extensions } from '@aws-appsync/utils';\n"
        "export function request() { return {}; }\n"
        "export function response(ctx) { extensions.invalidateSubscriptions(ctx.args.invalidation); return null; }\n",
    )
    yield engine
    engine.close()


def _run(js: JsEngine, unit: str, phase: str, args: dict[str, Any]) -> Outcome:
    parent = unit.split(":")[1].split(".")[0]
    return js.invoke(unit, phase, {"args": args, "stash": {}, "info": {"fieldName": "probe", "parentTypeName": parent}})


# --- util.transform.toSubscriptionFilter -----------------------------------------------------------------------


def test_to_subscription_filter_gives_the_groups_of_aws_documented_example(js: JsEngine) -> None:
    # GIVEN AWS's example of argument 1 (util.transform, "Subscription filter arguments")
    documented = {
        "percentageUp": {"lte": 50, "gte": 20},
        "and": [{"title": {"ne": "Book1"}}, {"downvotes": {"gt": 2000}}],
        "or": [{"author": {"eq": "Admin"}}, {"isPublished": {"eq": False}}],
    }
    # WHEN the runtime converts it
    outcome = _run(js, "resolver:Subscription.probe", "response", {"filter": documented})
    # THEN it is AWS's documented output: four groups, in that order
    common = [("title", "ne", "Book1"), ("downvotes", "gt", 2000)]
    assert outcome.kind == "value", outcome.message
    assert outcome.value == _filter(
        [("percentageUp", "lte", 50), *common, ("author", "eq", "Admin")],
        [("percentageUp", "lte", 50), *common, ("isPublished", "eq", False)],
        [("percentageUp", "gte", 20), *common, ("author", "eq", "Admin")],
        [("percentageUp", "gte", 20), *common, ("isPublished", "eq", False)],
    )


def test_to_subscription_filter_nests_or_inside_and(js: JsEngine) -> None:
    # GIVEN the enhanced-filtering guide's shape: an or of two and-ed groups
    documented = {"or": [{"severity": {"ge": 7}, "priority": {"in": ["high", "medium"]}}, {"category": {"eq": "security"}}]}
    # WHEN it is converted
    outcome = _run(js, "resolver:Subscription.probe", "response", {"filter": documented})
    # THEN each alternative is one group
    assert outcome.value == _filter([("severity", "ge", 7), ("priority", "in", ["high", "medium"])], [("category", "eq", "security")])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"filter": {"userId": "123"}}, "toSubscriptionFilter: userId must map operators to values"),
        ({"filter": {"a": {"eq": 1}}, "ignored": ["a"]}, "toSubscriptionFilter: ignoredFields is not implemented"),
        ({"filter": {"a": {"eq": 1}}, "rules": {"b": {"eq": 2}}}, "toSubscriptionFilter: rules is not implemented"),
        ({"filter": {"or": []}}, '"or" takes a non-empty array'),
    ],
)
def test_to_subscription_filter_fails_loudly_on_what_it_does_not_implement(js: JsEngine, args: dict[str, Any], expected: str) -> None:
    # WHEN a form the runtime does not implement (or AWS does not document) is converted
    outcome = _run(js, "resolver:Subscription.probe", "response", args)
    # THEN the handler crashes with the reason, rather than building a filter AppSync might read otherwise
    assert outcome.kind == "crash"
    assert expected in outcome.message


# --- extensions ----------------------------------------------------------------------------------------------


def test_a_subscription_resolvers_response_sets_both_filters(js: JsEngine) -> None:
    # WHEN a subscription resolver's response handler sets its filters
    outcome = _run(js, "resolver:Subscription.probe", "response", {"filter": {"clientId": {"eq": "c"}}, "set": True})
    # THEN the host receives both, as set
    assert outcome.extensions == {"subscriptionFilter": _filter([("clientId", "eq", "c")]), "invalidationFilter": _filter([("clientId", "eq", "c")])}


@pytest.mark.parametrize(
    ("unit", "phase", "args", "expected"),
    [
        ("resolver:Subscription.probe", "request", {"inRequest": True}, "setSubscriptionFilter may be called only in the response handler of a Subscription resolver"),
        ("resolver:Subscription.probe", "response", {"filter": {"a": {"eq": 1}}, "invalidate": True}, "invalidateSubscriptions may be called only in the response handler of a Mutation resolver"),
        ("resolver:Mutation.probe", "response", {"invalidation": {"subscriptionField": "onX"}}, "takes { subscriptionField: string, payload: object }"),
        ("resolver:Mutation.probe", "response", {"invalidation": {"subscriptionField": "onX", "payload": {}, "extra": 1}}, "extensions.invalidateSubscriptions: extra is not implemented"),
    ],
)
def test_extensions_refuse_calls_where_appsync_documents_none(js: JsEngine, unit: str, phase: str, args: dict[str, Any], expected: str) -> None:
    # WHEN an extension is called where AWS does not allow it, or with an argument it does not take
    outcome = _run(js, unit, phase, args)
    # THEN the handler fails with the reason
    assert outcome.kind == "crash"
    assert expected in outcome.message


def test_a_mutation_resolvers_response_records_each_invalidation(js: JsEngine) -> None:
    # WHEN a mutation resolver's response handler invalidates subscriptions
    outcome = _run(js, "resolver:Mutation.probe", "response", {"invalidation": {"subscriptionField": "onMessageStatus", "payload": {"keyId": "K1"}}})
    # THEN the host receives the field and payload
    assert outcome.kind == "value"
    assert outcome.extensions == {"invalidations": [{"subscriptionField": "onMessageStatus", "payload": {"keyId": "K1"}}]}


# --- evaluation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "payload", "expected"),
    [
        # AWS's examples ("Extensions", the operator table), each passing and failing.
        ("eq", "AWS AppSync", {"service": "AWS AppSync"}, True),
        ("eq", "AWS AppSync", {"service": "aws appsync"}, False),  # case sensitive
        ("ne", "AWS AppSync", {"service": "Other"}, True),
        ("ne", "AWS AppSync", {"service": "AWS AppSync"}, False),
        ("le", 5, {"size": 5}, True),
        ("lt", 5, {"size": 5}, False),
        ("ge", 5, {"size": 5}, True),
        ("gt", 5, {"size": 5}, False),
        ("gt", "b", {"size": "c"}, True),
        ("contains", 10, {"seats": [9, 10]}, True),
        ("contains", 10, {"seats": [9, 11]}, False),
        ("contains", "launch", {"event": "a launch today"}, True),
        ("notContains", 10, {"seats": [9, 11]}, True),
        ("notContains", "launch", {"event": "a launch today"}, False),
        ("beginsWith", "AWS", {"service": "AWS AppSync"}, True),
        ("beginsWith", "AWS", {"service": "Amazon AWS"}, False),
        ("in", [1, 2, 3], {"severity": 2}, True),
        ("in", [1, 2, 3], {"severity": 4}, False),
        ("notIn", [1, 2, 3], {"severity": 4}, True),
        ("between", [1, 5], {"severity": 4}, True),
        ("between", [1, 5], {"severity": 5}, False),  # AWS: [1, 5] passes 2, 3 and 4
        ("between", [1, 5], {"severity": 1}, False),
        ("containsAny", [10, 15], {"seats": [15, 20, 30]}, True),
        ("containsAny", [10, 15], {"seats": [11, 12]}, False),
        # Types never mix: a number is no string, and true is no 1.
        ("eq", 1, {"size": "1"}, False),
        ("eq", 1, {"size": True}, False),
        ("lt", 5, {"size": "4"}, False),
    ],
)
def test_each_operator_passes_and_fails_as_aws_documents(operator: str, value: Any, payload: dict[str, Any], expected: bool) -> None:
    # GIVEN a one-filter subscription filter on the payload's only field
    (field,) = payload
    groups = validate(_filter([(field, operator, value)]))
    # WHEN a payload is published
    # THEN it passes exactly as documented
    assert matches(groups, payload) is expected


def test_a_group_needs_every_filter_and_the_filter_any_group() -> None:
    # GIVEN AWS's OR example: userId 1, or group Admin or Developer; and an AND group of both
    either = validate(_filter([("userId", "eq", 1)], [("group", "in", ["Admin", "Developer"])]))
    both = validate(_filter([("userId", "eq", 1), ("group", "in", ["Admin", "Developer"])]))
    # THEN a payload matching one side passes the OR and fails the AND
    assert matches(either, {"userId": 2, "group": "Admin"})
    assert not matches(both, {"userId": 2, "group": "Admin"})
    assert matches(both, {"userId": 1, "group": "Developer"})
    assert not matches(either, {"userId": 2, "group": "Guest"})


def test_nested_fields_are_named_with_dots() -> None:
    groups = validate(_filter([("location.address.country", "eq", "USA")]))
    assert matches(groups, {"location": {"address": {"country": "USA"}}})
    assert not matches(groups, {"location": {"address": {"country": "France"}}})
    assert not matches(groups, {"location": None})


def test_a_missing_field_passes_only_the_negative_operators() -> None:
    for operator, value, expected in [("eq", "x", False), ("ne", "x", True), ("beginsWith", "x", False), ("notIn", ["x"], True), ("notContains", "x", True)]:
        assert matches(validate(_filter([("senderId", operator, value)])), {"senderId": None}) is expected, operator


@pytest.mark.parametrize(
    ("subscription_filter", "reason"),
    [
        ({"filterGroup": []}, "non-empty"),
        ({"filterGroup": [{"filters": []}]}, "non-empty list of filters"),
        ({"groups": []}, "filterGroup"),
        (_filter([("a", "like", "x")]), "unknown operator 'like'"),
        (_filter([("a", "in", [1, 2, 3, 4, 5, 6])]), "1 to 5 values"),
        (_filter([("a", "containsAny", list(range(21)))]), "1 to 20 values"),
        (_filter([("a", "between", [1])]), "a pair"),
        (_filter([("a", "beginsWith", 1)]), "is not a string"),
        (_filter([("a", "le", True)]), "is not a number or string"),
        (_filter([("a", "eq", "x" * 257)]), "at most 256 characters"),
        (_filter([("a.b.c.d.e.f", "eq", 1)]), "at most 5 levels"),
        (_filter([(name, "eq", 1) for name in "abcdef"]), "at most 5 fields"),
        (_filter(*[[("a", "eq", n)] for n in range(11)]), "at most 10 groups"),
        # `in` counts as one group per value: 3 x 4 = 12 groups.
        (_filter([("a", "in", [1, 2, 3]), ("b", "in", [1, 2, 3, 4])]), "at most 10 groups"),
    ],
)
def test_a_filter_beyond_appsyncs_documented_limits_is_refused(subscription_filter: dict[str, Any], reason: str) -> None:
    with pytest.raises(FilterError, match=reason):
        validate(subscription_filter)


def test_the_largest_documented_filter_is_accepted() -> None:
    # 5 fields in a group; in's 5 values times 2 groups = 10 evaluated groups; containsAny's 20 values.
    group = [("a", "in", [1, 2, 3, 4, 5]), ("b", "containsAny", list(range(20))), ("c.d.e.f.g", "eq", "x" * 256), ("d", "ne", True), ("e", "between", ["a", "z"])]
    assert len(validate(_filter(group, group))) == 2


def test_basic_filtering_matches_the_arguments_given() -> None:
    # Without an enhanced filter, AppSync matches the arguments the subscriber gave (null ones ignored).
    assert matches_arguments({"senderId": "a", "messageId": None}, {"senderId": "a", "messageId": "m"})
    assert not matches_arguments({"senderId": "a"}, {"senderId": "b"})
