"""The manifest against the code it names: every resolver file deployed, every root field resolved, every
DynamoDB role granting exactly what its resolvers call. (modules/graphql_api/tests asserts that Terraform
makes one resource per entry; the local stack loads the same file.)"""

from __future__ import annotations

import re

from graphql import GraphQLObjectType

from local.appsync.host import load_schema
from local.manifest import Manifest
from tests.conftest import REPO_ROOT

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
