"""The local stack's SigV4 check (local/appsync/auth.py) against requests botocore's own signer signed, then
tampered with: the payload is the body received, whatever a header says, and the clock window reads as AWS's."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.appsync.auth import AWS_IAM, Authorizer, Caller, Refusal

ACCESS_KEY, SECRET, REGION = "AKIDLOCALTEST", "local-test-secret", "eu-central-1"
URL = "http://127.0.0.1:4000/graphql"
BODY = json.dumps({"query": "{ __typename }"}).encode()
OTHER_BODY = json.dumps({"query": "mutation { eraseRecipient(to: \"x\") { to } }"}).encode()


@pytest.fixture
def authorizer() -> Authorizer:
    return Authorizer("some-api-key", ACCESS_KEY, SECRET, REGION)


def signed_headers(body: bytes, *, content_sha256: str | None = None, at: datetime | None = None) -> dict[str, str]:
    """The headers botocore's SigV4Auth puts on a POST of `body` (with `content_sha256` set before signing)."""
    headers = {"content-type": "application/json"}
    if content_sha256 is not None:
        headers["X-Amz-Content-SHA256"] = content_sha256
    request = AWSRequest(method="POST", url=URL, data=body, headers=headers)
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET), "appsync", REGION)
    if at is None:
        signer.add_auth(request)
    else:
        # add_auth reads the clock itself: sign at another time the way it does, with that time.
        timestamp = at.strftime("%Y%m%dT%H%M%SZ")
        request.context["timestamp"] = timestamp
        request.headers["X-Amz-Date"] = timestamp
        signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        names = signer.signed_headers(signer.headers_to_sign(request))
        request.headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders={names}, Signature={signature}"
    received = {name.lower(): value for name, value in request.headers.items()}
    received["host"] = "127.0.0.1:4000"
    return received


def refusal(answer: Caller | Refusal) -> tuple[HTTPStatus, str, str]:
    assert isinstance(answer, Refusal), answer
    return answer.status, answer.error_type, answer.message


def test_a_request_botocore_signed_is_let_in(authorizer: Authorizer) -> None:
    answer = authorizer.authenticate("POST", URL, signed_headers(BODY), BODY)
    assert isinstance(answer, Caller) and answer.mode == AWS_IAM


def test_a_request_that_signed_its_payload_hash_is_let_in_when_the_hash_is_the_bodys(authorizer: Authorizer) -> None:
    headers = signed_headers(BODY, content_sha256=hashlib.sha256(BODY).hexdigest())
    assert isinstance(authorizer.authenticate("POST", URL, headers, BODY), Caller)


def test_a_body_replaced_after_signing_is_refused_though_the_signed_hash_header_still_names_the_old_one(authorizer: Authorizer) -> None:
    # GIVEN a request signed with its payload hash in x-amz-content-sha256 (a signed header)
    headers = signed_headers(BODY, content_sha256=hashlib.sha256(BODY).hexdigest())
    # WHEN its body is replaced on the way, the headers (and so the signature) left as they were
    answer = authorizer.authenticate("POST", URL, headers, OTHER_BODY)
    # THEN the stack hashes what it received, and refuses with S3's code and wording for this
    assert refusal(answer) == (HTTPStatus.BAD_REQUEST, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")


def test_a_body_replaced_after_signing_without_a_hash_header_fails_the_signature(authorizer: Authorizer) -> None:
    headers = signed_headers(BODY)
    status, error_type, message = refusal(authorizer.authenticate("POST", URL, headers, OTHER_BODY))
    assert (status, error_type) == (HTTPStatus.FORBIDDEN, "InvalidSignatureException")
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


def test_an_unsigned_payload_is_refused_even_with_a_valid_signature_over_it(authorizer: Authorizer) -> None:
    # GIVEN a request botocore signed with UNSIGNED-PAYLOAD as its payload hash (valid as S3 would take it)
    headers = signed_headers(BODY, content_sha256="UNSIGNED-PAYLOAD")
    # WHEN it is checked, THEN it is refused: AppSync signs the payload itself
    status, error_type, _ = refusal(authorizer.authenticate("POST", URL, headers, BODY))
    assert (status, error_type) == (HTTPStatus.FORBIDDEN, "InvalidSignatureException")


def test_an_unsigned_hash_header_that_disagrees_with_the_body_is_refused_too(authorizer: Authorizer) -> None:
    # GIVEN a correctly signed request, WHEN a content hash header that was not signed is added, naming another body
    headers = {**signed_headers(BODY), "x-amz-content-sha256": hashlib.sha256(OTHER_BODY).hexdigest()}
    # THEN it is refused as a mismatch
    assert refusal(authorizer.authenticate("POST", URL, headers, BODY))[1] == "XAmzContentSHA256Mismatch"


def test_a_signature_from_the_future_is_not_yet_current_in_aws_words(authorizer: Authorizer) -> None:
    at = datetime.now(UTC) + timedelta(minutes=7)
    status, error_type, message = refusal(authorizer.authenticate("POST", URL, signed_headers(BODY, at=at), BODY))
    assert (status, error_type) == (HTTPStatus.FORBIDDEN, "InvalidSignatureException")
    assert message.startswith(f"Signature not yet current: {at:%Y%m%dT%H%M%SZ} is still later than ")
    assert message.endswith(" + 5 min.)") and "expired" not in message


def test_a_stale_signature_has_expired_in_aws_words(authorizer: Authorizer) -> None:
    at = datetime.now(UTC) - timedelta(minutes=7)
    status, error_type, message = refusal(authorizer.authenticate("POST", URL, signed_headers(BODY, at=at), BODY))
    assert (status, error_type) == (HTTPStatus.FORBIDDEN, "InvalidSignatureException")
    assert message.startswith(f"Signature expired: {at:%Y%m%dT%H%M%SZ} is now earlier than ") and message.endswith(" - 5 min.)")


def test_a_signature_a_little_ahead_of_the_clock_is_within_the_window(authorizer: Authorizer) -> None:
    at = datetime.now(UTC) + timedelta(minutes=3)
    assert isinstance(authorizer.authenticate("POST", URL, signed_headers(BODY, at=at), BODY), Caller)
