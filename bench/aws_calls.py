"""The AWS calls a process makes, recorded as botocore makes them, and replayed.

`CallRecorder` wraps botocore's `BaseClient._make_api_call`, which every call of every boto3 client goes
through, while it is installed: each call is kept with its service, region, operation and parameters (as
the caller passed them: for the plain clients the stack, its handlers and the benchmarks use, DynamoDB's
wire form), and whether it failed. Callbacks see each call before it is made and after it answered.

`prepare` turns recorded calls into new ones: the same operations with the same parameters, but with the
strings that made them one request's (its recipient, its message id) swapped for fresh ones, so that what
the recorded request's conditions required holds again (a new record's key, a PENDING record to update).
`Replayer` makes them through boto3 against a given endpoint.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore import xform_name
from botocore.client import BaseClient
from botocore.exceptions import ClientError


@dataclass
class ApiCall:
    service: str  # botocore's service name: dynamodb, sesv2, sns
    region: str
    operation: str  # the API's name: PutItem, SendEmail
    params: dict[str, Any]
    thread: str = ""
    error: str | None = None  # the error code, when the call failed
    response: dict[str, Any] | None = None  # what it answered (kept only when a recorder is asked to)
    notes: dict[str, Any] = field(default_factory=dict)  # for callbacks: what they saw before the call

    @property
    def table(self) -> str | None:
        return self.params.get("TableName")

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "region": self.region, "operation": self.operation, "params": self.params, "thread": self.thread, "error": self.error}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiCall:
        return cls(data["service"], data["region"], data["operation"], data["params"], data.get("thread", ""), data.get("error"))


_install_lock = threading.Lock()
_active: CallRecorder | None = None
# Every call of every client goes through this method (botocore's stubs do not declare it).
_PATCHED = "_make_api_call"
_original_make_api_call = getattr(BaseClient, _PATCHED)


def _recording_make_api_call(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    recorder = _active
    if recorder is None or recorder.ignore(client):
        return _original_make_api_call(client, operation_name, api_params)
    call = ApiCall(
        service=client.meta.service_model.service_name,
        region=client.meta.region_name,
        operation=operation_name,
        params=copy.deepcopy(api_params),
        thread=threading.current_thread().name,
    )
    if recorder.skips(call):
        return _original_make_api_call(client, operation_name, api_params)
    if recorder.before:
        recorder.before(call)
    try:
        parsed = _original_make_api_call(client, operation_name, api_params)
    except ClientError as error:
        call.error = error.response.get("Error", {}).get("Code") or "Error"
        recorder.finish(call, dict(error.response))
        raise
    recorder.finish(call, parsed)
    return parsed


class CallRecorder:
    """Every AWS call any boto3 client of this process makes while installed (one recorder at a time).

    before(call) runs before a call is made, after(call) once it answered (call.response then holds the
    answer, or the error response). `ignore(client)` leaves a client's calls alone (a benchmark's own
    reads); `skip_threads` the calls made on threads of those names (a stack's scheduled jobs), or on the
    worker threads of a pool of that name (ThreadPoolExecutor names them `<name>_<n>`: a local Lambda's runs).
    """

    def __init__(
        self,
        before: Callable[[ApiCall], None] | None = None,
        after: Callable[[ApiCall], None] | None = None,
        ignore: Callable[[BaseClient], bool] = lambda client: False,
        skip_threads: frozenset[str] = frozenset(),
        keep_responses: bool = False,
    ) -> None:
        self.before, self.after, self.ignore = before, after, ignore
        self.skip_threads = skip_threads
        self.keep_responses = keep_responses
        self._lock = threading.Lock()
        self._calls: list[ApiCall] = []

    def skips(self, call: ApiCall) -> bool:
        return call.thread in self.skip_threads or call.thread.rpartition("_")[0] in self.skip_threads

    def finish(self, call: ApiCall, response: dict[str, Any]) -> None:
        call.response = response
        if self.after:
            self.after(call)
        if not self.keep_responses:
            call.response = None
        with self._lock:
            self._calls.append(call)

    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> list[ApiCall]:
        with self._lock:
            calls, self._calls = self._calls, []
        return calls

    def install(self) -> None:
        global _active
        with _install_lock:
            if _active is not None:
                raise RuntimeError("another CallRecorder is installed")
            _active = self
            setattr(BaseClient, _PATCHED, _recording_make_api_call)

    def uninstall(self) -> None:
        global _active
        with _install_lock:
            if _active is self:
                setattr(BaseClient, _PATCHED, _original_make_api_call)
                _active = None

    @contextmanager
    def installed(self) -> Iterator[CallRecorder]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()


# --- Replaying --------------------------------------------------------------------------------


def substitute(value: Any, replacements: dict[str, str]) -> Any:
    """`value` with every string in it (not the names of map keys) having each `replacements` key swapped."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {name: substitute(member, replacements) for name, member in value.items()}
    if isinstance(value, list):
        return [substitute(member, replacements) for member in value]
    return value


def text_forms(old: str, new: str) -> dict[str, str]:
    """Replacements of `old` by `new` as a request may carry them: plain, and base64-encoded (standard and
    URL-safe, with and without padding), as in an email's tags."""
    forms = {old: new}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded_old, encoded_new = encode(old.encode()).decode(), encode(new.encode()).decode()
        forms[encoded_old] = encoded_new
        forms[encoded_old.rstrip("=")] = encoded_new.rstrip("=")
    return forms


def shape(value: Any) -> Any:
    """What a call's parameters are made of, without their text: names, nesting, and the type of each value."""
    if isinstance(value, dict):
        return {name: shape(member) for name, member in value.items()}
    if isinstance(value, list):
        return [shape(member) for member in value]
    return type(value).__name__


def prepare(calls: list[ApiCall], replacements: dict[str, str]) -> list[ApiCall]:
    """The recorded calls again, with `replacements` made in their parameters (see substitute)."""
    return [ApiCall(call.service, call.region, call.operation, substitute(call.params, replacements)) for call in calls]


class Replayer:
    """Makes prepared calls through boto3 against one endpoint (a client per service and region)."""

    def __init__(self, endpoint_url: str, access_key_id: str, secret_access_key: str, max_pool_connections: int = 10) -> None:
        from botocore.config import Config

        self._session: Any = boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key)
        self._endpoint_url = endpoint_url
        self._config = Config(max_pool_connections=max_pool_connections)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            if (service, region) not in self._clients:
                self._clients[(service, region)] = self._session.client(service, region_name=region, endpoint_url=self._endpoint_url, config=self._config)
            return self._clients[(service, region)]

    def make(self, calls: list[ApiCall]) -> list[dict[str, Any]]:
        """Make each call in order; a failed one raises (a replay whose conditions fail measures nothing)."""
        return [getattr(self.client(call.service, call.region), xform_name(call.operation))(**call.params) for call in calls]


def _partition(params: dict[str, Any]) -> str | None:
    """The partition a DynamoDB request reads or writes: its key's, or the first value of a Query's condition."""
    key = params.get("Key") or params.get("Item") or {}
    value = key.get("PK") or next(iter((params.get("ExpressionAttributeValues") or {}).values()), None)
    return str(next(iter(value.values()))) if value else None


def describe(call: ApiCall) -> str:
    """One line for a report: the service and operation; for DynamoDB the index and the partitions."""
    text = f"{call.service} {call.operation}"
    if call.service != "dynamodb":
        return text
    if call.operation == "TransactWriteItems":
        entries = [(kind, _partition(entry)) for item in call.params["TransactItems"] for kind, entry in item.items()]
        return text + " (" + ", ".join(f"{kind} {partition}" for kind, partition in entries) + ")"
    index = call.params.get("IndexName")
    return text + (f" {index}" if index else "") + f" {_partition(call.params)}"
