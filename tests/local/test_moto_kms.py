"""moto's KMS as the local stack runs it: `defer_kms_private_keys` makes no RSA key pair for a symmetric key until
something reads it, still makes an asymmetric key's at once, and refuses a moto whose internals it does not find."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.kms import models, utils

from local.aws.emulator import defer_kms_private_keys

REGION = "eu-central-1"


@pytest.fixture
def generated(monkeypatch) -> list[int]:
    """The size of every RSA key pair moto's KMS generates from here on."""
    sizes: list[int] = []
    real = utils.rsa.generate_private_key

    def generate(public_exponent: int, key_size: int) -> Any:
        sizes.append(key_size)
        return real(public_exponent=public_exponent, key_size=key_size)

    monkeypatch.setattr(utils.rsa, "generate_private_key", generate)
    return sizes


@pytest.fixture
def kms() -> Iterator[Any]:
    defer_kms_private_keys()
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


def test_a_symmetric_key_encrypts_and_decrypts_without_an_rsa_key_pair(kms, generated: list[int]) -> None:
    # GIVEN a symmetric key, as the stack makes for its webhooks' secrets, and a table encrypted with DynamoDB's own
    key = kms.create_key(Description="webhook secrets")["KeyMetadata"]["KeyId"]
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
    )
    # WHEN it encrypts and decrypts under an encryption context
    blob = kms.encrypt(KeyId=key, Plaintext=b"whsec", EncryptionContext={"endpoint": "e1"})["CiphertextBlob"]
    plain = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"endpoint": "e1"})["Plaintext"]
    # THEN it encrypts and decrypts, and no key pair was generated for either key
    assert plain == b"whsec"
    assert generated == []


def test_a_symmetric_keys_pair_is_made_when_first_read(kms, generated: list[int]) -> None:
    # GIVEN a symmetric key
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    # WHEN its public key is asked for twice (moto answers with the pair it keeps for every key)
    first = kms.get_public_key(KeyId=key)["PublicKey"]
    second = kms.get_public_key(KeyId=key)["PublicKey"]
    # THEN one 2048-bit pair was made, on the first read, and kept
    assert generated == [2048]
    assert first == second


def test_an_asymmetric_key_gets_its_pair_at_once_and_signs(kms, generated: list[int]) -> None:
    # GIVEN an RSA signing key
    key = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_3072")["KeyMetadata"]["KeyId"]
    # THEN its pair was made at CreateKey
    assert generated == [3072]
    # WHEN it signs, THEN the signature verifies
    signature = kms.sign(KeyId=key, Message=b"m", MessageType="RAW", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    assert kms.verify(KeyId=key, Message=b"m", MessageType="RAW", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")["SignatureValid"]


def test_a_moto_without_the_generator_it_patches_stops_the_stack(monkeypatch) -> None:
    # GIVEN a moto whose KMS models no longer name generate_private_key (and that was never patched)
    monkeypatch.delattr(models, "_private_keys_deferred", raising=False)
    monkeypatch.delattr(models, "generate_private_key")
    # WHEN the stack patches it, THEN it refuses, naming what it expected
    with pytest.raises(RuntimeError, match="generate_private_key"):
        defer_kms_private_keys()
