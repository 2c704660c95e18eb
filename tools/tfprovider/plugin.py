"""A schema-only Terraform provider plugin (go-plugin handshake, gRPC, plugin protocol 6).

    python -m tools.tfprovider.plugin aws|archive|time

runner.py serves all three from its own process (`serving`) and points Terraform at them with
TF_REATTACH_PROVIDERS; run as a program, it is one plugin as Terraform starts plugins (through a launcher named
`terraform-provider-<name>` under `dev_overrides`). Terraform drives it over gRPC. It serves the provider's schema
generated from the cdktn packages, so that `terraform validate` and `terraform test` with `mock_provider` run with
no registry. It answers:

* GetProviderSchema with pre-serialized bytes (cache.py), GetMetadata, GetFunctions (none), StopProvider and
  GRPCController.Shutdown (then exits);
* the Validate* calls, with one check of the real providers that Terraform core leaves to them: a value set on
  a computed-only attribute is an error;
* everything that would need AWS or real state (ConfigureProvider, Plan/Apply/Read/Import/Upgrade/Move, data
  sources, ephemeral resources, functions) with an error diagnostic saying so. It never fakes success.

Handshake: with TF_PLUGIN_MAGIC_COOKIE set and protocol 6 offered in PLUGIN_PROTOCOL_VERSIONS, it serves TLS on
a loopback port and prints `1|6|tcp|127.0.0.1:<port>|grpc|<certificate DER, base64 without padding>`. It does
not ask for Terraform's client certificate: Terraform's is ECDSA P-521, which grpcio's TLS does not offer, so
Go would send none and the handshake would fail.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import msgpack

from tools.tfprovider import cache

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
PROTOCOL_VERSION = 6
_HEALTH_SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}

Diagnostic = Any  # tfplugin6_pb2.Diagnostic


@functools.cache
def messages() -> ModuleType:
    """The protocol's message classes. Importing them takes a third of the start-up time, and the first call
    (GetProviderSchema) needs none, so this runs in the background once the handshake line is out."""
    from tools.tfprovider.proto import tfplugin6_pb2

    return tfplugin6_pb2


class _Unknown:
    """An unknown cty value (msgpack extension type 0, or a refined unknown): set, but not yet known."""


UNKNOWN = _Unknown()


def decode_msgpack(data: bytes) -> Any:
    """Decode a cty value as Terraform sends configurations: msgpack, unknown values as extensions."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=lambda code, payload: UNKNOWN)


def _error(summary: str, detail: str, path: list[Any] | None = None) -> Diagnostic:
    pb = messages()
    diagnostic = pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)
    for step in path or []:
        if isinstance(step, str):
            diagnostic.attribute.steps.add(attribute_name=step)
        elif isinstance(step, int):
            diagnostic.attribute.steps.add(element_key_int=step)
        else:  # a map key, wrapped in a 1-tuple to tell it from an attribute name
            diagnostic.attribute.steps.add(element_key_string=step[0])
    return diagnostic


def computed_only_errors(config: Any, index: dict[str, Any], path: list[Any]) -> list[Diagnostic]:
    """Errors for every computed-only attribute that the configuration sets (to anything but null)."""
    if not isinstance(config, dict):
        return []
    errors = [
        _error(
            "Value for unconfigurable attribute",
            f'Can\'t configure a value for "{name}": its value will be decided automatically based on the result '
            "of applying this configuration. (Checked by the project's schema-only provider, as the real "
            "provider does.)",
            [*path, name],
        )
        for name in index.get("c", ())
        if config.get(name) is not None
    ]
    for name, (nesting, child) in index.get("b", {}).items():
        value = config.get(name)
        if nesting == "single" or nesting == "group":
            errors += computed_only_errors(value, child, [*path, name])
        elif nesting == "map" and isinstance(value, dict):
            for key, item in value.items():
                errors += computed_only_errors(item, child, [*path, name, (key,)])
        elif isinstance(value, list):
            for position, item in enumerate(value):
                # A set element has no index to point at: the diagnostic names the block.
                item_path = [*path, name, position] if nesting == "list" else [*path, name]
                errors += computed_only_errors(item, child, item_path)
    return errors


class Provider:
    """Answers for one provider. Each RPC method takes its parsed Request and returns its Response."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.source = f"registry.terraform.io/hashicorp/{name}"
        self.cached = cache.ensure_cached(name)
        self._schema_bytes: bytes | None = None
        self._index: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def schema_bytes(self) -> bytes:
        with self._lock:
            if self._schema_bytes is None:
                self._schema_bytes = self.cached.schema_path.read_bytes()
            return self._schema_bytes

    def index(self) -> dict[str, Any]:
        with self._lock:
            if self._index is None:
                self._index = json.loads(self.cached.index_path.read_bytes())
            return self._index

    def refusal(self, operation: str) -> Diagnostic:
        return _error(
            f"{operation} needs the real provider: this is a schema-only stand-in",
            f"The {self.source} plugin running here is serverless-messenger's schema-only provider "
            "(tools/tfprovider). It knows the provider's schema, so `terraform validate` and `terraform test` "
            f"with mock_provider work offline, but it cannot {_REFUSED[operation]}. Run this with the real "
            "provider from the registry (`terraform init` with the registry reachable), or mock the provider "
            "in the test.",
        )

    def get_provider_schema(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        return self.schema_bytes()  # pre-serialized GetProviderSchema.Response

    def get_metadata(self, request: Any, context: grpc.ServicerContext) -> Any:
        pb, index = messages(), self.index()
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=t) for t in index["resource_schemas"]],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=t) for t in index["data_source_schemas"]],
        )

    def get_functions(self, request: Any, context: grpc.ServicerContext) -> Any:
        return messages().GetFunctions.Response()

    def validate_provider_config(self, request: Any, context: grpc.ServicerContext) -> Any:
        return messages().ValidateProviderConfig.Response()

    def validate_resource_config(self, request: Any, context: grpc.ServicerContext) -> Any:
        return messages().ValidateResourceConfig.Response(diagnostics=self._validate("resource_schemas", request))

    def validate_data_resource_config(self, request: Any, context: grpc.ServicerContext) -> Any:
        diagnostics = self._validate("data_source_schemas", request)
        return messages().ValidateDataResourceConfig.Response(diagnostics=diagnostics)

    def _validate(self, kind: str, request: Any) -> list[Diagnostic]:
        index = self.index()[kind].get(request.type_name)
        if not index:
            return []
        return computed_only_errors(decode_msgpack(request.config.msgpack), index, [])

    def validate_ephemeral_resource_config(self, request: Any, context: grpc.ServicerContext) -> Any:
        detail = (
            f"The schema-only {self.source} provider has no ephemeral resource types: the packages its schema "
            "is generated from do not describe them."
        )
        error = _error(f"Unsupported ephemeral resource type {request.type_name!r}", detail)
        return messages().ValidateEphemeralResourceConfig.Response(diagnostics=[error])

    def call_function(self, request: Any, context: grpc.ServicerContext) -> Any:
        pb = messages()
        text = f"The schema-only {self.source} provider has no functions (asked for {request.name!r})."
        return pb.CallFunction.Response(error=pb.FunctionError(text=text))

    def stop_provider(self, request: Any, context: grpc.ServicerContext) -> Any:
        return messages().StopProvider.Response()

    def shutdown(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.stopped.set()
        return b""  # plugin.Empty


# The RPCs that need the real provider, and what the refusal says cannot be done.
_REFUSED = {
    "ConfigureProvider": "configure the provider (credentials, region, endpoints)",
    "ReadResource": "read real resources",
    "PlanResourceChange": "plan changes",
    "ApplyResourceChange": "apply changes",
    "ImportResourceState": "import resources",
    "UpgradeResourceState": "upgrade stored state",
    "MoveResourceState": "move resource state",
    "ReadDataSource": "read data sources",
    "OpenEphemeralResource": "open ephemeral resources",
    "RenewEphemeralResource": "renew ephemeral resources",
    "CloseEphemeralResource": "close ephemeral resources",
}


def _refused(provider: Provider, operation: str) -> Callable[[Any, Any], Any]:
    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        return getattr(messages(), operation).Response(diagnostics=[provider.refusal(operation)])

    return handler


def _method(function: Callable[[Any, Any], Any], message: str | None) -> grpc.RpcMethodHandler:
    """A unary handler. With `message` (e.g. "StopProvider"), `function` takes its Request and returns its
    Response; without, request and response travel as raw bytes."""
    if message is None:
        return grpc.unary_unary_rpc_method_handler(function)

    def handler(request: bytes, context: grpc.ServicerContext) -> bytes:
        parsed = getattr(messages(), message).Request.FromString(request)
        return function(parsed, context).SerializeToString()

    return grpc.unary_unary_rpc_method_handler(handler)


def handlers(provider: Provider) -> list[grpc.GenericRpcHandler]:
    """One table for every RPC, registered by hand so that GetProviderSchema can answer pre-serialized bytes."""
    p = provider
    table = {
        "GetProviderSchema": _method(p.get_provider_schema, None),
        "GetMetadata": _method(p.get_metadata, "GetMetadata"),
        "GetFunctions": _method(p.get_functions, "GetFunctions"),
        "ValidateProviderConfig": _method(p.validate_provider_config, "ValidateProviderConfig"),
        "ValidateResourceConfig": _method(p.validate_resource_config, "ValidateResourceConfig"),
        "ValidateDataResourceConfig": _method(p.validate_data_resource_config, "ValidateDataResourceConfig"),
        "ValidateEphemeralResourceConfig": _method(
            p.validate_ephemeral_resource_config, "ValidateEphemeralResourceConfig"
        ),
        "StopProvider": _method(p.stop_provider, "StopProvider"),
        "CallFunction": _method(p.call_function, "CallFunction"),
    }
    for operation in _REFUSED:
        table[operation] = _method(_refused(p, operation), operation)
    return [
        grpc.method_handlers_generic_handler("tfplugin6.Provider", table),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {"Shutdown": _method(p.shutdown, None)}),
        grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health", {"Check": _method(lambda request, context: _HEALTH_SERVING, None)}
        ),
    ]


@contextmanager
def serving(directory: Path) -> Iterator[dict[str, Any]]:
    """Serve every provider from this process, each on a Unix socket in `directory` (which should be private to
    this user); yields the value of TF_REATTACH_PROVIDERS that points Terraform at them.

    Terraform then starts no plugin of its own: each provider instance it opens, several per command and one or
    more per run block of `terraform test`, is a connection to these servers, not a new Python process importing
    gRPC (a third of a second of CPU each time). With `Test` set, Terraform neither asks them to shut down nor
    kills this process; they stop when the block ends. The socket needs no TLS: only this user can reach it.
    """
    servers, reattach = [], {}
    try:
        for name in cache.PROVIDERS:
            socket_path = directory / f"{name}.sock"
            server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=handlers(Provider(name)))
            server.add_insecure_port(f"unix:{socket_path}")
            server.start()
            servers.append(server)
            reattach[f"registry.terraform.io/hashicorp/{name}"] = {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": os.getpid(),
                "Test": True,
                "Addr": {"Network": "unix", "String": str(socket_path)},
            }
        threading.Thread(target=messages, daemon=True).start()
        yield reattach
    finally:
        for server in servers:
            server.stop(grace=None)


def serve(name: str) -> int:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            f"This is the schema-only Terraform provider plugin for hashicorp/{name}; Terraform starts it "
            "(see tools/tfprovider/runner.py). It is not meant to be executed directly.",
            file=sys.stderr,
        )
        return 1
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")
    if str(PROTOCOL_VERSION) not in offered:
        print(f"Terraform offers plugin protocols {offered}; this plugin speaks only {PROTOCOL_VERSION}",
              file=sys.stderr)
        return 1
    # Like go-plugin servers: an interrupt goes to the whole process group, and Terraform decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    provider = Provider(name)
    cert_pem, key_pem, cert_der = cache.ensure_tls()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=handlers(provider))
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    certificate = base64.b64encode(cert_der).decode().rstrip("=")
    sys.stdout.write(f"1|{PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc|{certificate}\n")
    sys.stdout.flush()
    threading.Thread(target=messages, daemon=True).start()
    provider.stopped.wait()
    server.stop(grace=1).wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in cache.PROVIDERS:
        print(f"usage: python -m tools.tfprovider.plugin {{{','.join(cache.PROVIDERS)}}}", file=sys.stderr)
        return 2
    return serve(args[0])


if __name__ == "__main__":
    sys.exit(main())
