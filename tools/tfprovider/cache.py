"""What the plugin serves, prepared once and kept on disk so that each plugin start stays fast.

Terraform starts every provider plugin several times per command, and the aws schema is large (1,700+ resource
types): converting its JSON to protobuf takes seconds in Python. So, per provider and per version of the
committed schema (`schemas/<provider>.json.gz`, keyed by its sha256):

* `<provider>-<key>.schema.pb`: the serialized GetProviderSchema response, answered as raw bytes;
* `<provider>-<key>.index.json`: the type names and, per type, where computed-only attributes sit (the one check
  the plugin makes that Terraform core does not);
* `tls.pem`: one self-signed certificate and its key for the plugin's gRPC server (loopback only).

The cache lives in `.tools/tfprovider-cache/` of the repository (ignored by git, removed by `make clean`), or in
`$TFPROVIDER_CACHE_DIR`. Files are written atomically, so plugins started in parallel never read half a file.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
REPO_ROOT = PACKAGE_DIR.parents[1]
PROVIDERS = ("aws", "archive", "time")
# Bump when the layout of the cached files changes, so old caches are not read.
CACHE_FORMAT = "2"

# Index of one block: {"c": [computed-only attribute names], "b": {block name: [nesting mode, index]}}, with
# blocks that hold no computed-only attribute left out.
BlockIndex = dict[str, Any]


def cache_dir() -> Path:
    return Path(os.environ.get("TFPROVIDER_CACHE_DIR", REPO_ROOT / ".tools" / "tfprovider-cache"))


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@dataclass(frozen=True)
class CachedProvider:
    name: str
    schema_path: Path  # serialized GetProviderSchema.Response
    index_path: Path


def cached_provider(name: str) -> CachedProvider:
    """Paths of a provider's cached files for the committed schema (they may not exist yet)."""
    source = SCHEMA_DIR / f"{name}.json.gz"
    key = hashlib.sha256(CACHE_FORMAT.encode() + source.read_bytes()).hexdigest()[:16]
    base = cache_dir() / f"{name}-{key}"
    return CachedProvider(name, base.with_suffix(".schema.pb"), base.with_suffix(".index.json"))


def load_schema(name: str) -> dict[str, Any]:
    return json.loads(gzip.decompress((SCHEMA_DIR / f"{name}.json.gz").read_bytes()))


def _computed_only_index(block: dict[str, Any]) -> BlockIndex | None:
    index: BlockIndex = {}
    computed = sorted(
        name
        for name, attribute in block.get("attributes", {}).items()
        if attribute.get("computed") and not attribute.get("optional") and not attribute.get("required")
    )
    if computed:
        index["c"] = computed
    nested = {}
    for name, block_type in block.get("block_types", {}).items():
        child = _computed_only_index(block_type["block"])
        if child is not None:
            nested[name] = [block_type["nesting_mode"], child]
    if nested:
        index["b"] = nested
    return index or None


def build_index(schema: dict[str, Any]) -> dict[str, Any]:
    """Type names (for GetMetadata) and the computed-only index of every resource and data source."""
    return {
        kind: {type_name: _computed_only_index(entry["block"]) or {} for type_name, entry in schema[kind].items()}
        for kind in ("resource_schemas", "data_source_schemas")
    }


def build_schema_response(schema: dict[str, Any]) -> bytes:
    """Serialize the provider's schema as a tfplugin6 GetProviderSchema response."""
    from tools.tfprovider.proto import tfplugin6_pb2 as pb

    nesting = pb.Schema.NestedBlock.NestingMode

    def block_message(block: dict[str, Any]) -> Any:
        message = pb.Schema.Block()
        for name in sorted(block.get("attributes", {})):
            attribute = block["attributes"][name]
            message.attributes.add(
                name=name,
                type=json.dumps(attribute["type"], separators=(",", ":")).encode(),
                description=attribute.get("description", ""),
                required=attribute.get("required", False),
                optional=attribute.get("optional", False),
                computed=attribute.get("computed", False),
                sensitive=attribute.get("sensitive", False),
            )
        for name in sorted(block.get("block_types", {})):
            block_type = block["block_types"][name]
            message.block_types.add(
                type_name=name,
                block=block_message(block_type["block"]),
                nesting=nesting.Value(block_type["nesting_mode"].upper()),
                min_items=block_type.get("min_items", 0),
                max_items=block_type.get("max_items", 0),
            )
        return message

    def schema_message(entry: dict[str, Any]) -> Any:
        return pb.Schema(version=entry.get("version", 0), block=block_message(entry["block"]))

    # get_provider_schema_optional: Terraform may reuse this schema for later instances of the plugin instead of
    # asking each one again (it decodes 3 MB for aws each time).
    response = pb.GetProviderSchema.Response(
        provider=schema_message(schema["provider"]),
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
    )
    for type_name, entry in schema["resource_schemas"].items():
        response.resource_schemas[type_name].CopyFrom(schema_message(entry))
    for type_name, entry in schema["data_source_schemas"].items():
        response.data_source_schemas[type_name].CopyFrom(schema_message(entry))
    return response.SerializeToString(deterministic=True)


def ensure_cached(name: str) -> CachedProvider:
    """Build the provider's cached files if they are missing; return their paths."""
    cached = cached_provider(name)
    if not (cached.schema_path.exists() and cached.index_path.exists()):
        schema = load_schema(name)
        write_atomic(cached.index_path, json.dumps(build_index(schema), separators=(",", ":")).encode())
        write_atomic(cached.schema_path, build_schema_response(schema))
        for stale in cache_dir().glob(f"{name}-*.*"):  # files of earlier schemas or cache formats
            if stale not in (cached.schema_path, cached.index_path):
                stale.unlink(missing_ok=True)
    return cached


def ensure_tls() -> tuple[bytes, bytes, bytes]:
    """The plugin server's (certificate PEM, key PEM, certificate DER), made once.

    Terraform's go-plugin client trusts exactly the certificate the plugin announces in its handshake line and
    connects with server name `localhost`; the key never leaves this machine and only guards a loopback port.
    Certificate and key share one file, so that plugins starting together never pair one's key with another's
    certificate.
    """
    path = cache_dir() / "tls.pem"
    if not path.exists():
        write_atomic(path, b"".join(_make_certificate()), mode=0o600)
    text = path.read_bytes()
    split = text.index(b"-----BEGIN PRIVATE KEY-----")
    cert_pem, key_pem = text[:split], text[split:]
    der = base64.b64decode(b"".join(cert_pem.strip().splitlines()[1:-1]))
    return cert_pem, key_pem, der


def _make_certificate() -> tuple[bytes, bytes]:
    """A self-signed (certificate PEM, PKCS#8 key PEM) for localhost; cryptography is imported only here."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "serverless-messenger schema-only provider")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        # It is its own CA: the client puts it in its root pool.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, key_encipherment=False, content_commitment=False,
                data_encipherment=False, key_agreement=True, crl_sign=False, encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem
