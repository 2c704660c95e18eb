"""What `terraform validate` would check of the wiring, offline: every reference names something that exists.

`validate` needs the providers from the registry, so it cannot run here. These tests read the parsed HCL and
check that each `var.`, `local.` and `module.X.Y` reference, each module input, and each resource or data
attribute that the stack reads is declared (attributes against the committed provider schemas).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from tests.conftest import REPO_ROOT

_OPTIONS = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)
DIRECTORIES = ["terraform", *sorted(f"modules/{path.name}" for path in (REPO_ROOT / "modules").iterdir() if path.is_dir())]
MODULE_META = {"source", "version", "for_each", "count", "depends_on", "providers"}
SCHEMAS = {name: json.loads((REPO_ROOT / "tools" / "provider_schema" / f"{name}.json").read_text()) for name in ("aws", "archive", "time")}
RESOURCE_REF = re.compile(r"(?<![\w.])((?:aws|archive|time|terraform)_\w+)\.(\w+)(?:\[[^\]]*\])?(?:\.(\w+))?")
DATA_REF = re.compile(r"\bdata\.(\w+)\.(\w+)(?:\[[^\]]*\])?(?:\.(\w+))?")


def _load(directory: str) -> list[dict[str, Any]]:
    return [hcl2.loads(path.read_text(), serialization_options=_OPTIONS) for path in sorted((REPO_ROOT / directory).glob("*.tf"))]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not key.startswith("__"):  # comments
                yield from _strings(key)
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _declared(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return {name: body for document in documents for entry in document.get(kind, []) for name, body in entry.items()}


def _blocks(documents: list[dict[str, Any]], kind: str) -> set[tuple[str, str]]:
    return {(type_, name) for document in documents for entry in document.get(kind, []) for type_, named in entry.items() for name in named}


def _expressions(documents: list[dict[str, Any]]) -> list[str]:
    # Only the expression parts of strings: "${...}" (descriptions may mention names in prose).
    found = []
    for text in (s for document in documents for s in _strings(document)):
        found += re.findall(r"\$\{(.*)\}", text, re.DOTALL)
    return found


def _attributes(kind: str, tf_type: str) -> set[str] | None:
    """Attribute names, compared without underscores: computed names come from the bindings' getters,
    which split digits off (output_base64_sha256 for output_base64sha256)."""
    for schema in SCHEMAS.values():
        entry = schema["resources" if kind == "resource" else "data_sources"].get(tf_type)
        if entry is not None:
            return {_plain(name) for name in [*entry["arguments"], *entry["blocks"], *entry.get("computed", []), "id"]}
    return None


def _plain(name: str) -> str:
    return name.replace("_", "")


@pytest.mark.parametrize("directory", DIRECTORIES)
def test_variables_and_locals_referenced_are_declared(directory: str) -> None:
    documents = _load(directory)
    expressions = _expressions(documents)
    variables = set(_declared(documents, "variable"))
    locals_ = {name for document in documents for entry in document.get("locals", []) for name in entry}
    assert {name for e in expressions for name in re.findall(r"\bvar\.(\w+)", e)} - variables == set()
    assert {name for e in expressions for name in re.findall(r"\blocal\.(\w+)", e)} - locals_ == set()


@pytest.mark.parametrize("directory", DIRECTORIES)
def test_resources_and_data_sources_referenced_exist_and_have_the_attribute(directory: str) -> None:
    documents = _load(directory)
    expressions = _expressions(documents)
    resources, data = _blocks(documents, "resource"), _blocks(documents, "data")
    problems = []
    for expression in expressions:
        for kind, pattern, declared in (("resource", RESOURCE_REF, resources), ("data", DATA_REF, data)):
            for tf_type, name, attribute in pattern.findall(expression):
                if (tf_type, name) not in declared:
                    problems.append(f"{kind} {tf_type}.{name} is not declared")
                elif attribute and (attributes := _attributes(kind, tf_type)) is not None and _plain(attribute) not in attributes:
                    problems.append(f"{kind} {tf_type}.{name} has no attribute {attribute}")
    problems = sorted(set(problems))
    assert problems == [], "\n".join(problems)


def _module_dir(caller: str, source: str) -> str:
    return os.path.normpath(os.path.join(caller, source))


@pytest.mark.parametrize("directory", ["terraform", "tests/terraform/live/messenger"])
def test_module_calls_pass_declared_inputs_and_read_declared_outputs(directory: str) -> None:
    documents = _load(directory)
    calls = _declared(documents, "module")
    problems = []
    for name, call in calls.items():
        target = _module_dir(directory, call["source"])
        target_documents = _load(target)
        variables = _declared(target_documents, "variable")
        inputs = set(call) - MODULE_META - {key for key in call if key.startswith("__")}
        problems += [f"module {name}: {target} has no variable {key}" for key in sorted(inputs - set(variables))]
        problems += [f"module {name}: required variable {key} of {target} not set" for key, body in variables.items() if "default" not in body and key not in inputs]
    outputs_of = {name: set(_declared(_load(_module_dir(directory, call["source"])), "output")) for name, call in calls.items()}
    for expression in _expressions(documents):
        for name, output in re.findall(r"\bmodule\.(\w+)(?:\[[^\]]*\])?\.(\w+)", expression):
            if name not in outputs_of:
                problems.append(f"module.{name} is not called here")
            elif output not in outputs_of[name]:
                problems.append(f"module.{name} has no output {output}")
    problems = sorted(set(problems))
    assert problems == [], "\n".join(problems)


def test_the_reference_checks_catch_a_misspelt_output_and_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the root with one module output and one module input misspelt
    import tests.terraform.test_references as checks

    root = tmp_path / "terraform"
    root.mkdir()
    (tmp_path / "modules").symlink_to(REPO_ROOT / "modules")
    for path in (REPO_ROOT / "terraform").glob("*.tf"):
        text = path.read_text().replace("module.messages_table.index_arns", "module.messages_table.index_arn")
        (root / path.name).write_text(text.replace("dead_letter_queue_enabled = true", "dead_letter_queue_enable = true"))
    monkeypatch.setattr(checks, "REPO_ROOT", tmp_path)
    # WHEN the module calls are checked
    with pytest.raises(AssertionError) as failure:
        checks.test_module_calls_pass_declared_inputs_and_read_declared_outputs("terraform")
    # THEN both are named
    assert "module.messages_table has no output index_arn" in str(failure.value)
    assert "modules/lambda_function has no variable dead_letter_queue_enable" in str(failure.value)
