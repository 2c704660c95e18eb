"""Emulated AWS for the local stack: a moto server in this process, behind the stack's gates (local/aws/guard.py),
provisioned like the Terraform stack."""

from __future__ import annotations

import base64
import copy
import functools
import io
import json
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS

# moto's server answers any Origin with CORS headers unless told not to, before moto is imported: web pages
# the developer visits must not read the emulated account.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from moto.server import MotoRequestHandler, ThreadedMotoServer
from werkzeug.serving import make_server
from werkzeug.test import run_wsgi_app

from local.appsync.auth import SigV4Principals, SigV4Verifier, functions_credentials
from local.aws.guard import guarded
from local.config import Settings
from local.manifest import Manifest

logger = logging.getLogger(__name__)


class RememberingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host: moto 5.2 works it out again for every request,
    under one lock, by listing its package's folders on disk and then trying its URL patterns in turn. A host's
    backend does not change while the process runs; hosts that find none are still looked up each time. The host
    is the one moto builds from the signed request's service and region, so only a caller holding the stack's
    credentials chooses it; past MAX_HOSTS, new hosts are looked up each time, as moto does."""

    MAX_HOSTS = 1024  # only signed requests get here, but what they name as a host is theirs to choose

    def __init__(self, create_app: Any) -> None:
        super().__init__(create_app)
        self._backends: dict[str, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        known = self._backends.get(host) if host is not None else None
        if known is None:
            known = super().get_backend_for_host(host)
            if known and host is not None and len(self._backends) < self.MAX_HOSTS:
                self._backends[host] = known
        return known


class GuardedMotoServer(ThreadedMotoServer):
    """moto's threaded server on a free loopback port, its application behind the guard. (It overrides the
    one method of moto 5.2's ThreadedMotoServer that builds the application.)"""

    def __init__(self, verifier: SigV4Verifier | SigV4Principals) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.application = guarded(RememberingDispatcher(create_backend_app), verifier)

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self.application, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


class _Body(io.BytesIO):
    """A response body, whole: read, closed or streamed (botocore streams the raw body to read its content)."""

    def stream(self, **_: Any) -> Any:
        yield self.read()


class InProcessCalls:
    """The process's own calls to its moto server handed to the server's application directly, as the signed
    request they are: no socket, no HTTP parsing and no thread per connection on either side, which were most of
    a call's CPU. The guard still checks each (the loopback host, the signature over the body). Calls to any other
    endpoint, and every call from outside the process, go over the network as before."""

    def __init__(self) -> None:
        self._applications: dict[str, Any] = {}

    def serve(self, endpoint_url: str, application: Any) -> None:
        self._applications[urlsplit(endpoint_url).netloc] = application

    def stop(self, endpoint_url: str) -> None:
        self._applications.pop(urlsplit(endpoint_url).netloc, None)

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if not self._applications:
            return None  # no server of this process: every botocore call passes here, so pass at once
        url = urlsplit(request.url)
        application = self._applications.get(url.netloc)
        if application is None:
            return None  # botocore sends it
        body: Any = request.body
        if hasattr(body, "read"):
            body = body.read()
        body = body.encode() if isinstance(body, str) else (body or b"")
        target = url.path or "/"
        raw_uri = target + (f"?{url.query}" if url.query else "")
        environ = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            # As werkzeug's server passes them: the path decoded, and as sent (what the client signed).
            "PATH_INFO": unquote(target).encode().decode("latin-1"),
            "QUERY_STRING": url.query,
            "RAW_URI": raw_uri,
            "REQUEST_URI": raw_uri,
            "SERVER_NAME": url.hostname or "127.0.0.1",
            "SERVER_PORT": str(url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme or "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": url.netloc,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            value = value.decode() if isinstance(value, bytes) else str(value)
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            elif key != "HOST":
                environ[f"HTTP_{key}"] = value
        try:
            chunks, status, headers = run_wsgi_app(application, environ, buffered=True)
            try:
                content = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except Exception as error:  # noqa: BLE001 - any failure of the application is a 500, as over HTTP
            # As moto's HTTP server answers a request its application failed on: a 500, which botocore retries
            # and then raises as a ClientError, never the application's own exception. Logged by its type and
            # where it was raised, not its message, which may quote the request.
            where = traceback.extract_tb(error.__traceback__)[-1]
            logger.error("the emulated AWS failed on a request: %s at %s:%s", type(error).__name__, where.filename, where.lineno)
            return AWSResponse(request.url, 500, HTTPHeaders(), _Body(b""))
        response_headers = HTTPHeaders()
        for name in dict.fromkeys(key for key, _ in headers.items()):
            # A repeated header arrives as one, its values joined, as over HTTP.
            response_headers[name] = ", ".join(headers.getlist(name))
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), response_headers, _Body(content))


_in_process_calls = InProcessCalls()
# botocore gives every session made from now on the handlers of this list; moto adds its own the same way.
BUILTIN_HANDLERS.append(("before-send", _in_process_calls))


@dataclass
class EmulatedAws:
    server: GuardedMotoServer
    endpoint_url: str

    def stop(self) -> None:
        _in_process_calls.stop(self.endpoint_url)
        self.server.stop()


_ITEM_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
_item_write_lock = threading.RLock()


def isolate_dynamodb_transactions() -> None:
    """Make moto's DynamoDB requests isolated from each other, as DynamoDB's are.

    moto applies a transaction item by item and, if one fails, puts back a copy of the whole
    table taken before it started: a write that landed in between is lost, and concurrent
    transactions with one idempotency key could each leave a record. It also updates an item in
    place, action by action, and serialises a read's items after finding them: a read during an
    update could see the new status without the history entry written with it. So each request,
    from parsing to its serialised answer, runs alone, and so does each backend write.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoDBBackend, "_writes_serialised", False):
        return
    for name in _ITEM_WRITES:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    setattr(DynamoHandler, "call_action", _serialised(DynamoHandler.call_action))  # noqa: B010 - moto's method, wrapped
    setattr(DynamoDBBackend, "_writes_serialised", True)  # noqa: B010 - a marker moto's class does not declare


def _serialised(write):
    @functools.wraps(write)
    def locked(*args, **kwargs):
        with _item_write_lock:
            return write(*args, **kwargs)

    return locked


class _TransactionBackups:
    """What moto's DynamoDB backend module sees as `copy`: inside a transaction run by
    roll_back_dynamodb_transactions_by_item, the "copy" of a whole table moto takes to put back on failure is the
    table itself; every other deepcopy is copy's own."""

    active = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if getattr(self.active, "on", False) and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def roll_back_dynamodb_transactions_by_item() -> None:
    """Make a failed moto DynamoDB transaction put back only the items it touched, not a copy of every table.

    moto 5.2 deep-copies each table a transaction names before it starts, to put back if any part fails: every
    transaction's cost grows with everything ever stored (a client's key, an audit record: each a transaction).
    Every DynamoDB request of the stack runs alone (isolate_dynamodb_transactions), so nothing else can change
    the table meanwhile, and putting back what the transaction's own items were is putting back the table.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_rolls_back_by_item", False):
        return
    original_transact = DynamoDBBackend.transact_write_items
    backups = _TransactionBackups()

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _item_write_lock:
            touched = _items_before(self, transact_items)
            backups.active.on = True
            try:
                original_transact(self, transact_items)
            except BaseException:
                _put_back(touched)
                raise
            finally:
                backups.active.on = False

    setattr(models, "copy", backups)  # noqa: B010 - the module's own name for copy, replaced
    DynamoDBBackend.transact_write_items = functools.wraps(original_transact)(transact_write_items)  # type: ignore[method-assign]
    setattr(DynamoDBBackend, "_rolls_back_by_item", True)  # noqa: B010 - a marker moto's class does not declare


def _items_before(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for each item the transaction names, once."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: list[tuple[Any, Any, Any, Any]] = []
    seen: set[tuple[int, Any, Any]] = set()
    for entry in transact_items:
        for operation, parameters in entry.items():
            table: Any = backend.tables.get(parameters.get("TableName")) if isinstance(parameters, dict) else None
            key = parameters.get("Item" if operation == "Put" else "Key") if table is not None else None
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
                continue  # moto refuses it before writing anything for it
            try:
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (IndexError, KeyError, TypeError, ValueError, AttributeError):
                continue  # a malformed key value: moto refuses the transaction for it, as before
            identity = (id(table), hash_key, range_key)
            if identity in seen:
                continue
            seen.add(identity)
            stored = table.get_item(hash_key, range_key)
            touched.append((table, hash_key, range_key, copy.deepcopy(stored) if stored is not None else None))
    return touched


def _put_back(touched: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_key, range_key, before in reversed(touched):
        table.delete_item(hash_key, range_key)
        if before is None:
            continue
        if range_key is None:
            table.items[hash_key] = before
        else:
            table.items[hash_key][range_key] = before
        _index_item(table, before)


_partition_scope = threading.local()


def index_dynamodb_partitions() -> None:
    """Make moto's DynamoDB Query touch only the partition it reads, as DynamoDB's does.

    moto 5.2's Table.query walks `all_items()`: every item of the table, sorted, for every Query, so a read gets
    slower as the table grows (the stack's own config read included). The table's items are already kept by
    partition (`Table.items[hash][range]`); a Query of the table reads that partition. For a global secondary
    index with one partition key attribute this keeps, per table and index, the keys of the items under each
    index partition value: every put adds the item's entries, every update re-adds the updated item's, every
    delete removes them. moto's own query then runs as before on those candidates alone (it checks each one's
    key conditions again, so an entry an update made stale is dropped there): its results, order, paging and
    filters are moto's. Whenever a table's item store is replaced wholesale (moto's own undoing of a failed
    transaction puts back a copy of the table), the index is built again from the items, once.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(Table, "_partitions_indexed", False):
        return
    original_all_items, original_query = Table.all_items, Table.query
    original_put, original_delete = Table.put_item, Table.delete_item
    original_update = DynamoDBBackend.update_item

    def all_items(self: Table) -> list[Any]:
        if getattr(_partition_scope, "table", None) is self:
            # The same order as moto's own: by partition, then sort key.
            return sorted(_partition_scope.items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
        return original_all_items(self)

    def query(
        self: Table,
        hash_key: Any,
        range_comparison: Any,
        range_objs: Any,
        limit: Any,
        exclusive_start_key: Any,
        scan_index_forward: Any,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: Any = None,
        range_key_conditions: Any = None,
        **filter_kwargs: Any,
    ) -> Any:
        # moto 5.2.5's signature, passed on as it came.
        arguments = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward, projection_expressions, index_name, consistent_read, filter_expression)
        named = {"hash_key_conditions": hash_key_conditions, "range_key_conditions": range_key_conditions, **filter_kwargs}
        candidates = _partition_candidates(self, hash_key, index_name, hash_key_conditions)
        if candidates is None:
            return original_query(self, *arguments, **named)
        _partition_scope.table, _partition_scope.items = self, candidates
        try:
            return original_query(self, *arguments, **named)
        finally:
            _partition_scope.table = _partition_scope.items = None

    def put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _index_item(self, item)
        return item

    def delete_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        item = original_delete(self, *args, **kwargs)
        if item is not None:
            _unindex_item(self, item)
        return item

    def update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        # An update changes the stored item in place (or creates it): index what it now holds.
        answer = original_update(self, table_name, key, *args, **kwargs)
        table = self.get_table(table_name)
        stored = table.get_item(_key_value(key, table.hash_key_attr), _key_value(key, table.range_key_attr))
        if stored is not None:
            _index_item(table, stored)
        return answer

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    # Wrapped inside the serialising lock (isolate_dynamodb_transactions wraps the result once more).
    DynamoDBBackend.update_item = functools.wraps(original_update)(update_item)  # type: ignore[method-assign]
    setattr(Table, "_partitions_indexed", True)  # noqa: B010 - a marker moto's class does not declare


def _key_value(key: dict[str, Any], attribute: str | None) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    return DynamoType(key[attribute]) if attribute and attribute in key else None


def _single_hash_indexes(table: Any) -> dict[str, str]:
    """Index name -> its one partition key attribute, for the table's global secondary indexes that have one."""
    found = {}
    for index in table.global_indexes:
        hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        if len(hashes) == 1:
            found[index.name] = hashes[0]
    return found


def _partition_index(table: Any, build: bool) -> dict[str, dict[Any, dict[tuple[Any, Any], None]]] | None:
    """The table's index partitions (index name -> partition value -> item keys), for its current item store;
    built from the items when `build` and there is none for that store."""
    held = getattr(table, "_partition_index", None)
    if held is not None and held[0] is table.items:
        return held[1]
    if not build:
        table._partition_index = None
        return None
    indexes: dict[str, dict[Any, dict[tuple[Any, Any], None]]] = {name: {} for name in _single_hash_indexes(table)}
    table._partition_index = (table.items, indexes)
    for item in _stored_items(table):
        _index_item(table, item)
    return indexes


def _stored_items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _index_item(table: Any, item: Any) -> None:
    indexes = _partition_index(table, build=False)
    if indexes is None:
        return
    for name, attribute in _single_hash_indexes(table).items():
        value = item.attrs.get(attribute)
        if value is not None:
            indexes.setdefault(name, {}).setdefault(value, {})[(item.hash_key, item.range_key)] = None


def _unindex_item(table: Any, item: Any) -> None:
    indexes = _partition_index(table, build=False)
    if indexes is None:
        return
    for name, attribute in _single_hash_indexes(table).items():
        value = item.attrs.get(attribute)
        partition = indexes.get(name, {}).get(value) if value is not None else None
        if partition is not None:
            partition.pop((item.hash_key, item.range_key), None)


def _partition_candidates(table: Any, hash_key: Any, index_name: str | None, hash_key_conditions: Any) -> list[Any] | None:
    """The items a Query can match: its partition's (None: the query is of a kind left to moto's full walk)."""
    if index_name is None:
        if hash_key is None:
            return None
        if hash_key not in table.items:  # (a defaultdict: a lookup would add the partition)
            return []
        partition = table.items[hash_key]
        return list(partition.values()) if table.range_key_attr else [partition]
    conditions = dict(hash_key_conditions or ())
    if any(index.name == index_name for index in table.indexes):
        # A local secondary index shares the table's partitions.
        value = conditions.get(table.hash_key_attr, hash_key)
        return _partition_candidates(table, value, None, None) if value is not None else None
    attribute = _single_hash_indexes(table).get(index_name)
    if attribute is None or set(conditions) != {attribute}:
        return None
    indexes = _partition_index(table, build=True)
    keys = list(((indexes or {}).get(index_name, {}).get(conditions[attribute]) or {}).keys())
    candidates = []
    for hash_value, range_value in keys:
        if hash_value not in table.items:
            continue
        stored = table.items[hash_value].get(range_value) if table.range_key_attr else table.items[hash_value]
        if stored is not None:
            candidates.append(stored)
    return candidates


_SENDING_OPTIONS_PATH = re.compile(r"/v2/email/configuration-sets/(?P<name>[^/]+)/sending$")


def emulate_ses_sending_options() -> None:
    """Teach moto's SES v2 what the guardrail relies on and moto lacks: PutConfigurationSetSendingOptions,
    and SendEmail refusing (SendingPausedException) to send through a configuration set whose sending is off.
    """
    from moto.core.exceptions import JsonRESTError
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    if getattr(SESV2Response, "_sending_options_emulated", False):
        return

    def configuration_set(response: SESV2Response, name: str) -> Any:
        return response.sesv2_backend.core_backend.describe_configuration_set(name)

    def put_configuration_set_sending_options(self: SESV2Response) -> str:
        match = _SENDING_OPTIONS_PATH.search(unquote(urlsplit(self.uri).path))
        if match is None:
            raise ValueError(f"not a sending-options path: {self.uri}")
        # moto keeps a v2 set's SendingOptions.SendingEnabled in `enabled` (and serialises it from there).
        configuration_set(self, match["name"]).enabled = bool(json.loads(self.body or "{}").get("SendingEnabled", False))
        return "{}"

    create_configuration_set = SESV2Response.create_configuration_set

    def create_configuration_set_sending_as_asked(self: SESV2Response) -> Any:
        answer = create_configuration_set(self)
        request = json.loads(self.body or "{}")
        # SES's default is sending on; moto would keep the request's whole SendingOptions object instead.
        sending = request.get("SendingOptions", {}).get("SendingEnabled", True)
        configuration_set(self, request["ConfigurationSetName"]).enabled = bool(sending)
        return answer

    send_email = SESV2Response.send_email

    def send_email_unless_paused(self: SESV2Response) -> Any:
        name = json.loads(self.body or "{}").get("ConfigurationSetName")
        if name and configuration_set(self, name).enabled is False:
            raise JsonRESTError("SendingPausedException", f"Sending is paused for configuration set {name}.")
        return send_email(self)

    SESV2Response.put_configuration_set_sending_options = put_configuration_set_sending_options  # type: ignore[attr-defined]
    SESV2Response.send_email = send_email_unless_paused  # type: ignore[method-assign]
    SESV2Response.create_configuration_set = create_configuration_set_sending_as_asked  # type: ignore[method-assign]
    # The server routes by these paths (its catch-all /v2/.* stops at a slash); in-process mocks need no route.
    urls.url_paths["{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/sending$"] = SESV2Response.dispatch
    SESV2Response._sending_options_emulated = True  # type: ignore[attr-defined]


class _UnusualAttributeValue(Exception):
    """An attribute value not in the wire form DynamoDB answers with: left to moto's own serializer."""


def _base64(value: bytes) -> str:
    return base64.b64encode(value).strip().decode("utf-8")


def _wire_attribute_value(value: Any) -> dict[str, Any]:
    """What moto's JSON serializer writes for one attribute value in the form moto's DynamoDB hands it (a dict of one
    type key, binary values as bytes); _UnusualAttributeValue for anything else, which moto serialises itself."""
    if type(value) is not dict or len(value) != 1:
        raise _UnusualAttributeValue
    ((kind, inner),) = value.items()
    if kind in ("S", "N") and type(inner) is str:
        return {kind: inner}
    if kind in ("NULL", "BOOL") and type(inner) is bool:
        return {kind: inner}
    if kind == "M" and type(inner) is dict and all(type(name) is str and name for name in inner):
        return {"M": {name: _wire_attribute_value(member) for name, member in inner.items()}}
    if kind == "L" and type(inner) is list:
        return {"L": [_wire_attribute_value(member) for member in inner]}
    if kind in ("SS", "NS") and type(inner) is list and all(type(member) is str for member in inner):
        return {kind: list(inner)}
    if kind == "B" and type(inner) is bytes:
        return {"B": _base64(inner)}
    if kind == "BS" and type(inner) is list and all(type(member) is bytes for member in inner):
        return {"BS": [_base64(member) for member in inner]}
    raise _UnusualAttributeValue


def quicken_dynamodb_serialisation() -> None:
    """Serialise moto's DynamoDB answers with their attribute values written directly, as moto's serializer writes them.

    moto 5.2 serialises an answer by walking botocore's output shape, trying up to a dozen names (aliases) for each of
    the ten members of every attribute value: every SMS sendMessage reads the CONFIG/SMS item, thousands of values,
    and a run of SMS sends spent about 40% of the stack's CPU writing them. An attribute
    value in DynamoDB's wire form is written here as it is (binary values base64-encoded, as moto does); any other
    value is left to moto's own walk (tests/local/test_moto_serialisation.py pins the two to the same answers).
    """
    from moto.core.serialize import SERVICE_SPECIFIC_SERIALIZERS, JSONSerializer

    if "json" in SERVICE_SPECIFIC_SERIALIZERS.get("dynamodb", {}):
        return

    class DynamoDBSerializer(JSONSerializer):
        def _serialize_type_structure(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            if key and shape.name == "AttributeValue":
                try:
                    wire = _wire_attribute_value(value)
                except _UnusualAttributeValue:
                    pass
                else:
                    self._default_serialize(serialized, wire, shape, key)
                    return
            super()._serialize_type_structure(serialized, value, shape, key)

    SERVICE_SPECIFIC_SERIALIZERS["dynamodb"] = {"json": DynamoDBSerializer}


def quicken_moto_dispatch() -> None:
    """Keep the names of each moto response class's methods, which moto 5.2 works out again for every request (with
    inspect.getmembers over the class and all it inherits) to check the action asked for is one. Worked out again
    whenever a class or one it inherits from gains or loses an attribute (as emulate_ses_sending_options adds one)."""
    from moto.core import responses

    if getattr(responses, "_dispatch_quickened", False):
        return
    names_of = responses.method_names_from_class
    known: dict[Any, tuple[tuple[int, ...], list[str]]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        shape = tuple(len(vars(base)) for base in clazz.__mro__)
        held = known.get(clazz)
        if held is None or held[0] != shape:
            held = known[clazz] = (shape, names_of(clazz))
        return held[1]

    responses.method_names_from_class = method_names_from_class
    responses._dispatch_quickened = True  # type: ignore[attr-defined]


def quicken_sqs() -> None:
    """Keep moto's SQS work per message constant, as SQS's is.

    moto 5.2's SQS reads the clock as a datetime round trip (now, less the epoch) for every message it looks at,
    and for every message it hands out works out all of its queue's attributes, three walks over every message
    held (visible, in flight, delayed), to read one of them, the retention period: with a thousand messages
    queued, each one received cost milliseconds, and a queue's backlog drained in quadratic time. The same clock
    as a float, and the retention period read from the queue itself; what moto decides is unchanged.
    """
    from moto.core import utils
    from moto.sqs import models

    if getattr(models.SQSBackend, "_quickened", False):
        return
    require_sqs_internals()

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else utils.unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else utils.unix_time_millis(dt)

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())

    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis
    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
    models.SQSBackend._quickened = True  # type: ignore[attr-defined]


class _DeferredPrivateKey:
    """A KMS key's private key, made the first time anything reads it."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name in ("_make", "_key", "_lock"):  # asked before __init__ ran (a copy): not the key's to answer
            raise AttributeError(name)
        with self._lock:
            if self._key is None:
                self._key = self._make()
        return getattr(self._key, name)


def defer_kms_private_keys() -> None:
    """Make moto's symmetric KMS keys without an RSA key pair until one is read.

    moto 5.2 generates a 2048-bit RSA private key for every KMS key, symmetric ones included: the stack's own key
    and the default key DynamoDB makes for its encrypted tables cost a stack's start 0.1 to 0.3 s of CPU, for key
    pairs only Sign, Verify and GetPublicKey read. A symmetric key's pair is made when one of those first reads it;
    an asymmetric key's is made at CreateKey, so a key spec moto refuses is still refused at CreateKey.
    """
    from moto.kms import models

    if getattr(models, "_private_keys_deferred", False):
        return
    if not hasattr(models, "generate_private_key"):
        raise RuntimeError("moto.kms.models.generate_private_key is gone: defer_kms_private_keys (local/aws/emulator.py) patches moto 5.2's")
    generate = models.generate_private_key

    def generate_private_key(key_spec: str) -> Any:
        if key_spec != "SYMMETRIC_DEFAULT":
            return generate(key_spec)
        return _DeferredPrivateKey(lambda: generate(key_spec))

    models.generate_private_key = generate_private_key
    models._private_keys_deferred = True  # type: ignore[attr-defined]


def require_sqs_internals() -> None:
    """Stop at start-up if moto's SQS lacks what `quicken_sqs` replaces or `MotoQueueWaiter` reads.

    None of it is moto's public API (it is moto 5.2's): renamed by an upgrade, the patch would quietly do nothing
    and the waiters would miss every message, so the stack refuses to start and names what it expected.
    """
    import moto
    from moto.sqs import models

    try:
        queue_class: Any = models.Queue  # abstract to type checkers (CloudFormationModel), not at run time
        queue = queue_class("probe", region="us-east-1", account_id="123456789012")
        message: Any = models.Message("probe", "probe")
    except Exception as error:
        raise RuntimeError(f"moto {moto.__version__}: cannot make an SQS Queue and Message as moto 5.2 makes them ({error}); see local/aws/emulator.py") from error
    expected = {
        "moto.sqs.models.unix_time": callable(getattr(models, "unix_time", None)),
        "moto.sqs.models.unix_time_millis": callable(getattr(models, "unix_time_millis", None)),
        "SQSBackend.is_message_valid_based_on_retention_period": callable(getattr(models.SQSBackend, "is_message_valid_based_on_retention_period", None)),
        "SQSBackend.get_queue": callable(getattr(models.SQSBackend, "get_queue", None)),
        "Queue.message_retention_period": hasattr(queue, "message_retention_period"),
        "Queue._messages_lock (a threading.Condition)": isinstance(getattr(queue, "_messages_lock", None), threading.Condition),
        "Queue._messages (a list)": isinstance(getattr(queue, "_messages", None), list),
        "Message.sent_timestamp": hasattr(message, "sent_timestamp"),
        "Message.visible_at": hasattr(message, "visible_at"),
        "Message.delayed_until": hasattr(message, "delayed_until"),
    }
    missing = [name for name, present in expected.items() if not present]
    if missing:
        raise RuntimeError(
            f"moto {moto.__version__}'s SQS has no {', '.join(missing)}: quicken_sqs and MotoQueueWaiter "
            "(local/aws/emulator.py) patch and read moto 5.2's internals; adapt them to this moto"
        )


class MotoQueueWaiter:
    """Waits on one of this process's moto queues until a message can be received: at once when one is sent (moto
    notifies its queue's condition), and when a delayed or in-flight one becomes visible (the earliest such moment,
    read from the queue). A poller that waits here costs nothing while its queue is idle, and picks each message up
    the moment it is due."""

    def __init__(self, queue_url: str) -> None:
        from moto.sqs.models import sqs_backends

        require_sqs_internals()
        _, _, host, account_id, name = queue_url.split("/")
        self._queue = sqs_backends[account_id][host.split(".")[1]].get_queue(name)

    def wait(self, timeout: float, stopping: threading.Event) -> None:
        queue = self._queue
        with queue._messages_lock:
            # Checked under the lock `wake` notifies with: a stop cannot fall between this check and the wait.
            if stopping.is_set():
                return
            due = min((max(message.visible_at, message.delayed_until) for message in queue._messages), default=None)
            # moto counts a message visible once its time is strictly past: wake a millisecond after it.
            left = timeout if due is None else (due - time.time() * 1000 + 1) / 1000
            if left > 0:
                queue._messages_lock.wait(min(left, timeout))

    def wake(self) -> None:
        with self._queue._messages_lock:
            self._queue._messages_lock.notify_all()


def start_moto(settings: Settings) -> EmulatedAws:
    """Start moto on a free loopback port, open only to the stack's credentials and its functions', and point
    every boto3 client of this process at it, signing with the functions' credentials; their calls are answered
    in-process (InProcessCalls)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    functions_key_id, functions_secret = functions_credentials(settings.secret_access_key)
    server = GuardedMotoServer(
        SigV4Principals((SigV4Verifier(settings.access_key_id, settings.secret_access_key), SigV4Verifier(functions_key_id, functions_secret)))
    )
    server.start()
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    _in_process_calls.serve(endpoint_url, server.application)
    # This process's clients are the functions' (the handlers run in it): they sign with the functions' role's
    # credentials, as a Lambda function signs with its role's, so the API tells the event publisher's calls from
    # an operator's (local/appsync/auth.py).
    os.environ.update(AWS_ACCESS_KEY_ID=functions_key_id, AWS_SECRET_ACCESS_KEY=functions_secret)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    return EmulatedAws(server=server, endpoint_url=endpoint_url)


@functools.cache
def _service_models() -> Any:
    """The one loader of botocore's and boto3's service models for every session of this process."""
    return boto3.Session()._session.get_component("data_loader")


def session_sharing_models() -> boto3.Session:
    """A fresh session (its own events, credentials and client config) that reads the service models through the
    process's one loader, which keeps what it has parsed: endpoints, DynamoDB's, SQS's... would otherwise be read
    from disk and parsed again by every session (tens of milliseconds of CPU each, a few sessions a stack). The
    models are data that clients only read, as every client of one session already shares them."""
    session = boto3.Session()
    loader = _service_models()
    session._session.register_component("data_loader", loader)
    session._loader = loader  # what boto3's resources read their models through
    return session


def provision(settings: Settings, manifest: Manifest, session: boto3.Session) -> None:
    """Create what `terraform apply` creates that the local stack uses: tables, the config item, SES set-up,
    the queues, and the stack's KMS key under its alias, which encrypts the webhooks' signing secrets (moto
    emulates KMS's encryption contexts; it does not enforce table or queue encryption, which is proven on the
    Terraform side, tests/terraform). Its clients are made from `session`, which the stack's own clients do not share.
    """
    index_dynamodb_partitions()
    roll_back_dynamodb_transactions_by_item()
    isolate_dynamodb_transactions()
    emulate_ses_sending_options()
    quicken_sqs()
    defer_kms_private_keys()
    quicken_dynamodb_serialisation()
    quicken_moto_dispatch()
    dynamodb = session.client("dynamodb", region_name=settings.table_region)
    for logical_name, table in manifest.tables.items():
        table_name = settings.table_names[logical_name]
        dynamodb.create_table(**table_definition(table_name, table))
        if "ttlAttribute" in table:
            dynamodb.update_time_to_live(
                TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttlAttribute"]}
            )
    for deprecation in settings.deprecations:
        logger.warning(deprecation)
    messages = session.resource("dynamodb", region_name=settings.table_region).Table(settings.table_names["messages"])
    messages.put_item(Item={**manifest.storage.config_item, **settings.delivery_config})
    messages.put_item(Item={**manifest.storage.sms_item, **settings.sms_config})
    # The `default` client, whose LIVE key the API key is (terraform/main.tf writes the same item).
    messages.put_item(Item=settings.default_client_item(manifest))
    sqs = session.client("sqs", region_name=settings.table_region)
    for queue_url in (settings.test_outcomes_queue_url, settings.webhook_queue_url, settings.webhook_dead_letter_queue_url):
        sqs.create_queue(QueueName=queue_url.rsplit("/", 1)[1])
    kms = session.client("kms", region_name=settings.table_region)
    key = kms.create_key(Description=f"Encrypts the {settings.stage} messenger's webhook signing secrets")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=settings.kms_key_alias, TargetKeyId=key)
    sesv2 = session.client("sesv2", region_name=settings.ses_region)
    sesv2.create_configuration_set(ConfigurationSetName=settings.configuration_set, DeliveryOptions={"TlsPolicy": "REQUIRE"})
    for sender in settings.email_senders:
        sesv2.create_email_identity(EmailIdentity=sender)


def delete_expired(settings: Settings, table_name: str, table: dict[str, Any], dynamodb: Any = None) -> int:
    """Delete every item whose TTL attribute lies in the past, as DynamoDB's TTL does (moto does not), with
    `dynamodb` (the stack's stream marks its deletions as TTL's: TableStream.ttl_deleter)."""
    dynamodb = dynamodb or boto3.client("dynamodb", region_name=settings.table_region)
    keys = [table["partitionKey"], table["sortKey"]]
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": "#ttl < :now",
        "ExpressionAttributeNames": {"#ttl": table["ttlAttribute"]},
        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
        "ProjectionExpression": ", ".join(keys),
    }
    deleted = 0
    while True:
        page = dynamodb.scan(**arguments)
        for item in page.get("Items", []):
            dynamodb.delete_item(TableName=table_name, Key={key: item[key] for key in keys})
            deleted += 1
        if "LastEvaluatedKey" not in page:
            return deleted
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_definition(name: str, table: dict) -> dict:
    """CreateTable arguments from a manifest table entry (the same keys and indexes Terraform declares)."""
    key_attributes = {table["partitionKey"], table["sortKey"]}
    indexes = []
    for index_name, index in table.get("indexes", {}).items():
        key_schema = [{"AttributeName": index["partitionKey"], "KeyType": "HASH"}]
        if "sortKey" in index:
            key_schema.append({"AttributeName": index["sortKey"], "KeyType": "RANGE"})
        key_attributes |= {key["AttributeName"] for key in key_schema}
        indexes.append(
            {
                "IndexName": index_name,
                "KeySchema": key_schema,
                "Projection": {"ProjectionType": index.get("projection", "ALL")},
            }
        )
    definition = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": table["partitionKey"], "KeyType": "HASH"},
            {"AttributeName": table["sortKey"], "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [{"AttributeName": attribute, "AttributeType": "S"} for attribute in sorted(key_attributes)],
        "SSESpecification": {"Enabled": True, "SSEType": "KMS"},
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    return definition
