"""Check Terraform `resource` / `data` blocks against provider schemas extracted offline.

The schemas are the JSON files written by tools/extract_provider_schema.py into tools/provider_schema/ (one per
provider: aws.json, archive.json, time.json). Without `terraform init` there is no `terraform validate`, so this
catches what it would: unknown types, arguments and blocks, a block written as an argument (`foo = {...}`) or an
argument written as a block, missing required arguments / blocks, and literal values of an impossible kind.

    from tools.tfschema import check_paths
    errors = check_paths(["infra/"])   # -> ["infra/main.tf:12: aws_sqs_queue.dlq: unknown argument ..."]

Only stdlib and python-hcl2 8.x. Values that are expressions (`var.x`, `"${...}"`, function calls) are never judged.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

SCHEMA_DIR = Path(__file__).resolve().parent / "provider_schema"

# explicit_blocks marks every block body with __is_block__, which is what tells `foo {}` from `foo = {}`.
_PARSE_OPTIONS = SerializationOptions(
    with_comments=False, strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=True
)
_IS_BLOCK = "__is_block__"

# Terraform's meta-arguments, valid only at the top of a resource / data block.
_META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on"})
_META_BLOCKS = {"resource": frozenset({"lifecycle", "provisioner", "connection"}), "data": frozenset({"lifecycle"})}
_DYNAMIC_ARGUMENTS = frozenset({"for_each", "iterator", "labels"})
_SECTION = {"resource": "resources", "data": "data_sources"}

Schema = dict[str, Any]


@dataclass(frozen=True)
class ProviderSchema:
    name: str
    version: str
    file: Path
    doc: Schema

    def type_schema(self, kind: str, tf_type: str) -> Schema | None:
        found: Schema | None = self.doc[_SECTION[kind]].get(tf_type)
        return found

    def exists(self, kind: str, tf_type: str) -> bool:
        return tf_type in self.doc.get("all_types", {}).get(_SECTION[kind], ())


@dataclass(frozen=True)
class Schemas:
    providers: dict[str, ProviderSchema]

    def provider_for(self, tf_type: str) -> ProviderSchema | None:
        # Terraform's implied provider is the type name up to the first underscore.
        return self.providers.get(tf_type.split("_", 1)[0])


@cache
def load_schemas(schema_dir: Path = SCHEMA_DIR) -> Schemas:
    providers: dict[str, ProviderSchema] = {}
    for file in sorted(schema_dir.glob("*.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        providers[doc["provider"]] = ProviderSchema(doc["provider"], doc["provider_version"], file, doc)
    if not providers:
        raise FileNotFoundError(f"no provider schemas in {schema_dir}; run tools/extract_provider_schema.py")
    return Schemas(providers)


# --------------------------------------------------------------------------------------------------------------
# Public entry points


def check_paths(paths: Iterable[str | Path], schemas: Schemas | None = None) -> list[str]:
    """Check every .tf file in the given files / directories (recursively, skipping .terraform)."""
    errors: list[str] = []
    for file in _tf_files(paths):
        errors.extend(check_file(file, schemas))
    return errors


def check_file(path: str | Path, schemas: Schemas | None = None) -> list[str]:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        doc = hcl2.loads(text, serialization_options=_PARSE_OPTIONS)
    except Exception as exc:  # noqa: BLE001 - lark raises several unrelated exception types for bad syntax
        return [f"{path}: cannot parse HCL: {str(exc).splitlines()[0]}"]
    return check_document(doc, str(path), text, schemas or load_schemas())


def check_document(doc: dict[str, Any], where: str, text: str, schemas: Schemas) -> list[str]:
    """Check an already parsed document; `text` is only used to find line numbers for messages."""
    errors: list[str] = []
    for kind in ("resource", "data"):
        for labelled in doc.get(kind, []):
            for tf_type, by_name in labelled.items():
                for name, body in by_name.items():
                    address = f"{tf_type}.{name}" if kind == "resource" else f"data.{tf_type}.{name}"
                    prefix = f"{where}:{_line_of(text, kind, tf_type, name)}: {address}"
                    errors.extend(f"{prefix}: {msg}" for msg in _check_resource(kind, tf_type, body, schemas))
    return errors


# --------------------------------------------------------------------------------------------------------------
# Checking


def _check_resource(kind: str, tf_type: str, body: dict[str, Any], schemas: Schemas) -> list[str]:
    provider = schemas.provider_for(tf_type)
    if provider is None:
        return []  # a provider we have no schema for
    schema = provider.type_schema(kind, tf_type)
    if schema is None:
        noun = "resource type" if kind == "resource" else "data source"
        if provider.exists(kind, tf_type):
            return [
                (
                    f'{noun} "{tf_type}" is not in {provider.file.name}; '
                    "add it to PROVIDERS in tools/extract_provider_schema.py and regenerate"
                )
            ]
        known = provider.doc.get("all_types", {}).get(_SECTION[kind]) or provider.doc[_SECTION[kind]]
        return [f'unknown {noun} "{tf_type}" (hashicorp/{provider.name} {provider.version}){_hint(tf_type, known)}']
    errors: list[str] = []
    _check_body(body, schema, "", errors, meta_blocks=_META_BLOCKS[kind], top=True)
    return errors


def _check_body(
    body: dict[str, Any],
    schema: Schema,
    path: str,
    errors: list[str],
    meta_blocks: frozenset[str] = frozenset(),
    top: bool = False,
) -> None:
    arguments: dict[str, Any] = schema["arguments"]
    blocks: dict[str, Any] = schema["blocks"]
    computed: list[str] = schema.get("computed", [])
    present: set[str] = set()

    for key, value in body.items():
        if _is_meta_key(key):
            continue
        where = f'"{path}{key}"'
        instances = _block_instances(value)
        if key == "dynamic" and instances is not None:
            for labels, dyn_body in instances:
                if len(labels) != 1:
                    errors.append(f'{where}: a dynamic block takes exactly one label, got {len(labels)}')
                    continue
                present.add(labels[0])
                _check_dynamic(labels[0], dyn_body, blocks, arguments, path, errors)
            continue
        if top and (key in _META_ARGUMENTS or key in meta_blocks):
            continue
        present.add(key)
        if key in blocks:
            block = blocks[key]
            if instances is None:
                errors.append(f"{where} is a block, written as an argument (use `{key} {{ ... }}`)")
                continue
            if any(labels for labels, _ in instances):
                errors.append(f"{where} is a block that takes no labels")
            if block.get("max_items") == 1 and len(instances) > 1:
                errors.append(f"{where} allows at most one block, found {len(instances)}")
            for i, (_, instance) in enumerate(instances):
                index = f"[{i}]" if len(instances) > 1 else ""
                if not block.get("unchecked"):
                    _check_body(instance, block, f"{path}{key}{index}.", errors)
        elif key in arguments:
            if instances is not None:
                errors.append(f"{where} is an argument, written as a block (use `{key} = ...`)")
                continue
            problem = _kind_problem(arguments[key]["kind"], value)
            if problem:
                errors.append(f"{where} {problem}")
        elif key in computed:
            errors.append(f"{where} is a computed attribute; it cannot be set")
        else:
            noun = "block" if instances is not None else "argument"
            candidates = list(arguments) + list(blocks)
            errors.append(f"unknown {noun} {where}{_hint(key, candidates)}")

    for name, spec in arguments.items():
        if spec["required"] and name not in present:
            errors.append(f'missing required argument "{path}{name}"')
    for name, spec in blocks.items():
        if spec["required"] and name not in present:
            errors.append(f'missing required block "{path}{name}"')


def _check_dynamic(
    label: str,
    dyn_body: dict[str, Any],
    blocks: dict[str, Any],
    arguments: dict[str, Any],
    path: str,
    errors: list[str],
) -> None:
    """`dynamic "x" { for_each = ... content { ... } }` stands for block x: check content against x."""
    where = f'"{path}{label}" (dynamic)'
    if label not in blocks:
        if label in arguments:
            errors.append(f"{where} is an argument, written as a dynamic block")
        else:
            errors.append(f"unknown block {where}{_hint(label, list(blocks))}")
        return
    for key in dyn_body:
        if not (_is_meta_key(key) or key in _DYNAMIC_ARGUMENTS or key == "content"):
            errors.append(f'{where}: unknown argument "{key}" in a dynamic block')
    if "for_each" not in dyn_body:
        errors.append(f'{where}: missing "for_each"')
    content = _block_instances(dyn_body.get("content"))
    if content is None or len(content) != 1 or content[0][0]:
        errors.append(f"{where}: needs exactly one `content {{ ... }}` block")
        return
    if not blocks[label].get("unchecked"):
        _check_body(content[0][1], blocks[label], f"{path}{label}[dynamic].", errors)


def _is_meta_key(key: str) -> bool:
    return key.startswith("__") and key.endswith("__")  # parser metadata such as __is_block__


def _block_instances(value: Any) -> list[tuple[tuple[str, ...], dict[str, Any]]] | None:
    """(labels, body) for each block if `value` is a list of blocks, else None (an argument).

    hcl2 gives `x { }` as [{..., __is_block__}] and `x "a" { }` as [{"a": {..., __is_block__}}]; an object
    literal never carries __is_block__, so `x = [{...}]` stays an argument.
    """
    if not isinstance(value, list) or not value:
        return None
    out: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for node in value:
        labels: list[str] = []
        while isinstance(node, dict) and not node.get(_IS_BLOCK):
            keys = [k for k in node if not _is_meta_key(k)]
            if len(keys) != 1:
                return None
            labels.append(keys[0])
            node = node[keys[0]]
        if not isinstance(node, dict):
            return None
        out.append((tuple(labels), node))
    return out


def _is_expression(value: str) -> bool:
    # hcl2 renders every non-literal as "${...}"; templates carry ${ or %{. Escaped $${ stays a literal,
    # but treating it as an expression only means we skip a check.
    return "${" in value or "%{" in value


def _kind_problem(kind: str, value: Any) -> str | None:
    """Only what Terraform's type conversion can never accept, judged on literals."""
    if value is None or kind == "any" or (isinstance(value, str) and _is_expression(value)):
        return None
    got = _literal_kind(value)
    if kind == "string":
        ok = got in ("string", "number", "bool")
    elif kind == "number":
        ok = got == "number" or (got == "string" and _is_number(value))
    elif kind == "bool":
        ok = got == "bool" or (got == "string" and value in ("true", "false"))
    elif kind == "list":
        ok = got == "list"
    else:  # map / object
        ok = got == "map"
    return None if ok else f"expects a {kind}, got a {got} literal"


def _literal_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "string"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _hint(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _line_of(text: str, kind: str, tf_type: str, name: str) -> int:
    """Line of `resource "type" "name" {` (labels may be unquoted); 0 if not found."""
    pattern = rf'^[ \t]*{kind}\s+"?{re.escape(tf_type)}"?\s+"?{re.escape(name)}"?\s*\{{'
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _tf_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(f for f in path.rglob("*.tf") if ".terraform" not in f.parts)
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(path)
    return sorted(set(files))


if __name__ == "__main__":
    import sys

    found = check_paths(sys.argv[1:] or ["."])
    print("\n".join(found) if found else "no schema errors")
    sys.exit(1 if found else 0)
