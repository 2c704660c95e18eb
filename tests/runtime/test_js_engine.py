"""How the QuickJS host links resolver files and reports what their handlers did."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.appsync.js_engine import JsEngine, ResolverCodeError, link_imports


@pytest.fixture
def fresh_engine():
    js = JsEngine()
    yield js
    js.close()


def test_namespace_and_named_imports_become_bindings_on_the_same_lines() -> None:
    # GIVEN a resolver with a multi-line named import and a namespace import
    source = "import {\n  util,\n  runtime as rt\n} from '@aws-appsync/utils';\nimport * as ddb from \"@aws-appsync/utils/dynamodb\";\nexport function request() {}\n"
    # WHEN the host links it
    linked = link_imports(source, "unit")
    # THEN both imports are bound, and every later line keeps its number
    assert "const { util, runtime: rt } = globalThis.__appsync.modules[\"@aws-appsync/utils\"];" in linked
    assert "const ddb = globalThis.__appsync.modules[\"@aws-appsync/utils/dynamodb\"];" in linked
    assert linked.splitlines().index("export function request() {}") == source.splitlines().index("export function request() {}")
    assert "import" not in linked


@pytest.mark.parametrize(
    "source",
    [
        "import lodash from 'lodash';\n",
        "import { x } from './local.js';\n",
        "import 'side-effect';\n",
        "import util from '@aws-appsync/utils';\n",
    ],
)
def test_imports_appsync_would_reject_are_refused(source: str) -> None:
    with pytest.raises(ResolverCodeError):
        link_imports(source, "unit")


def test_util_error_stops_the_handler_with_type_data_and_info(fresh_engine: JsEngine) -> None:
    fresh_engine.load(
        "u",
        "import { util } from '@aws-appsync/utils';\n"
        "export function request(ctx) { ctx.stash.before = 1; util.error('bad', 'Kind', { a: 1 }, { b: 2 }); ctx.stash.after = 1; return {}; }",
    )
    outcome = fresh_engine.invoke("u", "request", {"args": {}, "stash": {}})
    assert outcome.kind == "error"
    assert outcome.error == {"message": "bad", "errorType": "Kind", "data": {"a": 1}, "errorInfo": {"b": 2}}
    assert outcome.stash == {"before": 1}


def test_append_error_keeps_the_return_value(fresh_engine: JsEngine) -> None:
    fresh_engine.load(
        "u",
        "import { util } from '@aws-appsync/utils';\n"
        "export function response(ctx) { util.appendError('note', 'Warn'); return ctx.result; }",
    )
    outcome = fresh_engine.invoke("u", "response", {"args": {}, "stash": {}, "result": {"x": 1}})
    assert outcome.kind == "value" and outcome.value == {"x": 1}
    assert [error["message"] for error in outcome.appended_errors] == ["note"]


def test_early_return_carries_its_value_and_skip_option(fresh_engine: JsEngine) -> None:
    fresh_engine.load(
        "u",
        "import { runtime } from '@aws-appsync/utils';\n"
        "export function request(ctx) { runtime.earlyReturn({ done: true }, { skipTo: 'END' }); return {}; }",
    )
    outcome = fresh_engine.invoke("u", "request", {"args": {}, "stash": {}})
    assert (outcome.kind, outcome.value, outcome.skip_to) == ("earlyReturn", {"done": True}, "END")


def test_a_runtime_exception_is_reported_not_raised(fresh_engine: JsEngine) -> None:
    fresh_engine.load("u", "export function request(ctx) { return ctx.args.missing.deeper; }")
    outcome = fresh_engine.invoke("u", "request", {"args": {}, "stash": {}})
    assert outcome.kind == "crash"
    assert "TypeError" in outcome.message


def test_epoch_milliseconds_survive_the_bridge(fresh_engine: JsEngine) -> None:
    # The binding passes Python ints as 32-bit integers; current epoch milliseconds do not fit.
    fresh_engine.clock.fixed_millis = 1_795_000_000_123
    fresh_engine.load(
        "u",
        "import { util } from '@aws-appsync/utils';\n"
        "export function request() { return [util.time.nowEpochMilliSeconds(), util.time.nowISO8601()]; }",
    )
    assert fresh_engine.invoke("u", "request", {"args": {}, "stash": {}}).value == [1795000000123, "2026-11-18T11:06:40.123Z"]


@pytest.mark.parametrize(
    "expression",
    [
        "ddb.get({ key: { id: 'a' }, projection: ['id'] })",
        "ddb.query({ query: { id: { eq: 'a' } }, filter: { v: { eq: 1 } } })",
        "ddb.transactWrite({ items: [{ deleteItem: { table: 't', key: { id: 'a' } } }] })",
        "ddb.update({ key: { id: 'a' }, update: { address: { city: 'Paris' } } })",
    ],
)
def test_what_the_runtime_does_not_implement_fails_loudly(fresh_engine: JsEngine, expression: str) -> None:
    # The runtime implements only what the resolvers and tests use: beyond that, a handler fails
    # rather than quietly building a request that AppSync would build differently.
    fresh_engine.load(
        "u",
        f"import * as ddb from '@aws-appsync/utils/dynamodb';\nexport function request() {{ return {expression}; }}",
    )
    outcome = fresh_engine.invoke("u", "request", {"args": {}, "stash": {}})
    assert outcome.kind == "crash"
    assert "is not implemented by the local AppSync runtime" in outcome.message


def test_work_running_at_once_gets_a_lane_each_and_later_units_reach_every_lane(fresh_engine: JsEngine) -> None:
    # GIVEN two pieces of work that must both be inside the engine at once (each waits for the other)
    fresh_engine.load("first", "export function request(ctx) { return ctx.args; }")
    together = threading.Barrier(2, timeout=10)

    def work(unit: str, number: int) -> Any:
        value = fresh_engine.invoke(unit, "request", {"args": {"n": number}, "stash": {}}).value
        together.wait()
        return value

    def at_once(unit: str) -> list[Any]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda number: fresh_engine.run(work, unit, number), [1, 2]))

    # WHEN they run, THEN each gets its own lane (one lane could not hold both) and calls JavaScript there
    assert at_once("first") == [{"n": 1}, {"n": 2}]
    # AND a unit loaded afterwards runs on every lane
    fresh_engine.load("later", "export function request(ctx) { return { later: ctx.args.n }; }")
    assert at_once("later") == [{"later": 1}, {"later": 2}]
