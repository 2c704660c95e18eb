"""The manifest against the code it names: every resolver file deployed, every root field resolved, every
DynamoDB role granting exactly what its resolvers call, every Lambda handler a function of a module its package
holds. (modules/graphql_api/tests asserts that Terraform makes one resource per entry; the local stack loads the
same file.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

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


def _lambda_handlers(manifest: Manifest) -> dict[str, tuple[str, str]]:
    """Each Lambda of the manifest: its source folder (what Terraform zips) and its `module.function` handler."""
    handlers = {name: (source["source"], source["handler"]) for name, source in manifest.data_sources.items() if "source" in source}
    return handlers | {name: (handler.source, handler.handler) for name, handler in manifest.event_handlers.items()}


def _imported(module: Path) -> set[str]:
    """The top-level names of the modules a module imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_each_lambda_handler_is_a_function_of_a_module_its_package_holds(manifest: Manifest) -> None:
    # Terraform zips the source folder and Lambda imports `module` from its root, as the local stack does.
    for name, (source, handler) in _lambda_handlers(manifest).items():
        module, function = handler.rsplit(".", 1)
        path = REPO_ROOT / source / f"{module}.py"
        assert path.is_file(), f"{name}: {source} holds no {module}.py"
        defined = {node.name for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}
        assert function in defined, f"{name}: {path.name} defines no {function}"


def _loaded_with(folder: Path, module: str) -> set[str]:
    """The modules of its folder that importing `module` loads, itself included (Lambda's sys.path has the folder)."""
    in_folder = {path.stem for path in folder.glob("*.py")}
    loaded: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        if name not in loaded:
            loaded.add(name)
            pending.extend(_imported(folder / f"{name}.py") & in_folder)
    return loaded


def test_a_function_that_shares_its_package_loads_none_of_the_others_modules(manifest: Manifest) -> None:
    # GIVEN the handler modules of each folder that several functions are built from
    modules: dict[str, set[str]] = {}
    for source, handler in _lambda_handlers(manifest).values():
        modules.setdefault(source, set()).add(handler.rsplit(".", 1)[0])
    shared = {source: names for source, names in modules.items() if len(names) > 1}
    assert "handlers/status" in shared
    for source, names in shared.items():
        for module in names:
            # THEN a function's cold start loads its own module and the shared ones, never another function's
            assert _loaded_with(REPO_ROOT / source, module) & names == {module}, f"{source}/{module}.py"
