"""The documents in graphql/operations/ (what the tests, the benchmarks, the console and the operators' tool send)
are valid against the API's schema, as graphql-core's validator judges them, and each is one operation named
after its file (the operators' tool sends it under that name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import FieldNode, OperationDefinitionNode, Visitor, parse, validate, visit

from local.appsync.host import load_schema
from local.manifest import Manifest
from local.operations import OPERATIONS_DIR

DOCUMENTS = sorted(OPERATIONS_DIR.glob("*.graphql"))


def test_the_operators_documents_are_there() -> None:
    names = {path.stem for path in DOCUMENTS}
    assert {"createClient", "createClientKey", "revokeClientKey", "updateClientLimits", "client", "clients", "auditEvents"} <= names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_a_document_is_valid_against_the_schema_and_named_after_its_file(manifest: Manifest, path: Path) -> None:
    document = parse(path.read_text())
    assert validate(load_schema(manifest), document) == []
    [definition] = document.definitions
    assert isinstance(definition, OperationDefinitionNode) and definition.name is not None and definition.name.value == path.stem


def selected_fields(path: Path) -> set[str]:
    names: set[str] = set()

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            names.add(node.name.value)

    visit(parse(path.read_text()), Fields())
    return names


def test_only_the_documents_that_make_a_secret_select_one() -> None:
    # A key's secret exists only in createClientKey's answer, a webhook's signing secret only in createWebhook's and
    # rotateWebhookSecret's; nothing else asks for one.
    assert [path.stem for path in DOCUMENTS if "secret" in selected_fields(path)] == ["createClientKey", "createWebhook", "rotateWebhookSecret"]
