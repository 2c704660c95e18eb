"""Who is calling: AppSync's API key and AWS_IAM (SigV4) authorization, checked as AppSync checks them.

The API key is compared in constant time. A SigV4 request (service `appsync`) is verified against the
credentials and region the local stack was given (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION;
local defaults otherwise), the IAM user `local`, or against the credentials the stack's own Lambda functions
run with (the emulated account's), their role: the event publisher calls publishMessageEvent as its role does
in AWS. botocore's own signer recomputes the signature over what the client says it signed, so any SigV4
client that works against AppSync works here. A refusal carries AppSync's status and error shape.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.appsync.lambda_authorizer import LambdaAuthorizer

API_KEY = "API_KEY"
AWS_IAM = "AWS_IAM"
AWS_LAMBDA = "AWS_LAMBDA"
SIGV4 = "AWS4-HMAC-SHA256"
# AWS refuses a signature more than 5 minutes away from its own clock.
MAX_CLOCK_SKEW = timedelta(minutes=5)
_AUTHORIZATION = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})")
LOCAL_ACCOUNT_ID = "000000000000"
# The identity of a request the stack's functions sign, as AppSync gives an assumed role's.
FUNCTIONS_ROLE_ARN = f"arn:aws:sts::{LOCAL_ACCOUNT_ID}:assumed-role/local-functions/local"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: how it authenticated, and what AppSync puts in ctx.identity for it."""

    mode: str  # API_KEY | AWS_IAM | AWS_LAMBDA
    identity: dict[str, object] | None = None


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    error_type: str
    message: str

    def body(self) -> dict[str, object]:
        return {"errors": [{"errorType": self.error_type, "message": self.message}]}


@dataclass(frozen=True)
class Authorizer:
    api_key: str
    access_key_id: str
    secret_access_key: str
    region: str
    # The API's default mode (AWS_LAMBDA): a client's key in the Authorization header.
    lambda_authorizer: LambdaAuthorizer | None = None
    # The access key id and secret the stack's functions sign with (their role's), when they differ.
    function_credentials: tuple[str, str] | None = None

    def authenticate(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Caller | Refusal:
        """`headers` with lower-case names, as received."""
        authorization = headers.get("authorization", "")
        if authorization.startswith(SIGV4):
            return self._sigv4(method, url, headers, body, authorization)
        if authorization and self.lambda_authorizer is not None:
            granted = self.lambda_authorizer.authorize(authorization, body, headers)
            if granted is None:
                return UNAUTHORIZED
            return Caller(AWS_LAMBDA, {"resolverContext": granted})
        supplied = headers.get("x-api-key", "")
        if supplied and hmac.compare_digest(supplied.encode(), self.api_key.encode()):
            return Caller(API_KEY)
        return UNAUTHORIZED

    def _sigv4(self, method: str, url: str, headers: dict[str, str], body: bytes, authorization: str) -> Caller | Refusal:
        parsed = _AUTHORIZATION.fullmatch(authorization.strip())
        if parsed is None:
            return _incomplete("the Authorization header is not a SigV4 signature")
        access_key_id, date, region, service, terminal = (parsed["credential"].split("/") + [""] * 5)[:5]
        principals = {self.access_key_id: (self.secret_access_key, f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/local")}
        if self.function_credentials is not None and self.function_credentials[0] != self.access_key_id:
            principals[self.function_credentials[0]] = (self.function_credentials[1], FUNCTIONS_ROLE_ARN)
        if access_key_id not in principals:
            return Refusal(HTTPStatus.FORBIDDEN, "UnrecognizedClientException", "The security token included in the request is invalid.")
        secret_access_key, user_arn = principals[access_key_id]
        if (service, terminal, region) != ("appsync", "aws4_request", self.region):
            return _incomplete(f"the credential scope must be <date>/{self.region}/appsync/aws4_request")
        signed_names = parsed["signed"].split(";")
        if "host" not in signed_names or any(name not in headers for name in signed_names):
            return _incomplete("the signed headers must include host and be present")
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _incomplete("X-Amz-Date is missing or malformed")
        now = datetime.now(UTC)
        if abs(now - signed_at) > MAX_CLOCK_SKEW or not amz_date.startswith(date):
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than {(now - MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} "
                f"({now:%Y%m%dT%H%M%SZ} - 5 min.)",
            )
        expected = self._signature(access_key_id, secret_access_key, method, url, {name: headers[name] for name in signed_names}, body, amz_date)
        if not hmac.compare_digest(expected, parsed["signature"]):
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            )
        return Caller(AWS_IAM, {"accountId": LOCAL_ACCOUNT_ID, "userArn": user_arn, "username": access_key_id, "sourceIp": ["127.0.0.1"]})

    def _signature(self, access_key_id: str, secret_access_key: str, method: str, url: str, signed_headers: dict[str, str], body: bytes, amz_date: str) -> str:
        signer = SigV4Auth(Credentials(access_key_id, secret_access_key), "appsync", self.region)
        request = AWSRequest(method=method, url=url, data=body, headers=signed_headers)
        request.context["timestamp"] = amz_date
        canonical = signer.canonical_request(request)
        return signer.signature(signer.string_to_sign(request, canonical), request)


UNAUTHORIZED = Refusal(HTTPStatus.UNAUTHORIZED, "UnauthorizedException", "You are not authorized to make this call.")


def _incomplete(reason: str) -> Refusal:
    return Refusal(HTTPStatus.FORBIDDEN, "IncompleteSignatureException", f"The request signature is incomplete: {reason}.")
