"""The local API's IAM principals (local/appsync/auth.py): the operators' user, and the role the stack's own
functions sign with (the event publisher's calls to publishMessageEvent), each checked by botocore's signer."""

from __future__ import annotations

import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.appsync.auth import (
    AWS_IAM,
    FUNCTIONS_ROLE_ARN,
    Authorizer,
    Caller,
    Refusal,
    SigV4Principals,
    SigV4Verifier,
    functions_credentials,
)

URL = "http://127.0.0.1:4000/graphql"
AUTHORIZER = Authorizer("api-key", "LOCALDEVACCESSKEY", "local-dev-secret", "eu-central-1", function_credentials=("local", "local"))


def signed_by(credentials: Credentials, region: str = "eu-central-1") -> tuple[dict[str, str], bytes]:
    """A request signed as the publisher signs it (botocore's SigV4Auth, service appsync)."""
    body = json.dumps({"query": "mutation { publishMessageEvent(event: {}) { id } }"}).encode()
    request = AWSRequest(method="POST", url=URL, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "appsync", region).add_auth(request)
    prepared = request.prepare()
    return {name.lower(): value for name, value in prepared.headers.items()} | {"host": "127.0.0.1:4000"}, body


@pytest.mark.parametrize(
    ("credentials", "user_arn"),
    [
        (Credentials("local", "local", "local"), FUNCTIONS_ROLE_ARN),
        (Credentials("LOCALDEVACCESSKEY", "local-dev-secret"), "arn:aws:iam::000000000000:user/local"),
    ],
)
def test_the_functions_role_and_the_operators_user_are_each_an_iam_caller(credentials: Credentials, user_arn: str) -> None:
    headers, body = signed_by(credentials)
    caller = AUTHORIZER.authenticate("POST", URL, headers, body)
    assert isinstance(caller, Caller) and caller.mode == AWS_IAM and caller.identity is not None and caller.identity["userArn"] == user_arn


@pytest.mark.parametrize("credentials", [Credentials("local", "wrong secret", "local"), Credentials("someone", "local")])
def test_a_wrong_secret_or_an_unknown_key_is_refused(credentials: Credentials) -> None:
    headers, body = signed_by(credentials)
    refused = AUTHORIZER.authenticate("POST", URL, headers, body)
    assert isinstance(refused, Refusal) and refused.error_type in ("InvalidSignatureException", "UnrecognizedClientException")


def test_without_functions_credentials_only_the_operators_user_is_known() -> None:
    headers, body = signed_by(Credentials("local", "local", "local"))
    refused = Authorizer("api-key", "LOCALDEVACCESSKEY", "local-dev-secret", "eu-central-1").authenticate("POST", URL, headers, body)
    assert isinstance(refused, Refusal) and refused.error_type == "UnrecognizedClientException"


def test_the_functions_credentials_are_their_own_and_follow_the_stacks_secret() -> None:
    # GIVEN the stack's secret, THEN its functions' credentials are neither the operators' nor another stack's
    key_id, secret = functions_credentials("local-dev-secret")
    assert key_id != "LOCALDEVACCESSKEY" and secret != "local-dev-secret"
    assert functions_credentials("local-dev-secret") == (key_id, secret)
    assert functions_credentials("another stack's secret")[1] != secret


def test_the_emulated_account_takes_the_operators_and_the_functions_signatures_and_no_other() -> None:
    # GIVEN the guard's principals: the operators' user and the functions' role
    key_id, secret = functions_credentials("local-dev-secret")
    principals = SigV4Principals((SigV4Verifier("LOCALDEVACCESSKEY", "local-dev-secret", "eu-central-1", "appsync"), SigV4Verifier(key_id, secret, "eu-central-1", "appsync")))
    # WHEN each signs, THEN each is verified against its own secret
    for credentials in (Credentials("LOCALDEVACCESSKEY", "local-dev-secret"), Credentials(key_id, secret)):
        assert isinstance(principals.verify("POST", URL, *signed_by(credentials)), Caller)
    # AND the functions' key id with the operators' secret, or an unknown key, is refused
    for credentials in (Credentials(key_id, "local-dev-secret"), Credentials("someone", secret)):
        assert isinstance(principals.verify("POST", URL, *signed_by(credentials)), Refusal)
