"""The emulated AWS account (moto's port, printed as `AWS:` in the banner) answers only a loopback host and a
signature by the stack's credentials: a web page, a neighbour or a forged signature reads nothing, and a developer
with the banner's credentials reads the table as `aws --endpoint-url ...` would."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from local.launcher import LocalStackProcess
from tests.e2e.conftest import LocalApi, send

REGION = "eu-central-1"
TABLE = "local-messages"


def raw_scan(api: LocalStackProcess, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """A DynamoDB Scan of the table, POSTed as is to the emulated AWS."""
    body = json.dumps({"TableName": TABLE}).encode()
    request = urllib.request.Request(api.aws_endpoint + "/", data=body, method="POST", headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.Scan", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def signed_scan_headers(api: LocalStackProcess, access_key: str, secret: str, host: str | None = None) -> dict[str, str]:
    """The headers botocore's signer puts on that Scan, for `host` (default: the endpoint's own)."""
    body = json.dumps({"TableName": TABLE}).encode()
    url = api.aws_endpoint.replace("127.0.0.1", host) if host else api.aws_endpoint
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.Scan"})
    SigV4Auth(Credentials(access_key, secret), "dynamodb", REGION).add_auth(request)
    headers = dict(request.headers.items())
    if host:
        headers["Host"] = url.split("//", 1)[1]
    return headers


def banner_credentials(api: LocalStackProcess) -> tuple[str, str]:
    """The access key and secret the banner tells a developer to sign with."""
    match = re.search(r"IAM: .* access key (\S+), secret (\S+)", "".join(api.output))
    assert match, "the banner names the credentials"
    return match[1], match[2]


def test_a_scan_for_another_host_with_a_bogus_signature_reads_nothing(api: LocalApi) -> None:
    # GIVEN a table with records in it
    assert not send(api, to="private.record@example.com", body="x", deliveryMethod="EMAIL").errors
    # WHEN a DNS-rebinding page asks the port for a Scan under its own host name, with a signature it made up
    bogus = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-central-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    status, answer = raw_scan(api, {"Host": "evil.example", "Authorization": bogus, "X-Amz-Date": "20260101T000000Z"})
    # THEN it is refused before moto sees it, and no item comes back
    assert (status, answer["__type"]) == (403, "ForbiddenHost") and "Items" not in answer


@pytest.mark.parametrize(
    ("case", "error_type"),
    [
        ("no signature", "MissingAuthenticationTokenException"),
        ("another access key", "UnrecognizedClientException"),
        ("the right key, another secret", "InvalidSignatureException"),
        ("a signature for another host", "InvalidSignatureException"),
    ],
)
def test_a_loopback_request_not_signed_by_the_stacks_credentials_reads_nothing(api: LocalApi, case: str, error_type: str) -> None:
    key, secret = api.access_key_id, api.secret_access_key
    headers = {
        "no signature": dict,
        "another access key": lambda: signed_scan_headers(api, "AKIDSOMEONEELSE", secret),
        "the right key, another secret": lambda: signed_scan_headers(api, key, "not-the-secret"),
        # Signed for localhost, sent to 127.0.0.1: the signature covers the host.
        "a signature for another host": lambda: {name: value for name, value in signed_scan_headers(api, key, secret, host="localhost").items() if name != "Host"},
    }[case]()
    status, answer = raw_scan(api, headers)
    assert status == 403 and answer["__type"] == error_type and "Items" not in answer


def test_a_developer_with_the_banners_credentials_reads_the_table(api: LocalApi) -> None:
    # GIVEN a message sent, and the credentials the banner prints
    assert not send(api, to="developer.reads@example.com", body="look", deliveryMethod="EMAIL").errors
    key, secret = banner_credentials(api)
    # WHEN a developer's client (botocore, as the AWS CLI) reads the table through the printed endpoint
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=api.aws_endpoint, aws_access_key_id=key, aws_secret_access_key=secret)
    items = dynamodb.query(TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "MESSAGE#developer.reads@example.com"}})["Items"]
    # THEN it gets the record
    assert [item["body"]["S"] for item in items] == ["look"]


def test_a_client_with_other_credentials_gets_a_client_error_not_the_table(api: LocalApi) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=api.aws_endpoint, aws_access_key_id="local", aws_secret_access_key="local")
    with pytest.raises(ClientError) as refused:
        dynamodb.scan(TableName=TABLE)
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
