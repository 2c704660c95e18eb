"""QuickJS host for APPSYNC_JS code: our runtime module plus the unmodified resolver files.

The PyPI `quickjs` binding has no module loader (every module it evaluates is named
`<input>`), so `import ... from '@aws-appsync/utils'` cannot be resolved by QuickJS.
The host links those imports itself: each import declaration is replaced, on the
same lines, by a binding to the runtime's module object. Every other byte of the
file runs as written, so line numbers in JS errors match the file on disk.

A QuickJS runtime must only ever be touched from one thread, so each engine owns a
single worker thread and every call into JavaScript is submitted to it.
"""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import quickjs
from ulid import ULID

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


def _millis_to_iso8601(millis: float) -> str:
    return iso8601(datetime.fromtimestamp(int(millis) / 1000, tz=UTC))


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


class JsEngine:
    """One QuickJS context holding the runtime and any number of linked code units."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quickjs")
        self._context: quickjs.Context = self._on_thread(self._create_context)
        self._units: set[str] = set()

    def _on_thread(self, function, *args):
        return self._thread.submit(function, *args).result()

    def _create_context(self) -> quickjs.Context:
        context = quickjs.Context()
        context.set_memory_limit(MEMORY_LIMIT_BYTES)
        host = {
            "__host_ulid": lambda: str(ULID()),
            # util.matches follows java.util.regex.Pattern; the constructs the resolvers use mean the same in `re`.
            "__host_matches": lambda pattern, value: re.fullmatch(pattern, value) is not None,
            "__host_base64_encode": lambda text: base64.b64encode(text.encode()).decode(),
            "__host_now_millis": self.clock.now_millis,
            "__host_epoch_millis_to_iso8601": _millis_to_iso8601,
        }
        for name, function in host.items():
            context.add_callable(name, _through_json(function))
        context.module(RUNTIME_SOURCE.read_text())
        return context

    def load(self, unit: str, source: str) -> None:
        """Link and evaluate one resolver or function file under the name `unit`."""
        linked = link_imports(source, unit)
        registration = (
            f"\nglobalThis.__appsync.handlers[{json.dumps(unit)}] = "
            "{ request: typeof request === 'function' ? request : undefined, "
            "response: typeof response === 'function' ? response : undefined };\n"
        )
        self._on_thread(self._context.module, linked + registration)
        self._units.add(unit)

    def load_file(self, unit: str, path: Path) -> None:
        self.load(unit, path.read_text())

    def invoke(self, unit: str, phase: str, context: dict[str, Any]) -> Outcome:
        """Run `request` or `response` of a loaded unit against an AppSync-shaped context."""
        if unit not in self._units:
            raise KeyError(f"code unit {unit!r} is not loaded")
        payload = json.dumps(context)
        raw = self._on_thread(self._call, unit, phase, payload)
        outcome = json.loads(raw)
        return Outcome(
            kind=outcome["kind"],
            value=outcome.get("value"),
            error=outcome.get("error") or {},
            skip_to=outcome.get("skipTo"),
            message=outcome.get("message", ""),
            stash=outcome.get("stash") or {},
            appended_errors=outcome.get("appendedErrors") or [],
        )

    def _call(self, unit: str, phase: str, payload: str) -> str:
        return self._context.get("__appsync_invoke")(unit, phase, payload)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
