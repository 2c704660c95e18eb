"""What Terraform itself cannot check: the modules' conventions and docs, the environment files, and policy
properties across every file (Terraform's own tests, `*.tftest.hcl`, assert the planned values)."""

from __future__ import annotations

import json
import re

import hcl2
import pytest
from hcl2 import SerializationOptions

from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack, statements

MODULES = sorted(path.name for path in (REPO_ROOT / "modules").iterdir() if path.is_dir())
MANIFEST = json.loads((REPO_ROOT / "graphql" / "manifest.json").read_text())


@pytest.mark.parametrize("module", MODULES)
def test_module_has_the_standard_files_tests_and_a_readme_with_its_interface(stack: Stack, module: str) -> None:
    directory = REPO_ROOT / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"modules/{module}/{name} is missing"
    assert list((directory / "tests").glob("*.tftest.hcl")), f"modules/{module} has no Terraform tests"
    readme = (directory / "README.md").read_text()
    for block in stack.find("variable", directory=f"modules/{module}"):
        assert f"`{block.name}`" in readme, f"modules/{module}/README.md does not list input {block.name}"
    for block in stack.find("output", directory=f"modules/{module}"):
        assert f"`{block.name}`" in readme, f"modules/{module}/README.md does not list output {block.name}"


def test_module_readmes_are_generated_from_the_current_code() -> None:
    from tools.module_docs import MODULES_DIR, updated

    for module_dir in sorted(path for path in MODULES_DIR.iterdir() if path.is_dir()):
        readme = (module_dir / "README.md").read_text()
        assert updated(readme, module_dir) == readme, f"{module_dir.name}/README.md is out of date: run `make docs`"


def test_every_variable_has_a_description_and_a_type_and_every_output_a_description(stack: Stack) -> None:
    assert [block.address for block in stack.find("variable") if not block.body.get("description") or "type" not in block.body] == []
    assert [block.address for block in stack.find("output") if not block.body.get("description")] == []


def test_secrets_are_sensitive_outputs(stack: Stack) -> None:
    for directory in ("terraform", "modules/graphql_api"):
        assert stack.one("output", name="api_key", directory=directory).body.get("sensitive") is True


def test_tags_are_set_once_as_provider_default_tags(stack: Stack) -> None:
    # Terraform's tests run with mocked providers, which do not compute tags_all from default_tags.
    options = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
    providers = hcl2.loads((REPO_ROOT / "terraform" / "providers.tf").read_text(), serialization_options=options)
    [aws] = [provider["aws"] for provider in providers["provider"] if "aws" in provider]
    assert "var.tags" in json.dumps(aws["default_tags"])
    assert [block.address for block in stack.blocks if block.kind == "resource" and "tags" in block.body] == []


@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
def test_environment_files_set_only_declared_variables_and_attributes(stack: Stack, env: str) -> None:
    # Terraform only warns about a value for an undeclared variable: a misspelt setting would be dropped.
    options = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
    values = hcl2.loads((REPO_ROOT / "envs" / f"{env}.tfvars").read_text(), serialization_options=options)
    variables = {block.name: block.body for block in stack.find("variable", directory="terraform")}
    names = {name for name in values if not name.startswith("__")}
    assert names - set(variables) == set(), f"{env}.tfvars sets undeclared variables"
    for name in names:
        type_ = variables[name]["type"]
        if isinstance(type_, str) and type_.startswith("${object("):
            attributes = set(re.findall(r"(\w+)\s*=\s*optional\(", type_))
            assert set(values[name]) <= attributes, f"{env}.tfvars: {name} sets {sorted(set(values[name]) - attributes)}"
    # Settings each environment decides for itself, never by default.
    assert {"sms_allowed_countries", "resolver_count_limit"} <= names, f"{env}.tfvars"


def test_no_policy_anywhere_grants_a_wildcard_action(stack: Stack) -> None:
    # GIVEN every action every policy document allows (a Deny may name a wildcard: it refuses, grants nothing),
    # and those the manifest grants the resolvers' roles and terraform/iam.tf the functions of handlers/clients
    actions = [
        action
        for document in stack.find("data", "aws_iam_policy_document")
        for statement in statements(document)
        if isinstance(statement.get("actions"), list) and statement.get("effect", "Allow") != "Deny"
        for action in statement["actions"]
    ]
    for source in MANIFEST["dataSources"].values():
        actions += source.get("readActions", []) + source.get("writeActions", [])
    for entries in stack.locals()["clients_function_statements"].values():
        actions += [action for entry in entries.values() for action in entry["actions"]]
    # terraform/webhooks.tf names the webhook functions' actions in locals
    for entries in stack.locals()["webhook_table_statements"].values():
        actions += [action for entry in entries.values() for action in entry["actions"]]
    actions += [action for use in stack.locals()["webhook_secret_key_uses"].values() for action in use["actions"]]
    # THEN none is a wildcard
    assert len(actions) > 20
    assert [action for action in actions if "*" in action] == []


def test_every_statement_names_its_actions_literally_or_from_the_manifest(stack: Stack) -> None:
    # (So the wildcard check above sees every action.)
    computed = {
        "${each.value.read_actions}",
        "${each.value.write_actions}",
        "${concat(local.administration_actions, local.usage_actions)}",
        "${statement.value.actions}",  # terraform/iam.tf: clients_function_statements; terraform/webhooks.tf: webhook_table_statements, webhook_secret_key_uses
    }
    for document in stack.find("data", "aws_iam_policy_document"):
        for statement in statements(document):
            assert isinstance(statement.get("actions"), list) or statement.get("actions") in computed, document.address


def test_the_originals_nonexistent_phone_number_condition_key_is_not_used(stack: Stack) -> None:
    variables = [c["variable"] for document in stack.find("data", "aws_iam_policy_document") for s in statements(document) for c in s.get("condition", [])]
    assert len(variables) > 10
    assert [variable for variable in variables if "PhoneNumber" in variable] == []


def test_one_environment_file_per_sns_region_owns_the_account_wide_sms_settings() -> None:
    # GIVEN what each environment file says about the account's SMS settings (not the owner unless it says so)
    options = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
    files = {path.stem: hcl2.loads(path.read_text(), serialization_options=options) for path in sorted((REPO_ROOT / "envs").glob("*.tfvars"))}
    owners: dict[str, list[str]] = {}
    for env, values in files.items():
        sms = values.get("sms", {})
        if sms.get("manage_account_preferences", False):
            # THEN an owner names itself (the plan refuses otherwise)
            assert sms.get("account_preferences_owner") == values["stage"], env
            owners.setdefault(values["sns_region"], []).append(env)
        else:
            assert sms.get("account_preferences_owner") in (None, *files), env
    # AND the environments that may share an account and sns_region have exactly one owner between them
    assert owners and all(len(found) == 1 for found in owners.values()), owners
    assert {values["sns_region"] for values in files.values()} == set(owners)


# A path in a skip reason: a top-level folder of the repository, then folders and a file or folder name.
_REPO_PATH = re.compile(r"\b(?:terraform|modules|envs|tests|tools|handlers|graphql|local|docs|bench)/[\w./-]*[\w]")


def test_every_checkov_skip_reason_names_only_files_that_exist() -> None:
    # GIVEN every inline checkov skip of the Terraform files (checkov reads no others)
    skips = [
        (path.relative_to(REPO_ROOT), line.split("#checkov:skip=", 1)[1])
        for path in sorted(REPO_ROOT.rglob("*.tf"))
        if not {".terraform", ".venv", "node_modules"} & set(path.parts)
        for line in path.read_text().splitlines()
        if "#checkov:skip=" in line
    ]
    assert len(skips) >= 5, "the stack's skips were not found: has the skip syntax changed?"
    # THEN every file or folder a reason cites is in the repository
    cited = {(str(path), cited) for path, reason in skips for cited in _REPO_PATH.findall(reason)}
    assert cited, "some reasons cite the tests that stand in for the skipped check"
    assert {(path, name) for path, name in cited if not (REPO_ROOT / name).exists()} == set()


def test_the_docs_name_every_environment_whose_table_refuses_destroy() -> None:
    # GIVEN the environments whose table keeps deletion protection (on unless a file turns it off)
    options = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
    environments = {path.stem: hcl2.loads(path.read_text(), serialization_options=options) for path in sorted((REPO_ROOT / "envs").glob("*.tfvars"))}
    protected = {env for env, values in environments.items() if values.get("table", {}).get("deletion_protection_enabled", True)}
    assert protected and protected != set(environments)
    # WHEN `make destroy` is described (the README's table, the deployment guide, `make help`)
    lines = [
        (name, re.sub(r"ENV=[\w|]+", "", line))
        for name in ("README.md", "docs/deployment.md", "Makefile")
        for line in (REPO_ROOT / name).read_text().splitlines()
        if "destroy" in line.lower() and "deletion protection" in line
    ]
    assert {name for name, _ in lines} == {"README.md", "docs/deployment.md", "Makefile"}
    # THEN each names exactly those environments
    for name, line in lines:
        assert set(re.findall(rf"\b({'|'.join(environments)})\b", line)) == protected, f"{name}: {line.strip()}"


FIREWALL_OVERRIDE = re.compile(r"^override_module \{\n  target = module\.firewall\n.*?^\}\n", re.MULTILINE | re.DOTALL)


def test_the_firewalls_given_outputs_are_one_block_that_names_every_output_the_module_has(stack: Stack) -> None:
    # The root's test files take the firewall's outputs as given (its web ACL is the costliest thing to plan);
    # Terraform test files cannot share a block, so each holds a copy, and this keeps them one and complete.
    holders = [*sorted((REPO_ROOT / "terraform" / "tests").rglob("*.tftest.hcl")), REPO_ROOT / "tests" / "terraform" / "test_sms_settings_owner.py"]
    copies = {path.relative_to(REPO_ROOT).as_posix(): FIREWALL_OVERRIDE.findall(path.read_text()) for path in holders}
    copies = {name: found for name, found in copies.items() if found}
    assert len(copies) >= 2 and all(len(found) == 1 for found in copies.values()), copies
    assert len({found[0] for found in copies.values()}) == 1, f"the copies differ: {sorted(copies)}"
    given = set(re.findall(r"^    (\w+) +=", next(iter(copies.values()))[0], re.MULTILINE))
    assert given == {block.name for block in stack.find("output", directory="modules/api_firewall")}
