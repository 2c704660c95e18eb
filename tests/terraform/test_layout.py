"""Module conventions: the standard files, a README listing inputs and outputs, described and typed variables."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack

MODULES = sorted(path.name for path in (REPO_ROOT / "modules").iterdir() if path.is_dir())


@pytest.mark.parametrize("module", MODULES)
def test_module_has_the_standard_files_and_a_readme_with_its_interface(stack: Stack, module: str) -> None:
    directory = REPO_ROOT / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"modules/{module}/{name} is missing"
    readme = (directory / "README.md").read_text()
    for block in stack.find("variable", directory=f"modules/{module}"):
        assert re.search(rf"`{block.name}`", readme), f"modules/{module}/README.md does not list input {block.name}"
    for block in stack.find("output", directory=f"modules/{module}"):
        assert re.search(rf"`{block.name}`", readme), f"modules/{module}/README.md does not list output {block.name}"


def test_every_variable_has_a_description_and_a_type(stack: Stack) -> None:
    missing = [block.address for block in stack.find("variable") if not block.body.get("description") or "type" not in block.body]
    assert missing == []


def test_every_output_has_a_description(stack: Stack) -> None:
    assert [block.address for block in stack.find("output") if not block.body.get("description")] == []


def test_secrets_are_sensitive_outputs(stack: Stack) -> None:
    for directory in ("terraform", "modules/graphql_api"):
        assert stack.one("output", name="api_key", directory=directory).body.get("sensitive") is True


def test_names_come_from_the_stage_prefix_built_once(stack: Stack) -> None:
    root_main = (REPO_ROOT / "terraform" / "main.tf").read_text()
    assert root_main.count('prefix      = "${var.stage}-messenger"') == 1
    for module_call in stack.find("module", directory="terraform"):
        name = module_call.body.get("name") or module_call.body.get("alias")
        assert name and "${local.prefix}" in name, f"module {module_call.name} is not named from local.prefix"


def test_tags_are_set_once_as_provider_default_tags(stack: Stack) -> None:
    provider = (REPO_ROOT / "terraform" / "providers.tf").read_text()
    assert "default_tags" in provider and "var.tags" in provider
    assert [b.address for b in stack.blocks if b.kind == "resource" and "tags" in b.body] == []


def test_module_readmes_are_generated_from_the_current_code() -> None:
    from tools.module_docs import MODULES_DIR, updated

    for module_dir in sorted(path for path in MODULES_DIR.iterdir() if path.is_dir()):
        readme = (module_dir / "README.md").read_text()
        assert updated(readme, module_dir) == readme, f"{module_dir.name}/README.md is out of date: run `make docs`"


@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
def test_environment_files_set_only_declared_variables_and_attributes(stack: Stack, env: str) -> None:
    # GIVEN an environment's values and the root's variable types
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
    values = hcl2.loads((REPO_ROOT / "envs" / f"{env}.tfvars").read_text(), serialization_options=options)
    variables = {block.name: block.body for block in stack.find("variable", directory="terraform")}
    # THEN every value names a variable, every required variable is set, and objects set only their attributes
    names = {name for name in values if not name.startswith("__")}
    assert names - set(variables) == set(), f"{env}.tfvars sets undeclared variables"
    assert {name for name, body in variables.items() if "default" not in body} - names == set()
    for name in names:
        type_ = variables[name]["type"]
        if isinstance(type_, str) and type_.startswith("${object("):
            attributes = set(re.findall(r"(\w+)\s*=\s*optional\(", type_))
            assert set(values[name]) <= attributes, f"{env}.tfvars: {name} sets {sorted(set(values[name]) - attributes)}"
