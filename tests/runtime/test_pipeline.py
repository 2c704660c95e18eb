"""AppSync's pipeline semantics in the local executor, on a small manifest of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.appsync.datasources import NoneDataSource
from local.appsync.js_engine import JsEngine
from local.appsync.pipeline import FieldError, PipelineExecutor, RequestInfo
from local.manifest import load_manifest

UTILS = "import { util, runtime } from '@aws-appsync/utils';\n"

FILES = {
    "resolver.js": UTILS + """
export function request(ctx) {
  ctx.stash.trail = ['resolver.request'];
  if (ctx.args.mode === 'skipAll') { runtime.earlyReturn({ from: 'resolver' }); }
  return { seed: 1 };
}
export function response(ctx) { ctx.stash.trail.push('resolver.response'); return { result: ctx.prev.result, trail: ctx.stash.trail }; }
""",
    "first.js": UTILS + """
export function request(ctx) {
  ctx.stash.trail.push('first.request');
  if (ctx.args.mode === 'skipFirst') { runtime.earlyReturn({ skipped: 'first' }); }
  if (ctx.args.mode === 'toEnd') { runtime.earlyReturn({ ended: 'first' }, { skipTo: 'END' }); }
  return { payload: { seen: ctx.prev.result } };
}
export function response(ctx) {
  ctx.stash.trail.push('first.response');
  if (ctx.args.mode === 'fail') { util.error('first failed', 'Boom'); }
  if (ctx.args.mode === 'note') { util.appendError('just a note', 'Note'); }
  return ctx.result;
}
""",
    "second.js": UTILS + """
export function request(ctx) { ctx.stash.trail.push('second.request'); return { payload: { after: ctx.prev.result } }; }
export function response(ctx) { ctx.stash.trail.push('second.response'); return { error: ctx.error ?? null, result: ctx.result, prev: ctx.prev.result }; }
""",
}


class FailingDataSource:
    def invoke(self, request):
        return None, {"type": "Test:Failure", "message": "data source down"}


@pytest.fixture
def executor(tmp_path: Path):
    for name, source in FILES.items():
        (tmp_path / name).write_text(source)
    (tmp_path / "schema.graphql").write_text("type Query { run(mode: String): String }")
    (tmp_path / "manifest.json").write_text(json.dumps({
        "schema": "schema.graphql",
        "dataSources": {"NONE": {"type": "NONE"}, "FAILING": {"type": "NONE"}},
        "functions": {"first": {"dataSource": "NONE", "code": "first.js"}, "second": {"dataSource": "FAILING", "code": "second.js"}},
        "resolvers": {"Query.run": {"code": "resolver.js", "pipeline": ["first", "second"]}},
    }))
    engine = JsEngine()
    yield PipelineExecutor(load_manifest(tmp_path / "manifest.json"), engine, {"NONE": NoneDataSource(), "FAILING": FailingDataSource()}, env={})
    engine.close()


def run(executor: PipelineExecutor, mode: str | None = None):
    info = RequestInfo("run", "Query", {}, [], "", {})
    return executor.resolve("Query.run", {"mode": mode}, info)


def test_steps_run_in_order_sharing_the_stash_and_passing_prev_result(executor) -> None:
    result = run(executor).value
    assert result["trail"] == ["resolver.request", "first.request", "first.response", "second.request", "second.response", "resolver.response"]
    # The resolver's request value reaches the first function as ctx.prev.result.
    assert result["result"]["prev"] == {"seen": {"seed": 1}}


def test_a_data_source_error_reaches_only_its_response_handler_and_is_not_raised(executor) -> None:
    result = run(executor).value
    assert result["result"]["error"] == {"type": "Test:Failure", "message": "data source down"}
    assert result["result"]["result"] is None


def test_early_return_in_the_resolver_request_skips_every_function(executor) -> None:
    result = run(executor, "skipAll").value
    assert result == {"result": {"from": "resolver"}, "trail": ["resolver.request", "resolver.response"]}


def test_early_return_in_a_function_request_skips_its_data_source_and_response(executor) -> None:
    result = run(executor, "skipFirst").value
    assert result["trail"] == ["resolver.request", "first.request", "second.request", "second.response", "resolver.response"]
    assert result["result"]["prev"] == {"skipped": "first"}


def test_early_return_to_end_skips_the_remaining_functions(executor) -> None:
    result = run(executor, "toEnd").value
    assert result == {"result": {"ended": "first"}, "trail": ["resolver.request", "first.request", "resolver.response"]}


def test_util_error_stops_the_pipeline_as_a_field_error(executor) -> None:
    with pytest.raises(FieldError) as raised:
        run(executor, "fail")
    assert (raised.value.message, raised.value.error_type) == ("first failed", "Boom")


def test_appended_errors_are_reported_beside_the_result(executor) -> None:
    result = run(executor, "note")
    assert result.value["trail"][-1] == "resolver.response"
    assert [(e.message, e.error_type) for e in result.appended_errors] == [("just a note", "Note")]
