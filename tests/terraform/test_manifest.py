"""Terraform and the local stack read one manifest, and every manifest entry becomes exactly one resource."""

from __future__ import annotations

import re

from graphql import GraphQLObjectType
from local.graphql_host import load_schema
from local.manifest import MANIFEST_PATH, Manifest
from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack

APPSYNC_TYPES = {
    "aws_appsync_function": "local.functions",
    "aws_appsync_resolver": "local.resolvers",
    "aws_appsync_datasource": "local.data_sources",
}

# What each request a resolver can build needs from IAM. A transaction needs nothing of its own: IAM
# authorizes each item inside it as its own action (dynamodb:PutItem, UpdateItem, DeleteItem,
# ConditionCheckItem; "Using IAM with DynamoDB transactions"), so the items name what is needed, either
# as `operation: '...'` literals or as the helper's item kinds (putItem, updateItem, ...).
DYNAMODB_ACTIONS: dict[str, set[str]] = {
    "get": {"dynamodb:GetItem"}, "put": {"dynamodb:PutItem"}, "update": {"dynamodb:UpdateItem"},
    "remove": {"dynamodb:DeleteItem"}, "query": {"dynamodb:Query"}, "scan": {"dynamodb:Scan"},
    "GetItem": {"dynamodb:GetItem"}, "PutItem": {"dynamodb:PutItem"}, "UpdateItem": {"dynamodb:UpdateItem"},
    "DeleteItem": {"dynamodb:DeleteItem"}, "Query": {"dynamodb:Query"}, "Scan": {"dynamodb:Scan"},
    "ConditionCheck": {"dynamodb:ConditionCheckItem"},
    "transactWrite": set(), "TransactWriteItems": set(),
}
# Item kinds of the transactWrite helper.
TRANSACT_ITEMS = {
    "putItem": {"dynamodb:PutItem"}, "updateItem": {"dynamodb:UpdateItem"},
    "removeItem": {"dynamodb:DeleteItem"}, "conditionCheck": {"dynamodb:ConditionCheckItem"},
}


def test_terraform_reads_the_manifest_the_local_stack_reads(stack: Stack) -> None:
    api = stack.one("module", name="api", directory="terraform")
    assert api.body["graphql_dir"] == "${local.graphql_dir}"
    assert (REPO_ROOT / "terraform" / "../graphql" / "manifest.json").resolve() == MANIFEST_PATH.resolve()
    assert '"${path.module}/../graphql"' in (REPO_ROOT / "terraform" / "main.tf").read_text()
    assert 'jsondecode(file("${var.graphql_dir}/manifest.json"))' in (REPO_ROOT / "modules" / "graphql_api" / "main.tf").read_text()


def test_every_appsync_function_resolver_and_data_source_comes_from_the_manifest(stack: Stack) -> None:
    for resource_type, source in APPSYNC_TYPES.items():
        [block] = stack.find("resource", resource_type)  # one for_each block, nothing hand-written beside it
        assert block.directory == "modules/graphql_api"
        assert block.body["for_each"] == f"${{{source}}}"
    locals_text = (REPO_ROOT / "modules" / "graphql_api" / "main.tf").read_text()
    for key in ("dataSources", "functions", "resolvers"):
        assert f"in local.manifest.{key} :" in locals_text


def test_function_and_resolver_code_is_the_file_the_manifest_names(stack: Stack) -> None:
    for resource_type in ("aws_appsync_function", "aws_appsync_resolver"):
        block = stack.one("resource", resource_type)
        assert block.body["code"] == '${file("${var.graphql_dir}/${each.value.code}")}'
        assert block.body["runtime"][0]["name"] == "${local.runtime.name}"
    resolver = stack.one("resource", "aws_appsync_resolver")
    assert resolver.body["kind"] == "PIPELINE"
    assert "aws_appsync_function.this[name].function_id" in resolver.body["pipeline_config"][0]["functions"]


def test_no_resolver_code_exists_outside_the_manifest(manifest: Manifest) -> None:
    named = {path.resolve() for path in manifest.code_units().values()}
    on_disk = {path.resolve() for path in (REPO_ROOT / "graphql").rglob("*.js")}
    assert on_disk - named == set(), "JS files that no manifest entry deploys"


def test_the_local_stack_resolves_exactly_the_manifest_and_the_schema_has_no_unresolved_root_field(manifest: Manifest) -> None:
    schema = load_schema(manifest)
    root_fields = {
        f"{type_.name}.{field}"
        for type_ in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if isinstance(type_, GraphQLObjectType)
        for field in type_.fields
    }
    assert root_fields == set(manifest.resolvers)


def test_each_dynamodb_role_grants_exactly_what_its_resolvers_call(manifest: Manifest) -> None:
    for name, source in manifest.data_sources.items():
        if source["type"] != "AMAZON_DYNAMODB":
            continue
        used: set[str] = set()
        for function in manifest.functions.values():
            if function.data_source == name:
                code = function.code.read_text()
                for helper in re.findall(r"\bddb\.(\w+)\(", code):
                    used |= DYNAMODB_ACTIONS.get(helper, set())
                for operation in re.findall(r"operation:\s*'(\w+)'", code):
                    used |= DYNAMODB_ACTIONS[operation]
                if "ddb.transactWrite(" in code:
                    for kind in re.findall(r"\b(putItem|updateItem|removeItem|conditionCheck)\s*:", code):
                        used |= TRANSACT_ITEMS[kind]
        granted = set(source["readActions"]) | set(source["writeActions"])
        assert granted == used, f"{name}: granted {sorted(granted)} but the resolvers call {sorted(used)}"
