"""graphql/client-schema.graphql: what clients load, generated from graphql/schema.graphql by `make schema`, and
loaded by real tools: Python's gql and GraphQL Code Generator (with the operations of graphql/operations/)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from gql import Client, gql
from graphql import GraphQLError, OperationDefinitionNode, build_ast_schema, parse

from local.appsync.host import APPSYNC_PRELUDE
from tools.client_schema import (
    CLIENT_SCHEMA,
    SCHEMA,
    appsync_declarations,
    client_schema,
    main,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = sorted((REPO_ROOT / "graphql" / "operations").glob("*.graphql"))
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"


def test_the_committed_client_schema_is_what_make_schema_writes(capsys: pytest.CaptureFixture[str]) -> None:
    assert CLIENT_SCHEMA.read_text() == client_schema(SCHEMA.read_text()), "graphql/client-schema.graphql is stale: run `make schema`"
    assert main(["--check"]) == 0


def test_the_check_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "client-schema.graphql"
    stale.write_text(CLIENT_SCHEMA.read_text().replace("type Query", "type Query2", 1))
    monkeypatch.setattr("tools.client_schema.CLIENT_SCHEMA", stale)
    monkeypatch.setattr("tools.client_schema.REPO_ROOT", tmp_path)
    assert main(["--check"]) == 1


def test_it_keeps_every_type_and_field_drops_every_appsync_directive_and_declares_the_aws_scalars_used() -> None:
    scalars, directives = appsync_declarations()
    text = CLIENT_SCHEMA.read_text()
    # Every directive AppSync declares itself is gone, wherever it was
    assert not re.search(r"@(" + "|".join(sorted(directives)) + r")\b", text)
    client = build_ast_schema(parse(text))
    server = build_ast_schema(parse(APPSYNC_PRELUDE + SCHEMA.read_text()))
    # The same types, with the same fields and arguments
    named = {name for name in client.type_map if not name.startswith("__")}
    assert named == {name for name in server.type_map if not name.startswith("__") and (name not in scalars or name in client.type_map)}
    for name in named:
        fields = getattr(server.type_map[name], "fields", None)
        if fields is not None:
            assert {field: sorted(getattr(value, "args", {})) for field, value in fields.items()} == {
                field: sorted(getattr(value, "args", {})) for field, value in client.type_map[name].fields.items()  # type: ignore[attr-defined]
            }
    # Each AWS scalar the schema uses is declared, with the URL of what specifies it
    used = scalars & named
    assert used, "the schema uses AWS scalars (AWSDateTime at least)"
    for scalar in used:
        assert client.type_map[scalar].specified_by_url  # type: ignore[attr-defined]


def test_a_schema_with_subscriptions_and_every_auth_mode_comes_out_clean() -> None:
    # GIVEN an AppSync schema using every AppSync directive, a subscription included
    schema = """
    type Query { a: String @aws_api_key @aws_iam @aws_oidc @aws_lambda @aws_cognito_user_pools(cognito_groups: ["ops"]) }
    type Mutation { put(at: AWSTimestamp, data: AWSJSON): Thing @aws_auth(cognito_groups: ["ops"]) }
    type Subscription { onPut: Thing @aws_subscribe(mutations: ["put"]) @aws_api_key }
    type Thing @aws_iam @aws_lambda { email: AWSEmail site: AWSURL }
    """
    # WHEN it is made a client schema
    text = client_schema(schema)
    # THEN no directive is left, and the scalars it uses are declared (and only those)
    assert "@aws_" not in text
    assert sorted(re.findall(r"^scalar (\w+)", text, re.MULTILINE)) == ["AWSEmail", "AWSJSON", "AWSTimestamp", "AWSURL"]
    assert 'scalar AWSJSON @specifiedBy(url: "https://www.rfc-editor.org/rfc/rfc8259")' in text
    assert build_ast_schema(parse(text)).subscription_type is not None


def test_gql_cannot_load_the_appsync_schema_but_builds_a_client_from_the_client_schema_that_validates_every_operation() -> None:
    with pytest.raises((GraphQLError, TypeError)):
        Client(schema=SCHEMA.read_text())
    client = Client(schema=CLIENT_SCHEMA.read_text())
    for path in OPERATIONS:
        client.validate(gql(path.read_text()))
    with pytest.raises(GraphQLError):
        client.validate(gql("query { getMessages(filter: {to: \"a@example.com\"}) { data { notAField } } }"))


def operation_types(path: Path) -> list[str]:
    """The names GraphQL Code Generator gives an operation's result type: getMessages (a query) -> GetMessagesQuery."""
    names = []
    for definition in parse(path.read_text()).definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            name = definition.name.value
            names.append(name[0].upper() + name[1:] + definition.operation.value.capitalize())
    return names


def codegen(tmp_path: Path, schema: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "codegen.json"
    config.write_text(
        json.dumps(
            {
                "schema": str(schema),
                "documents": [str(path) for path in OPERATIONS],
                "generates": {str(tmp_path / "generated" / "api.ts"): {"plugins": ["typescript-operations"]}},
            }
        )
    )
    return subprocess.run([str(NODE_BIN / "graphql-codegen"), "--config", str(config)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.skipif(not (NODE_BIN / "graphql-codegen").exists() or shutil.which("node") is None, reason="node_modules not installed: run `make install`")
def test_graphql_code_generator_types_every_operation_from_the_client_schema_and_typescript_compiles_them(tmp_path: Path) -> None:
    # GIVEN GraphQL Code Generator, WHEN it is run on the client schema and the operations clients send
    done = codegen(tmp_path, CLIENT_SCHEMA)
    # THEN it writes a type for each operation's variables and result
    assert done.returncode == 0, done.stdout + done.stderr
    generated = (tmp_path / "generated" / "api.ts").read_text()
    for path in OPERATIONS:
        for name in operation_types(path):
            assert f"export type {name} = " in generated and f"export type {name}Variables = " in generated
    # AND TypeScript, strict, compiles what it wrote
    compiled = subprocess.run(
        [str(NODE_BIN / "tsc"), "--noEmit", "--strict", "--target", "ES2022", "--module", "ESNext", str(tmp_path / "generated" / "api.ts")],
        cwd=tmp_path,  # no node_modules/@types above it: the generated file alone
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


@pytest.mark.skipif(not (NODE_BIN / "graphql-codegen").exists() or shutil.which("node") is None, reason="node_modules not installed: run `make install`")
def test_graphql_code_generator_stops_at_the_appsync_schema(tmp_path: Path) -> None:
    done = codegen(tmp_path, SCHEMA)
    assert done.returncode != 0 and "Unknown type" in done.stdout + done.stderr
