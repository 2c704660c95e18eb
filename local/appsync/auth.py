"""Who is calling: AppSync's API key and AWS_IAM (SigV4) authorization, checked as AppSync checks them.

The API key is compared in constant time. A SigV4 request (service `appsync`) is verified against the
credentials and region the local stack was given (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION;
local defaults otherwise): botocore's own signer recomputes the signature over what the client says it
signed, so any SigV4 client that works against AppSync works here. A refusal carries AppSync's status and
error shape.
"""

from __future__ import annotations

import hashlib
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
# The identity of a request the stack's functions sign, as AppSync gives an assumed role's session: the prefix
# names the role (what the CONFIG/DELIVERY item's eventPublisher holds, as Terraform writes the publisher's), the
# rest the session.
FUNCTIONS_ROLE_SESSIONS = f"arn:aws:sts::{LOCAL_ACCOUNT_ID}:assumed-role/local-functions/"
FUNCTIONS_ROLE_ARN = f"{FUNCTIONS_ROLE_SESSIONS}local"
# The access key id the stack's functions sign with (their role's, as a Lambda function's in AWS, never the
# operators' user's): the API then knows the event publisher from an operator.
FUNCTIONS_ACCESS_KEY_ID = "LOCALFUNCTIONSKEY"
CONTENT_SHA256 = "x-amz-content-sha256"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


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
class SigV4Verifier:
    """Checks a SigV4-signed request against one pair of credentials, for one service and region (None: any,
    as the emulated AWS account takes requests for every service and region)."""

    access_key_id: str
    secret_access_key: str
    region: str | None = None
    service: str | None = None
    # Who a verified request comes from, as AppSync names an IAM caller.
    user_arn: str = f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/local"

    def verify(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Caller | Refusal:
        """`headers` with lower-case names, as received; `url` as the client sent it (its path still encoded)."""
        parsed = _AUTHORIZATION.fullmatch(headers.get("authorization", "").strip())
        if parsed is None:
            return _incomplete("the Authorization header is not a SigV4 signature")
        access_key_id, date, region, service, terminal = (parsed["credential"].split("/") + [""] * 5)[:5]
        if access_key_id != self.access_key_id:
            return Refusal(HTTPStatus.FORBIDDEN, "UnrecognizedClientException", "The security token included in the request is invalid.")
        wrong_region = self.region is not None and region != self.region
        wrong_service = self.service is not None and service != self.service
        if terminal != "aws4_request" or not region or not service or wrong_region or wrong_service:
            return _incomplete(f"the credential scope must be <date>/{self.region or '<region>'}/{self.service or '<service>'}/aws4_request")
        signed_names = parsed["signed"].split(";")
        if "host" not in signed_names or any(name not in headers for name in signed_names):
            return _incomplete("the signed headers must include host and be present")
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _incomplete("X-Amz-Date is missing or malformed")
        now = datetime.now(UTC)
        if not amz_date.startswith(date):
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{amz_date[:8]}', from 'x-amz-date'.",
            )
        # AWS's own wording for each side of the window (an SDK's clock-skew retry reads it).
        if signed_at > now + MAX_CLOCK_SKEW:
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "InvalidSignatureException",
                f"Signature not yet current: {amz_date} is still later than {(now + MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} "
                f"({now:%Y%m%dT%H%M%SZ} + 5 min.)",
            )
        if signed_at < now - MAX_CLOCK_SKEW:
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than {(now - MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} "
                f"({now:%Y%m%dT%H%M%SZ} - 5 min.)",
            )
        payload_refused = _payload_refusal(headers.get(CONTENT_SHA256), body)
        if payload_refused is not None:
            return payload_refused
        expected = self._signature(method, url, {name: headers[name] for name in signed_names}, body, amz_date, region, service)
        if not hmac.compare_digest(expected, parsed["signature"]):
            return Refusal(HTTPStatus.FORBIDDEN, "InvalidSignatureException", SIGNATURE_MISMATCH)
        return Caller(AWS_IAM, {"accountId": LOCAL_ACCOUNT_ID, "userArn": self.user_arn, "username": access_key_id, "sourceIp": ["127.0.0.1"]})

    def _signature(self, method: str, url: str, signed_headers: dict[str, str], body: bytes, amz_date: str, region: str, service: str) -> str:
        signer = SigV4Auth(Credentials(self.access_key_id, self.secret_access_key), service, region)
        # The payload's hash is the body's own: a content hash header among the signed ones was checked
        # against the body before, and botocore hashes the body itself when there is none.
        request = AWSRequest(method=method, url=url, data=body, headers=signed_headers)
        request.context["timestamp"] = amz_date
        request.context["payload_signing_enabled"] = True
        canonical = signer.canonical_request(request)
        return signer.signature(signer.string_to_sign(request, canonical), request)


def functions_credentials(secret_access_key: str) -> tuple[str, str]:
    """The stack's functions' access key id and secret, derived from the stack's own secret: whoever may use the
    emulated account (and so could write anything the functions write) can sign as them, no one else."""
    return FUNCTIONS_ACCESS_KEY_ID, hmac.new(secret_access_key.encode(), b"local-functions", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SigV4Principals:
    """Several principals' credentials (the stack's, and its functions'): a request is verified against those
    whose access key id it names, and refused as AWS refuses an unknown key otherwise."""

    verifiers: tuple[SigV4Verifier, ...]

    def verify(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Caller | Refusal:
        key_id = access_key_id_of(headers.get("authorization", ""))
        named = next((verifier for verifier in self.verifiers if verifier.access_key_id == key_id), self.verifiers[0])
        return named.verify(method, url, headers, body)


def access_key_id_of(authorization: str) -> str | None:
    """The access key id a SigV4 Authorization header's credential scope names; None when it is not such a header."""
    parsed = _AUTHORIZATION.fullmatch(authorization.strip())
    return parsed["credential"].split("/", 1)[0] if parsed else None


@dataclass(frozen=True)
class Authorizer:
    """AppSync's three modes: a client's key checked by the Lambda authorizer (AWS_LAMBDA, the default mode), the
    API key, and SigV4 for the service `appsync` in the API's region."""

    api_key: str
    access_key_id: str
    secret_access_key: str
    region: str
    # The API's default mode (AWS_LAMBDA): a client's key in the Authorization header.
    lambda_authorizer: LambdaAuthorizer | None = None
    # The access key id and secret the stack's functions sign with (their role's), when they differ: a request
    # signed with them comes from the functions' role, as the event publisher's does in AWS.
    function_credentials: tuple[str, str] | None = None

    def authenticate(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Caller | Refusal:
        """`headers` with lower-case names, as received."""
        authorization = headers.get("authorization", "")
        if authorization.startswith(SIGV4):
            return self._principals().verify(method, url, headers, body)
        if authorization and self.lambda_authorizer is not None:
            granted = self.lambda_authorizer.authorize(authorization, body, headers)
            return UNAUTHORIZED if granted is None else Caller(AWS_LAMBDA, {"resolverContext": granted})
        supplied = headers.get("x-api-key", "")
        if supplied and hmac.compare_digest(supplied.encode(), self.api_key.encode()):
            return Caller(API_KEY)
        return UNAUTHORIZED


    def _principals(self) -> SigV4Principals:
        operators = SigV4Verifier(self.access_key_id, self.secret_access_key, self.region, "appsync")
        functions = self.function_credentials
        if functions is None or functions[0] == self.access_key_id:
            return SigV4Principals((operators,))
        return SigV4Principals((operators, SigV4Verifier(functions[0], functions[1], self.region, "appsync", FUNCTIONS_ROLE_ARN)))


UNAUTHORIZED = Refusal(HTTPStatus.UNAUTHORIZED, "UnauthorizedException", "You are not authorized to make this call.")


def _payload_refusal(declared: str | None, body: bytes) -> Refusal | None:
    """None when the declared payload hash (if any) is the body's; else AWS's refusal.

    S3 answers a hash that disagrees with XAmzContentSHA256Mismatch and this message; AppSync, like every service
    but S3, signs the payload itself, so `UNSIGNED-PAYLOAD` (and its streaming forms) can never match a signature.
    """
    if declared is None:
        return None
    declared = declared.strip()
    if declared.upper().startswith(("UNSIGNED-PAYLOAD", "STREAMING-")):
        return Refusal(HTTPStatus.FORBIDDEN, "InvalidSignatureException", SIGNATURE_MISMATCH)
    if not hmac.compare_digest(declared.lower().encode(), hashlib.sha256(body).hexdigest().encode()):
        return Refusal(HTTPStatus.BAD_REQUEST, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
    return None


def _incomplete(reason: str) -> Refusal:
    return Refusal(HTTPStatus.FORBIDDEN, "IncompleteSignatureException", f"The request signature is incomplete: {reason}.")
