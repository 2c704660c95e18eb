"""The local APPSYNC_JS runtime against outputs that AWS AppSync's EvaluateCode returned.

The vectors live outside the repository (../shared/conformance), as the data's owner asks;
in a clone without them these tests skip and say so.
"""

from __future__ import annotations

import json
from itertools import count

import pytest

from local.appsync.js_engine import JsEngine
from tests.conftest import SHARED_DIR

VECTORS_FILE = SHARED_DIR / "conformance" / "appsync-js-evaluatecode.json"
MISSING = f"AppSync conformance vectors not found at {VECTORS_FILE} (they are kept outside this repository)"

_unit_numbers = count()


def _vectors() -> list:
    if not VECTORS_FILE.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="vectors-missing")]
    vectors = json.loads(VECTORS_FILE.read_text())["vectors"]
    return [pytest.param(vector, id=vector["name"]) for vector in vectors]


def evaluate(engine: JsEngine, expression: str):
    """Evaluate as EvaluateCode did: the return value of request(ctx) in a module with both imports."""
    unit = f"conformance:{next(_unit_numbers)}"
    engine.load(
        unit,
        "import { util } from '@aws-appsync/utils';\n"
        "import * as ddb from '@aws-appsync/utils/dynamodb';\n"
        f"export function request(ctx) {{ return {expression}; }}\n",
    )
    outcome = engine.invoke(unit, "request", {"args": {}, "stash": {}})
    assert outcome.kind == "value", outcome.message
    return outcome.value


@pytest.mark.parametrize("vector", _vectors())
def test_runtime_reproduces_appsync(engine: JsEngine, vector: dict) -> None:
    # GIVEN an expression and what AppSync returned for it
    # WHEN the local runtime evaluates it
    result = evaluate(engine, vector["expression"])
    # THEN the result is the same JSON (key order aside)
    assert result == vector["expected"]


# Raw strings AppSync returned for util.transform, recorded by localstack/appsync-utils.
RECORDED_TRANSFORMS = [
    (
        "util.transform.toDynamoDBFilterExpression({ content: { contains: 'foo' } })",
        (
            '{"expression":"(contains(#content,:content_contains))","expressionNames":{"#content":"content"},'
            '"expressionValues":{":content_contains":{"S":"foo"}}}'
        ),
    ),
    (
        "util.transform.toDynamoDBConditionExpression({ id: { attributeExists: false } })",
        '{"expression":"(attribute_not_exists(#id))","expressionNames":{"#id":"id"},"expressionValues":{}}',
    ),
]


@pytest.mark.parametrize(("expression", "recorded"), RECORDED_TRANSFORMS)
def test_transform_text_matches_recorded_appsync_output(engine: JsEngine, expression: str, recorded: str) -> None:
    assert json.loads(evaluate(engine, expression)) == json.loads(recorded)


@pytest.mark.parametrize(
    ("filter_object", "expression"),
    [
        ({"a": {"eq": 1}, "b": {"eq": 2}}, "(#a = :a_eq) AND (#b = :b_eq)"),
        ({"v": {"ge": 1, "le": 5}}, "((#v >= :v_ge) AND (#v <= :v_le))"),
        ({"and": [{"a": {"eq": 1}}, {"b": {"eq": 2}}]}, "((#a = :and_0_a_eq) AND (#b = :and_1_b_eq))"),
        ({"not": {"a": {"eq": 1}}}, "(NOT (#a = :not_a_eq))"),
        ({"v": {"between": [1, 2]}}, "(#v BETWEEN :v_between_start AND :v_between_end)"),
        ({"v": {"beginsWith": "x"}}, "(begins_with(#v,:v_beginsWith))"),
        ({"v": {"size": {"gt": 2}}}, "(size(#v) > :v_size_gt)"),
    ],
)
def test_transform_follows_recorded_composition_rules(engine: JsEngine, filter_object: dict, expression: str) -> None:
    result = json.loads(evaluate(engine, f"util.transform.toDynamoDBFilterExpression({json.dumps(filter_object)})"))
    assert result["expression"] == expression


@pytest.mark.parametrize(
    "unrenderable",
    [
        "null",
        "[]",
        "{ v: 'x' }",
        "{ v: { nope: 1 } }",
        "{ and: { a: { eq: 1 } } }",
        "{ v: { between: 'x' } }",
        "{ v: { between: [1] } }",
        "{ v: { attributeExists: 'yes' } }",
        "{ v: { size: 3 } }",
    ],
)
def test_transform_returns_null_for_input_appsync_cannot_render(engine: JsEngine, unrenderable: str) -> None:
    assert evaluate(engine, f"util.transform.toDynamoDBFilterExpression({unrenderable})") == "null"
