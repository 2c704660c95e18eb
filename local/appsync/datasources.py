"""AppSync data sources, locally: NONE, DynamoDB (request objects to boto3 calls), Lambda (in-process).

Each data source takes the request object a resolver's request handler returned and
gives back what AppSync puts into the response handler's context: `(result, error)`,
where `error` is `{"message", "type"}` as in `ctx.error`.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from local.aws.lambda_context import LambdaContext

Result = tuple[Any, dict[str, str] | None]


class DataSource(Protocol):
    def invoke(self, request: Any) -> Result: ...


class NoneDataSource:
    """The NONE data source hands the request's payload straight to the response handler."""

    def invoke(self, request: Any) -> Result:
        return (request or {}).get("payload"), None


# ---------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------

_deserializer = TypeDeserializer()


def to_wire(value: Any) -> Any:
    """AppSync attribute values (numbers as JSON numbers) to DynamoDB's wire form (numbers as strings)."""
    if isinstance(value, list):
        return [to_wire(member) for member in value]
    if not isinstance(value, dict):
        return value
    converted: dict[str, Any] = {}
    for kind, inner in value.items():
        if kind == "N":
            converted[kind] = _number_text(inner)
        elif kind == "NS":
            converted[kind] = [_number_text(member) for member in inner]
        elif kind == "B":
            converted[kind] = base64.b64decode(inner) if isinstance(inner, str) else inner
        elif kind == "BS":
            converted[kind] = [base64.b64decode(member) if isinstance(member, str) else member for member in inner]
        elif kind in ("L",):
            converted[kind] = [to_wire(member) for member in inner]
        elif kind in ("M",):
            converted[kind] = {name: to_wire(member) for name, member in inner.items()}
        elif isinstance(inner, dict):
            converted[kind] = to_wire(inner)
        else:
            converted[kind] = inner
    return converted


def _number_text(number: Any) -> str:
    if isinstance(number, bool):
        raise TypeError("a DynamoDB number cannot be a boolean")
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _plain(value: Any) -> Any:
    """boto3's deserialized values to JSON: Decimals to int/float, sets to lists, bytes to base64."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(member) for member in value)
    if isinstance(value, list):
        return [_plain(member) for member in value]
    if isinstance(value, dict):
        return {name: _plain(member) for name, member in value.items()}
    if hasattr(value, "value") and isinstance(value.value, bytes):  # boto3 Binary
        return base64.b64encode(value.value).decode()
    return value


def from_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _encode_token(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_evaluated_key).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


@dataclass
class _Expressions:
    """Merges the names and values of several AppSync expression objects into one call's arguments."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, expression: dict[str, Any] | None) -> str | None:
        if not expression:
            return None
        self.names.update(expression.get("expressionNames") or {})
        self.values.update(to_wire(expression.get("expressionValues") or {}))
        return expression["expression"]

    def arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.names:
            arguments["ExpressionAttributeNames"] = self.names
        if self.values:
            arguments["ExpressionAttributeValues"] = self.values
        return arguments


def _optional(arguments: dict[str, Any], **options: Any) -> dict[str, Any]:
    arguments.update({name: value for name, value in options.items() if value is not None})
    return arguments


class DynamoDBDataSource:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def invoke(self, request: dict[str, Any]) -> Result:
        operation = request.get("operation")
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            return None, {"type": "DynamoDB:UnsupportedOperation", "message": f"operation {operation!r} is not supported"}
        try:
            return handler(request), None
        except ClientError as error:
            details = error.response.get("Error", {})
            code = details.get("Code", "Error")
            error_object = {"type": f"DynamoDB:{code}", "message": details.get("Message", "")}
            if code == "ConditionalCheckFailedException":
                return self._after_failed_condition(request, error_object)
            if code == "TransactionCanceledException":
                reasons: list[Any] = list(error.response.get("CancellationReasons") or [])
                return self._cancelled_transaction(reasons), error_object
            return None, error_object

    @staticmethod
    def _cancelled_transaction(reasons: list[dict[str, Any]]) -> dict[str, Any]:
        """AppSync's result for a cancelled transaction: one reason per request item, with the item whose condition failed."""
        cancellation_reasons = []
        for reason in reasons:
            entry = {"type": reason.get("Code", "None"), "message": reason.get("Message") or "None"}
            if "Item" in reason:
                entry["item"] = from_item(reason["Item"])
            cancellation_reasons.append(entry)
        return {"keys": None, "cancellationReasons": cancellation_reasons}

    def _after_failed_condition(self, request: dict[str, Any], error: dict[str, str]) -> Result:
        """AppSync re-reads the item: a put that already holds, or a delete already done, is a success.

        Otherwise the response handler gets the error with the current item as ctx.result.
        """
        consistent = (request.get("condition") or {}).get("consistentRead", True)
        current = from_item(
            self.client.get_item(TableName=self.table_name, Key=to_wire(request["key"]), ConsistentRead=consistent).get("Item")
        )
        operation = request["operation"]
        if operation == "DeleteItem" and current is None:
            return None, None
        if operation == "PutItem" and current is not None:
            ignored = set((request.get("condition") or {}).get("equalsIgnore") or [])
            desired = from_item({**to_wire(request.get("attributeValues") or {}), **to_wire(request["key"])}) or {}
            if {k: v for k, v in current.items() if k not in ignored} == {k: v for k, v in desired.items() if k not in ignored}:
                return current, None
        return current, error

    def _condition(self, request: dict[str, Any], expressions: _Expressions) -> dict[str, Any]:
        condition = expressions.add(request.get("condition"))
        return {"ConditionExpression": condition} if condition else {}

    def _projection(self, request: dict[str, Any], expressions: _Expressions) -> dict[str, Any]:
        projection = expressions.add(request.get("projection"))
        return {"ProjectionExpression": projection} if projection else {}

    def _GetItem(self, request: dict[str, Any]) -> Any:
        expressions = _Expressions()
        arguments = {"TableName": self.table_name, "Key": to_wire(request["key"])}
        arguments |= self._projection(request, expressions) | expressions.arguments()
        _optional(arguments, ConsistentRead=request.get("consistentRead"))
        return from_item(self.client.get_item(**arguments).get("Item"))

    def _PutItem(self, request: dict[str, Any]) -> Any:
        item = {**to_wire(request.get("attributeValues") or {}), **to_wire(request["key"])}
        expressions = _Expressions()
        arguments = {"TableName": self.table_name, "Item": item} | self._condition(request, expressions)
        self.client.put_item(**(arguments | expressions.arguments()))
        return from_item(item)

    def _UpdateItem(self, request: dict[str, Any]) -> Any:
        expressions = _Expressions()
        update = expressions.add(request["update"])
        arguments = {
            "TableName": self.table_name,
            "Key": to_wire(request["key"]),
            "UpdateExpression": update,
            "ReturnValues": "ALL_NEW",
        } | self._condition(request, expressions)
        return from_item(self.client.update_item(**(arguments | expressions.arguments())).get("Attributes"))

    def _DeleteItem(self, request: dict[str, Any]) -> Any:
        expressions = _Expressions()
        arguments = {"TableName": self.table_name, "Key": to_wire(request["key"]), "ReturnValues": "ALL_OLD"}
        arguments |= self._condition(request, expressions)
        return from_item(self.client.delete_item(**(arguments | expressions.arguments())).get("Attributes"))

    def _TransactWriteItems(self, request: dict[str, Any]) -> Any:
        transact_items = []
        for item in request["transactItems"]:
            expressions = _Expressions()
            arguments: dict[str, Any] = {"TableName": item["table"], "Key": to_wire(item["key"])}
            operation = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete", "ConditionCheck": "ConditionCheck"}[item["operation"]]
            if operation == "Put":
                arguments = {"TableName": item["table"], "Item": {**to_wire(item.get("attributeValues") or {}), **to_wire(item["key"])}}
            if operation == "Update":
                arguments["UpdateExpression"] = expressions.add(item["update"])
            condition = item.get("condition")
            if condition:
                arguments["ConditionExpression"] = expressions.add(condition)
                if condition.get("returnValuesOnConditionCheckFailure", True):
                    arguments["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            transact_items.append({operation: arguments | expressions.arguments()})
        self.client.transact_write_items(TransactItems=transact_items)
        return {"keys": [from_item(to_wire(item["key"])) for item in request["transactItems"]], "cancellationReasons": None}

    def _read_page(self, request: dict[str, Any], call: Callable[..., dict], **arguments: Any) -> dict[str, Any]:
        expressions = _Expressions()
        key_condition = expressions.add(request.get("query"))
        if key_condition:
            arguments["KeyConditionExpression"] = key_condition
        filter_expression = expressions.add(request.get("filter"))
        if filter_expression:
            arguments["FilterExpression"] = filter_expression
        arguments |= self._projection(request, expressions) | expressions.arguments()
        token = request.get("nextToken")
        _optional(
            arguments,
            IndexName=request.get("index"),
            Limit=request.get("limit"),
            ConsistentRead=request.get("consistentRead"),
            Select=request.get("select"),
            ExclusiveStartKey=_decode_token(token) if token else None,
        )
        page = call(TableName=self.table_name, **arguments)
        return {
            "items": [from_item(item) for item in page.get("Items", [])],
            "nextToken": _encode_token(page.get("LastEvaluatedKey")),
            "scannedCount": page.get("ScannedCount", 0),
        }

    def _Query(self, request: dict[str, Any]) -> Any:
        forward = request.get("scanIndexForward")
        return self._read_page(request, self.client.query, **({} if forward is None else {"ScanIndexForward": forward}))

    def _Scan(self, request: dict[str, Any]) -> Any:
        return self._read_page(
            request,
            self.client.scan,
            **{
                name: value
                for name, value in (("Segment", request.get("segment")), ("TotalSegments", request.get("totalSegments")))
                if value is not None
            },
        )


# ---------------------------------------------------------------------------
# Lambda
# ---------------------------------------------------------------------------


def load_handler(repo_root: Path, source: str, handler: str) -> Callable[[Any, Any], Any]:
    """The function named by a Lambda `handler` setting (`module.function`) in a source folder."""
    module_name, function_name = handler.rsplit(".", 1)
    return getattr(load_lambda_module(repo_root, source, module_name), function_name)


# Loading puts a Lambda's folder on sys.path for a moment: one load at a time.
_loading = threading.Lock()


def load_lambda_module(repo_root: Path, source: str, module_name: str) -> ModuleType:
    """Import a Lambda's module afresh under a unique name, so each load runs its module-level set-up.

    In Lambda the function's folder is on sys.path, so a module imports the other modules of its folder by
    their plain names. Here those are loaded afresh with it and kept for it alone, as each function has its
    own process: they never stay in sys.modules, where another folder's module of the same name would meet them.
    """
    folder = repo_root / source
    path = folder / f"{module_name.replace('.', '/')}.py"
    unique_name = f"lambda_{source.replace('/', '_')}_{module_name}"
    spec = importlib.util.spec_from_file_location(unique_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load Lambda module {module_name} from {path}")
    module = importlib.util.module_from_spec(spec)
    siblings = {file.stem for file in folder.glob("*.py")}
    with _loading:
        shadowed = {name: sys.modules.pop(name) for name in siblings if name in sys.modules}
        sys.modules[unique_name] = module
        sys.path.insert(0, str(folder))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(folder))
            for name in siblings:
                sys.modules.pop(name, None)
            sys.modules.update(shadowed)
    return module


class LambdaDataSource:
    """Invokes a Python handler in-process with JSON in and out, the way the Lambda service would.

    The function's timeout holds: past it the caller gets Lambda's timeout error, while the
    handler's thread runs on unobserved (a real sandbox would be stopped).
    """

    def __init__(self, function_name: str, handler: Callable[[Any, Any], Any], timeout_seconds: float = 10.0, workers: int = 10) -> None:
        self.function_name = function_name
        self.handler = handler
        self.timeout_seconds = timeout_seconds
        # Like a function's concurrency: more invocations at once wait for a worker.
        self._runner = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=function_name)

    def invoke(self, request: dict[str, Any]) -> Result:
        if request.get("operation") != "Invoke":
            return None, {"type": "Lambda:Unsupported", "message": f"operation {request.get('operation')!r} is not supported"}
        event = json.loads(json.dumps(request.get("payload")))
        context = LambdaContext(function_name=self.function_name, timeout_seconds=self.timeout_seconds)
        running = self._runner.submit(self.handler, event, context)
        try:
            response = running.result(timeout=self.timeout_seconds)
            return json.loads(json.dumps(response)), None
        except FutureTimeout:
            return None, {"type": "Lambda:Unhandled", "message": f"Task timed out after {self.timeout_seconds:.2f} seconds"}
        except Exception as error:  # noqa: BLE001 - any handler failure is a failed invocation, as in Lambda
            return None, {"type": "Lambda:Unhandled", "message": f"{type(error).__name__}: {error}"}
