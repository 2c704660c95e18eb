"""The schema-only Terraform provider (tools/tfprovider): real Terraform validates and tests our HCL offline.

Terraform >= 1.7 on PATH drives the plugin through tools/tfprovider/runner.py (dev_overrides, no registry);
those tests skip without one. The plugin's own protocol answers, the computed-only check and the committed
generated files are tested without Terraform.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import msgpack
import pytest

from tests.conftest import REPO_ROOT
from tools.tfprovider import cache, plugin, runner
from tools.tfprovider.proto import regenerate
from tools.tfprovider.proto import tfplugin6_pb2 as pb


@pytest.fixture(scope="session")
def terraform() -> str:
    """Skip unless a Terraform >= 1.7 is on PATH (looked for when first needed, not while collecting)."""
    found = runner.find_terraform()
    if found is None:
        pytest.skip("no Terraform >= 1.7 on PATH (the venv's terraform 1.0.3 only formats): the plugin tests need one")
    return found


needs_terraform = pytest.mark.usefixtures("terraform")

Validate = Callable[[str], subprocess.CompletedProcess[str]]

VALID_QUEUE = """
resource "aws_sqs_queue" "jobs" {
  name                      = "jobs"
  message_retention_seconds = 86400
}
"""


@pytest.fixture
def validate(tmp_path: Path) -> Validate:
    """Write `main.tf` with the given HCL into a fresh folder and run `terraform validate` on it offline."""

    def run(hcl: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "main.tf").write_text(textwrap.dedent(hcl))
        return runner.run(tmp_path, ["validate", "-no-color"], online=False, capture=True)

    return run


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# -- Terraform validate / test through the plugin ------------------------------------------------------------


@needs_terraform
def test_validate_accepts_a_small_valid_configuration(validate: Validate) -> None:
    # GIVEN a queue written as the aws provider expects
    # WHEN Terraform validates it against the schema-only provider
    result = validate(VALID_QUEUE)
    # THEN it is valid
    assert result.returncode == 0, _output(result)
    assert "Success! The configuration is valid" in result.stdout


@needs_terraform
@pytest.mark.parametrize(
    ("hcl", "error"),
    [
        pytest.param('resource "aws_sqs_queue" "q" {\n  nmae = "jobs"\n}\n', "Unsupported argument", id="misspelt"),
        pytest.param(
            'resource "aws_sqs_queue" "q" {\n  delay_seconds = "soon"\n}\n', "Incorrect attribute value type",
            id="wrong-type",
        ),
        pytest.param(
            'resource "aws_sqs_queue" "q" {\n  name = aws_sqs_queue.missing.name\n}\n',
            "Reference to undeclared resource",
            id="broken-reference",
        ),
        pytest.param('resource "aws_sqs_queue" "q" {\n  count = -1\n}\n', "Invalid count argument", id="count"),
    ],
)
def test_validate_fails_with_terraforms_own_error(validate: Validate, hcl: str, error: str) -> None:
    # GIVEN a queue with one mistake
    # WHEN Terraform validates it
    result = validate(hcl)
    # THEN it fails, with Terraform's message for that mistake, pointing at line 2
    assert result.returncode == 1
    assert f"Error: {error}" in result.stderr
    assert "main.tf line 2" in result.stderr


@needs_terraform
def test_validate_rejects_a_value_on_a_computed_only_attribute(validate: Validate) -> None:
    # GIVEN a table that sets `arn`, which only AWS decides (Terraform core lets it through; the real provider
    # and ours reject it)
    result = validate(
        """
        resource "aws_dynamodb_table" "t" {
          name         = "t"
          billing_mode = "PAY_PER_REQUEST"
          hash_key     = "pk"
          arn          = "arn:aws:dynamodb:eu-west-1:123456789012:table/t"

          attribute {
            name = "pk"
            type = "S"
          }
        }
        """
    )
    # THEN validate fails on that attribute
    assert result.returncode == 1
    assert "Error: Value for unconfigurable attribute" in result.stderr
    assert 'Can\'t configure a value for "arn"' in result.stderr


@needs_terraform
def test_a_real_plan_is_refused_with_the_schema_only_message(tmp_path: Path) -> None:
    # GIVEN a valid configuration and no mocks
    (tmp_path / "main.tf").write_text(VALID_QUEUE)
    # WHEN a real plan is asked of the schema-only provider
    result = runner.run(tmp_path, ["plan", "-no-color", "-input=false"], online=False, capture=True)
    # THEN it fails, saying this is the schema-only stand-in and the real provider is needed: no fake success
    assert result.returncode == 1
    output = " ".join(_output(result).split())
    assert "ConfigureProvider needs the real provider: this is a schema-only stand-in" in output
    assert "Run this with the real provider from the registry" in output


def test_the_online_path_inits_with_the_real_providers_and_leaves_no_lock_file(tmp_path: Path, monkeypatch) -> None:
    # GIVEN a stand-in terraform that records its calls, and a configuration without a lock file
    calls = tmp_path / "calls"
    fake = tmp_path / "terraform"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo \'{"terraform_version": "1.11.4"}\'; exit 0; fi\n'
        'echo "$* TF_CLI_CONFIG_FILE=${TF_CLI_CONFIG_FILE:-}" >> "$CALLS"\n'
        'if [ "$2" = init ]; then touch "${1#-chdir=}/.terraform.lock.hcl"; fi\n'
    )
    fake.chmod(0o755)
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("TERRAFORM", str(fake))
    monkeypatch.setenv("CALLS", str(calls))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    # WHEN the runner is told the registry is reachable
    result = runner.run(config, ["validate"], online=True, capture=True)
    # THEN it runs init without a backend, then the command, with no dev_overrides, and removes the lock file
    # init created
    assert result.returncode == 0
    assert calls.read_text().splitlines() == [
        f"-chdir={config} init -backend=false -input=false TF_CLI_CONFIG_FILE=",
        f"-chdir={config} validate TF_CLI_CONFIG_FILE=",
    ]
    assert not (config / ".terraform.lock.hcl").exists()


# -- The plugin speaking the protocol, without Terraform ----------------------------------------------------


@pytest.fixture
def aws_plugin() -> Iterator[tuple[subprocess.Popen[bytes], grpc.Channel]]:
    """The aws plugin started as Terraform starts it, and a TLS channel to it trusting its announced cert."""
    env = {
        **os.environ,
        plugin.MAGIC_COOKIE_KEY: plugin.MAGIC_COOKIE_VALUE,
        "PLUGIN_PROTOCOL_VERSIONS": "5,6",
        "PYTHONPATH": str(REPO_ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.tfprovider.plugin", "aws"], env=env, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        core, protocol, network, address, kind, certificate = process.stdout.readline().decode().strip().split("|")
        assert (core, protocol, network, kind) == ("1", "6", "tcp", "grpc")
        der = base64.b64decode(certificate + "=" * (-len(certificate) % 4))
        pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
        channel = grpc.secure_channel(
            address, grpc.ssl_channel_credentials(root_certificates=pem),
            options=[("grpc.ssl_target_name_override", "localhost"), ("grpc.max_receive_message_length", -1)],
        )
        yield process, channel
        channel.close()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _call(channel: grpc.Channel, method: str, request: Any, response_type: Any) -> Any:
    stub = channel.unary_unary(
        f"/tfplugin6.Provider/{method}",
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=response_type.FromString,
    )
    return stub(request, timeout=30)


def test_the_plugin_serves_the_schema_checks_configs_refuses_aws_work_and_shuts_down(aws_plugin) -> None:
    process, channel = aws_plugin
    # WHEN Terraform would ask for the schema
    schema = _call(channel, "GetProviderSchema", pb.GetProviderSchema.Request(), pb.GetProviderSchema.Response)
    # THEN the whole provider is there, and Terraform may reuse it for later plugin instances
    assert {"aws_dynamodb_table", "aws_wafv2_web_acl", "aws_appsync_graphql_api"} <= set(schema.resource_schemas)
    assert "aws_iam_policy_document" in schema.data_source_schemas
    assert schema.server_capabilities.get_provider_schema_optional

    # WHEN a config sets a computed-only attribute to a value not known yet (msgpack extension 0)
    config = msgpack.packb({"name": "t", "arn": msgpack.ExtType(0, b"\x00")})
    response = _call(
        channel, "ValidateResourceConfig",
        pb.ValidateResourceConfig.Request(type_name="aws_dynamodb_table", config=pb.DynamicValue(msgpack=config)),
        pb.ValidateResourceConfig.Response,
    )
    # THEN that is an error on `arn`
    [diagnostic] = response.diagnostics
    assert diagnostic.severity == pb.Diagnostic.ERROR
    assert [step.attribute_name for step in diagnostic.attribute.steps] == ["arn"]

    # WHEN something needs AWS
    plan = _call(
        channel, "PlanResourceChange", pb.PlanResourceChange.Request(type_name="aws_sqs_queue"),
        pb.PlanResourceChange.Response,
    )
    # THEN it is refused, never faked
    assert not plan.HasField("planned_state")
    assert "needs the real provider" in plan.diagnostics[0].summary

    # WHEN Terraform's go-plugin client asks the plugin to shut down
    channel.unary_unary("/plugin.GRPCController/Shutdown")(b"", timeout=10)
    # THEN it exits cleanly
    assert process.wait(timeout=10) == 0


def test_the_plugin_refuses_to_run_outside_terraform() -> None:
    env = {key: value for key, value in os.environ.items() if key != plugin.MAGIC_COOKIE_KEY}
    result = subprocess.run(
        [sys.executable, "-m", "tools.tfprovider.plugin", "aws"],
        env={**env, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 1
    assert "not meant to be executed directly" in result.stderr


def test_computed_only_values_are_found_in_nested_blocks_by_path() -> None:
    # GIVEN a nested index: a list block `a` holding a set block `b`, each with a computed-only attribute
    index = {"b": {"a": ["list", {"c": ["id"], "b": {"b": ["set", {"c": ["arn"]}]}}]}}
    config = {"a": [{"id": None, "b": [{"arn": None}]}, {"id": plugin.UNKNOWN, "b": [{"arn": "x"}]}]}
    # WHEN checked
    errors = plugin.computed_only_errors(config, index, [])
    # THEN the second list item's `id` and its set element's `arn` are errors (a set element has no index)
    paths = [
        [step.attribute_name or step.element_key_int for step in error.attribute.steps] for error in errors
    ]
    assert paths == [["a", 1, "id"], ["a", 1, "b", "arn"]]


# -- Committed generated files -----------------------------------------------------------------------------


def test_the_committed_protocol_modules_match_the_proto(tmp_path: Path) -> None:
    # GIVEN the .proto files WHEN compiled afresh THEN the committed modules are identical
    regenerate.regenerate(tmp_path)
    for generated in tmp_path.glob("*_pb2.py"):
        assert generated.read_text() == (regenerate.PROTO_DIR / generated.name).read_text(), (
            f"{generated.name} is stale: run .venv/bin/python -m tools.tfprovider.proto.regenerate"
        )


def test_the_schema_has_the_shapes_the_real_provider_has() -> None:
    schema = cache.load_schema("aws")
    resources, data_sources = schema["resource_schemas"], schema["data_source_schemas"]
    document = data_sources["aws_iam_policy_document"]["block"]
    statement = document["block_types"]["statement"]
    assert statement["nesting_mode"] == "list" and "max_items" not in statement
    assert {name: block["nesting_mode"] for name, block in statement["block"]["block_types"].items()} == {
        "condition": "set", "not_principals": "set", "principals": "set",
    }
    assert statement["block"]["attributes"]["actions"]["type"] == ["set", "string"]
    table = resources["aws_dynamodb_table"]["block"]
    assert table["attributes"]["arn"] == {"type": "string", "computed": True}
    assert table["attributes"]["region"] == {"type": "string", "optional": True, "computed": True}
    assert table["block_types"]["attribute"]["nesting_mode"] == "set"
    assert table["block_types"]["ttl"] == {**table["block_types"]["ttl"], "nesting_mode": "list", "max_items": 1}
    # aws_wafv2_web_acl's statement tree is typed `any` in the package: it is rebuilt, with the real names.
    rule = resources["aws_wafv2_web_acl"]["block"]["block_types"]["rule"]
    root = rule["block"]["block_types"]["statement"]
    assert (rule["nesting_mode"], root["min_items"], root["max_items"]) == ("set", 1, 1)
    rate = root["block"]["block_types"]["rate_based_statement"]["block"]
    assert "custom_key" in rate["block_types"] and rate["attributes"]["aggregate_key_type"]["optional"]
    assert "and_statement" in rate["block_types"]["scope_down_statement"]["block"]["block_types"]
    time_rotating = cache.load_schema("time")["resource_schemas"]["time_rotating"]["block"]
    assert time_rotating["attributes"]["rotation_days"] == {"type": "number", "optional": True}
    archive = cache.load_schema("archive")["data_source_schemas"]["archive_file"]["block"]
    assert archive["attributes"]["output_base64sha256"] == {"type": "string", "computed": True}


def test_terraform_runs_with_a_lazier_collector_unless_the_caller_chose_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN no GOGC of the caller's own
    monkeypatch.delenv("GOGC", raising=False)
    # WHEN the runner prepares Terraform's environment, THEN Go collects at eleven times the live heap
    assert runner.terraform_environment(tmp_path)["GOGC"] == "1000"
    # GIVEN a caller who chose one, THEN theirs is kept
    monkeypatch.setenv("GOGC", "100")
    assert runner.terraform_environment(tmp_path)["GOGC"] == "100"
    # AND a run's own setting wins over both
    assert runner.terraform_environment(tmp_path, {"GOGC": "off"})["GOGC"] == "off"
