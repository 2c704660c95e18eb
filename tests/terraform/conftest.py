"""The Terraform stack, parsed once: every .tf file of terraform/ and modules/ as plain dicts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from tests.conftest import REPO_ROOT

TERRAFORM_DIRS = [REPO_ROOT / "terraform", *sorted((REPO_ROOT / "modules").iterdir())]
_OPTIONS = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)


@dataclass(frozen=True)
class Block:
    """One resource, data source, module call, variable or output."""

    directory: str  # e.g. "terraform", "modules/graphql_api"
    kind: str  # resource | data | module | variable | output
    type: str  # e.g. "aws_dynamodb_table"; "" for module/variable/output
    name: str
    body: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.directory}: {self.kind} {self.type} {self.name}".replace("  ", " ")


@dataclass
class Stack:
    blocks: list[Block]
    sources: dict[Path, str]
    locals_by_directory: dict[str, dict[str, Any]]

    def find(self, kind: str, type_: str = "", directory: str | None = None) -> list[Block]:
        return [
            block
            for block in self.blocks
            if block.kind == kind and block.type == type_ and (directory is None or block.directory == directory)
        ]

    def one(self, kind: str, type_: str = "", name: str | None = None, directory: str | None = None) -> Block:
        found = [block for block in self.find(kind, type_, directory) if name is None or block.name == name]
        assert len(found) == 1, f"expected one {kind} {type_} {name or ''} in {directory or 'the stack'}, found {len(found)}"
        return found[0]

    def text(self) -> str:
        return "\n".join(self.sources.values())

    def policy_statements(self, policy_document: Block) -> list[dict[str, Any]]:
        """Statements of an aws_iam_policy_document, with those of the documents of its directory that it
        merges in through source_policy_documents = [data.aws_iam_policy_document.X.json, ...]."""
        found = []
        for reference in policy_document.body.get("source_policy_documents", []):
            match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", reference)
            assert match, f"{policy_document.address}: source_policy_documents entry {reference!r} is no policy document of the stack"
            found += self.policy_statements(self.one("data", "aws_iam_policy_document", match.group(1), policy_document.directory))
        return found + statements(policy_document)

    def locals(self, directory: str = "terraform") -> dict[str, Any]:
        """Every local value of a directory, as parsed (expressions stay "${...}" strings)."""
        return self.locals_by_directory.get(directory, {})


def _blocks(directory: str, document: dict[str, Any]) -> Iterator[Block]:
    for kind in ("resource", "data"):
        for entry in document.get(kind, []):
            for type_, named in entry.items():
                for name, body in named.items():
                    yield Block(directory, kind, type_, name, body)
    for kind in ("module", "variable", "output"):
        for entry in document.get(kind, []):
            for name, body in entry.items():
                yield Block(directory, kind, "", name, body)


@pytest.fixture(scope="session")
def stack() -> Stack:
    blocks: list[Block] = []
    sources: dict[Path, str] = {}
    locals_by_directory: dict[str, dict[str, Any]] = {}
    for directory in TERRAFORM_DIRS:
        name = str(directory.relative_to(REPO_ROOT))
        for path in sorted(directory.glob("*.tf")):
            sources[path] = path.read_text()
            document = hcl2.loads(sources[path], serialization_options=_OPTIONS)
            blocks.extend(_blocks(name, document))
            for entry in document.get("locals", []):
                locals_by_directory.setdefault(name, {}).update(entry)
    return Stack(blocks, sources, locals_by_directory)


def statements(policy_document: Block) -> list[dict[str, Any]]:
    """Statements of an aws_iam_policy_document, the dynamic ones' content included."""
    body = policy_document.body
    found = list(body.get("statement", []))
    for dynamic in body.get("dynamic", []):
        found.extend(dynamic.get("statement", {}).get("content", []))
    return found
