"""AppSync's AWS_LAMBDA authorization, locally: the real authorizer handler, with AppSync's semantics.

The caller's `Authorization` header is the token. A token longer than AppSync's 2,048 characters, or one the
API's identity validation expression does not match, is refused without invoking the function. Otherwise the
function gets AppSync's event (`authorizationToken`, `requestContext`, `requestHeaders`) and answers
`isAuthorized`, `resolverContext` and `ttlOverride`. The answer is cached per token for the API's result TTL
(AUTHORIZER_CACHE_SECONDS; 0 turns caching off) or the function's ttlOverride. A refusal, a fault in the
function or a timeout (10 s, AppSync's limit) refuses the request: AppSync's 401 UnauthorizedException.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from local.aws.lambda_context import LambdaContext

logger = logging.getLogger("local.appsync.lambda_authorizer")

MAX_TOKEN_CHARACTERS = 2048
TIMEOUT_SECONDS = 10.0
LOCAL_API_ID = "localapi"
LOCAL_ACCOUNT_ID = "000000000000"


@dataclass
class LambdaAuthorizer:
    handler: Callable[[Any, Any], Any]
    validation_expression: str
    cache_seconds: int
    function_name: str = "local-authorizer"
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, tuple[float, dict[str, str] | None]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _runner: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=16, thread_name_prefix="authorizer"), repr=False)
    invocations: int = 0

    def authorize(self, token: str, body: bytes, headers: dict[str, str]) -> dict[str, str] | None:
        """The resolverContext the function grants for this token, or None when the request is refused."""
        if len(token) > MAX_TOKEN_CHARACTERS or re.fullmatch(self.validation_expression, token) is None:
            return None
        now = self.clock()
        with self._lock:
            cached = self._cache.get(token)
            if cached is not None and cached[0] > now:
                return cached[1]
        granted, ttl = self._invoke(token, body, headers)
        if ttl > 0:
            with self._lock:
                self._cache[token] = (now + ttl, granted)
        return granted

    def _invoke(self, token: str, body: bytes, headers: dict[str, str]) -> tuple[dict[str, str] | None, int]:
        self.invocations += 1
        event = {"authorizationToken": token, "requestContext": _request_context(body), "requestHeaders": headers}
        context = LambdaContext(function_name=self.function_name, timeout_seconds=TIMEOUT_SECONDS)
        try:
            answer = json.loads(json.dumps(self._runner.submit(self.handler, event, context).result(timeout=TIMEOUT_SECONDS)))
        except FutureTimeout:
            logger.error("the Lambda authorizer timed out: the request is refused")
            return None, 0
        except Exception as error:  # noqa: BLE001 - any failure of the function refuses the request, as in AppSync
            logger.error("the Lambda authorizer failed (%s): the request is refused", type(error).__name__)
            return None, 0
        if not isinstance(answer, dict) or answer.get("isAuthorized") is not True:
            return None, self._ttl(answer)
        resolver_context = answer.get("resolverContext") or {}
        if not isinstance(resolver_context, dict) or not all(isinstance(value, str) for value in resolver_context.values()):
            # AppSync accepts only a flat map of strings.
            logger.error("the Lambda authorizer answered a resolverContext that is not a flat map of strings: refused")
            return None, 0
        return resolver_context, self._ttl(answer)

    def _ttl(self, answer: Any) -> int:
        override = answer.get("ttlOverride") if isinstance(answer, dict) else None
        return int(override) if isinstance(override, int) and not isinstance(override, bool) and override >= 0 else self.cache_seconds

    def close(self) -> None:
        self._runner.shutdown(wait=False, cancel_futures=True)


def _request_context(body: bytes) -> dict[str, Any]:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        request = {}
    request = request if isinstance(request, dict) else {}
    return {
        "apiId": LOCAL_API_ID,
        "accountId": LOCAL_ACCOUNT_ID,
        "requestId": str(uuid.uuid4()),
        "queryString": request.get("query") if isinstance(request.get("query"), str) else "",
        "operationName": request.get("operationName"),
        "variables": request.get("variables") if isinstance(request.get("variables"), dict) else {},
    }
