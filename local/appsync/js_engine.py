"""QuickJS host for APPSYNC_JS code: our runtime module plus the unmodified resolver files.

The PyPI `quickjs` binding has no module loader (every module it evaluates is named
`<input>`), so `import ... from '@aws-appsync/utils'` cannot be resolved by QuickJS.
The host links those imports itself: each import declaration is replaced, on the
same lines, by a binding to the runtime's module object. Every other byte of the
file runs as written, so line numbers in JS errors match the file on disk.

A QuickJS runtime must only ever be touched from one thread (its stack-overflow check is
relative to the stack it was created on), so the engine keeps "lanes": each one QuickJS
context with every unit loaded, and the one thread that may call into it. `run` puts a whole
piece of work, such as a field's pipeline, on one lane, so that its many handler calls need
no thread hand-off; lanes are added only when that many pieces of work run at once.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import quickjs
from ulid import ULID

T = TypeVar("T")

RUNTIME_SOURCE = Path(__file__).with_name("runtime") / "appsync_runtime.js"
APPSYNC_MODULES = ("@aws-appsync/utils", "@aws-appsync/utils/dynamodb")

# No CPU time limit: the binding refuses to call into Python (ULIDs, clocks, regex)
# while one is set, and lint-clean APPSYNC_JS has no unbounded loops or recursion.
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024

_IMPORT = re.compile(
    r"""^[ \t]*import\s+(?P<clause>[^'";]*?)\s*from\s*(?P<quote>['"])(?P<specifier>[^'"]+)(?P=quote)[ \t]*;?""",
    re.MULTILINE,
)
_BARE_IMPORT = re.compile(r"""^[ \t]*import\s*['"]""", re.MULTILINE)
_NAMESPACE = re.compile(r"^\*\s+as\s+(?P<name>[A-Za-z_$][\w$]*)$")
_NAMED = re.compile(r"^\{(?P<names>[^}]*)\}$")
_NAMED_MEMBER = re.compile(r"^(?P<imported>[A-Za-z_$][\w$]*)(?:\s+as\s+(?P<local>[A-Za-z_$][\w$]*))?$")


class ResolverCodeError(Exception):
    """Resolver code that APPSYNC_JS would reject before running it."""


def link_imports(source: str, unit: str) -> str:
    """Replace the `@aws-appsync/*` import declarations with bindings to our runtime modules."""
    if _BARE_IMPORT.search(source):
        raise ResolverCodeError(f"{unit}: side-effect imports are not supported by APPSYNC_JS")

    def binding(match: re.Match[str]) -> str:
        specifier = match["specifier"]
        if specifier not in APPSYNC_MODULES:
            raise ResolverCodeError(f"{unit}: APPSYNC_JS can only import {' or '.join(APPSYNC_MODULES)}, not {specifier!r}")
        module = f"globalThis.__appsync.modules[{json.dumps(specifier)}]"
        clause = " ".join(match["clause"].split())
        if namespace := _NAMESPACE.match(clause):
            code = f"const {namespace['name']} = {module};"
        elif named := _NAMED.match(clause):
            members = []
            for member in filter(None, (part.strip() for part in named["names"].split(","))):
                parsed = _NAMED_MEMBER.match(member)
                if not parsed:
                    raise ResolverCodeError(f"{unit}: cannot read import member {member!r}")
                local = parsed["local"]
                members.append(f"{parsed['imported']}: {local}" if local else parsed["imported"])
            code = f"const {{ {', '.join(members)} }} = {module};"
        else:
            raise ResolverCodeError(f"{unit}: unsupported import form {clause!r} (use named or namespace imports)")
        # Keep the line count so that error positions still point into the real file.
        return code + "\n" * match.group(0).count("\n")

    return _IMPORT.sub(binding, source)


def iso8601(moment: datetime) -> str:
    """A UTC moment as AppSync writes AWSDateTime values: milliseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_resolver_logger = logging.getLogger("local.resolvers")
_LOG_LEVELS = {"log": logging.INFO, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR, "debug": logging.DEBUG}


def _log_from_resolver(level: str, text: str) -> None:
    _resolver_logger.log(_LOG_LEVELS.get(level, logging.INFO), text)


def _through_json(function):
    """A host callable that takes its arguments and gives its result as JSON text (see `host` in the runtime)."""

    def call(arguments: str) -> str:
        return json.dumps(function(*json.loads(arguments)))

    return call


@dataclass
class Clock:
    """Wall clock for util.time; tests may pin it."""

    fixed_millis: int | None = None

    def now_millis(self) -> int:
        if self.fixed_millis is not None:
            return self.fixed_millis
        return int(datetime.now(UTC).timestamp() * 1000)


@dataclass
class Outcome:
    """What one request or response handler did."""

    kind: str  # value | error | earlyReturn | crash | missing
    value: Any = None
    error: dict[str, Any] = field(default_factory=dict)
    skip_to: str | None = None
    message: str = ""
    stash: dict[str, Any] = field(default_factory=dict)
    appended_errors: list[dict[str, Any]] = field(default_factory=list)
    # What the handler asked of the real-time side through `extensions` (subscriptionFilter, invalidationFilter,
    # invalidations), as the runtime recorded it.
    extensions: dict[str, Any] = field(default_factory=dict)


class _Lane:
    """One QuickJS context and the one thread that may call into it."""

    def __init__(self, engine: JsEngine) -> None:
        self.engine = engine
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quickjs")
        self.context: quickjs.Context = self.thread.submit(self._start).result()
        self.invoke_function = self.context.get("__appsync_invoke")

    def _start(self) -> quickjs.Context:
        _lane_of_thread.lane = self
        return self.engine._create_context()


_lane_of_thread = threading.local()


class JsEngine:
    """The runtime and any number of linked code units, on as many QuickJS lanes as work needs at once."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._modules: dict[str, str] = {}  # unit -> linked source, for lanes added later
        self._lanes: list[_Lane] = []
        self._idle: queue.SimpleQueue[_Lane] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle.put(self._add_lane())

    def _add_lane(self) -> _Lane:
        lane = _Lane(self)
        for source in self._modules.values():
            lane.thread.submit(lane.context.module, source).result()
        self._lanes.append(lane)
        return lane

    def _create_context(self) -> quickjs.Context:
        context = quickjs.Context()
        context.set_memory_limit(MEMORY_LIMIT_BYTES)
        host = {
            "__host_ulid": lambda: str(ULID()),
            # util.matches follows java.util.regex.Pattern; the constructs the resolvers use mean the same in `re`.
            "__host_matches": lambda pattern, value: re.fullmatch(pattern, value) is not None,
            "__host_base64_encode": lambda text: base64.b64encode(text.encode()).decode(),
            "__host_now_millis": self.clock.now_millis,
            "__host_log": _log_from_resolver,
        }
        for name, function in host.items():
            context.add_callable(name, _through_json(function))
        context.module(RUNTIME_SOURCE.read_text())
        return context

    def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on a lane of this engine: every `invoke` it makes calls JavaScript directly."""
        lane = getattr(_lane_of_thread, "lane", None)
        if lane is not None and lane.engine is self:
            return function(*args)
        try:
            lane = self._idle.get_nowait()
        except queue.Empty:
            # Every lane is busy: the server bounds how many requests run at once, and so the lanes.
            with self._lock:
                lane = self._add_lane()
        try:
            return lane.thread.submit(function, *args).result()
        finally:
            self._idle.put(lane)

    def load(self, unit: str, source: str) -> None:
        """Link and evaluate one resolver or function file under the name `unit`."""
        linked = link_imports(source, unit)
        registration = (
            f"\nglobalThis.__appsync.handlers[{json.dumps(unit)}] = "
            "{ request: typeof request === 'function' ? request : undefined, "
            "response: typeof response === 'function' ? response : undefined };\n"
        )
        with self._lock:
            for lane in self._lanes:
                lane.thread.submit(lane.context.module, linked + registration).result()
            self._modules[unit] = linked + registration

    def load_file(self, unit: str, path: Path) -> None:
        self.load(unit, path.read_text())

    def invoke(self, unit: str, phase: str, context: dict[str, Any]) -> Outcome:
        """Run `request` or `response` of a loaded unit against an AppSync-shaped context."""
        if unit not in self._modules:
            raise KeyError(f"code unit {unit!r} is not loaded")
        payload = json.dumps(context)
        outcome = json.loads(self.run(self._call, unit, phase, payload))
        return Outcome(
            kind=outcome["kind"],
            value=outcome.get("value"),
            error=outcome.get("error") or {},
            skip_to=outcome.get("skipTo"),
            message=outcome.get("message", ""),
            stash=outcome.get("stash") or {},
            appended_errors=outcome.get("appendedErrors") or [],
            extensions=outcome.get("extensions") or {},
        )

    @staticmethod
    def _call(unit: str, phase: str, payload: str) -> str:
        result: str = _lane_of_thread.lane.invoke_function(unit, phase, payload)
        return result

    def close(self) -> None:
        for lane in self._lanes:
            lane.thread.shutdown(wait=True)
