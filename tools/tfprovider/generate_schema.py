"""Generate typed Terraform provider schemas, offline, from the cdktn provider wheels on PyPI.

No registry is reachable here, so `terraform providers schema -json` cannot run. The PyPI packages
`cdktn-provider-<name>` are generated from that very output; their compiled JavaScript (see jsii_js.py) still
carries what the TypeScript types lose. From it we rebuild, for the WHOLE provider, the per-provider object that
`terraform providers schema -json` prints under `provider_schemas[<source>]`:

    {"provider": {"version": 0, "block": ...},
     "resource_schemas": {"aws_x": {"version": 0, "block": ...}}, "data_source_schemas": {...}}

    block = {"attributes": {name: {"type": <cty type JSON>, "required"|"optional"|"computed": true}},
             "block_types": {name: {"nesting_mode": "single"|"list"|"set"|"map", "block": block,
                                    "max_items"?: 1, "min_items"?: 1}}}

How each piece is read:

* required / optional / computed: the member's `// <name> - computed: X, optional: Y, required: Z` comment.
* block or attribute: a block is configurable, never computed (cdktn writes `computed: false` for every block),
  `isBlock: true` in its HCL rendering, and not rendered through `listMapperHcl(fn, false)` (that marks a
  configurable attribute of objects, e.g. aws_security_group `ingress`). Computed-only members are attributes.
* nesting: the HCL kind (list, set, struct = single). A list block that cdktn wraps in one `OutputReference`
  instead of a `List` helper has max_items = 1 (set blocks of one item are wrapped as lists: max_items is lost);
  a required list or set block has min_items = 1.
* attribute types: the getter (`getStringAttribute`, `getNumberListAttribute`, `Fn.tolist(...)` for sets, ...),
  the helper class (`new XList(this, "x", wrapsSet)` = list or set of objects, `XOutputReference` = object,
  `XMap` = map of objects, `cdktn.StringMap` = map of strings) and, for nested collections that the getter
  leaves untyped, the HCL storage type (`stringListList` under kind `set` = set of lists of strings).

Not carried by the packages: descriptions, `sensitive`, deprecations, max/min items other than 1, schema
versions (all 0), ephemeral resources and provider functions. Members typed `any` there become "dynamic"
attributes (the quicksight `definition`s), except the WAF statement trees, rebuilt (see `_replace_waf_statements`);
a subtree that cdktn made recursive is unrolled `_MAX_UNROLL` times (aws_wafv2_web_acl_rule `statement`).

Usage:

    python -m tools.tfprovider.generate_schema [WHEEL ...] [--out tools/tfprovider/schemas]

Without wheels, the pinned ones are fetched with `pip download --no-deps` into a temporary folder.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.tfprovider.jsii_js import (
    HclEntry,
    JsClass,
    Member,
    Module,
    Package,
    read_wheel,
)

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
GENERATOR = "tools/tfprovider/generate_schema.py"

# The wheels fetched when none are given: hashicorp/aws 6.69.1, archive 2.8.1, time 0.14.2.
WHEELS = {"cdktn-provider-aws": "25.8.1", "cdktn-provider-archive": "14.0.1", "cdktn-provider-time": "14.0.2"}

Block = dict[str, Any]
CtyType = str | list[Any]

_PRIMITIVE = {"string": "string", "number": "number", "boolean": "bool"}

# Getter return expressions (argument removed) of primitive and primitive-collection members.
_GETTER_TYPES: dict[str, CtyType] = {
    "this.getStringAttribute()": "string",
    "this.getNumberAttribute()": "number",
    "this.getBooleanAttribute()": "bool",
    "this.getStringMapAttribute()": ["map", "string"],
    "this.getNumberMapAttribute()": ["map", "number"],
    "this.getBooleanMapAttribute()": ["map", "bool"],
    "this.getListAttribute()": ["list", "string"],
    "cdktn.Fn.tolist(this.getListAttribute())": ["set", "string"],
    "this.getNumberListAttribute()": ["list", "number"],
    "cdktn.Token.asNumberList(cdktn.Fn.tolist(this.getNumberListAttribute()))": ["set", "number"],
}
_GETTER_ARGUMENT = re.compile(r"\('\w+'\)")
_CDKTN_MAPS: dict[str, CtyType] = {
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
}
_MAX_UNROLL = 3


class SchemaError(ValueError):
    """The JavaScript does not say what the generator expects; better to stop than to guess."""


def _uncapitalize(name: str) -> str:
    return name[:1].lower() + name[1:]


def _storage_type(kind: str, storage: str) -> CtyType | None:
    """Type of a configurable attribute from its HCL rendering, when that alone decides it."""
    if kind == "simple":
        return None if storage == "any" else _PRIMITIVE.get(storage)
    for suffix, collection in (("List", "list"), ("Map", "map")):
        if storage.endswith(suffix) and storage[:1].islower():
            inner = storage[: -len(suffix)]
            element = _PRIMITIVE.get(inner) or _storage_type(collection, inner)
            if element is None:
                return None
            return [kind if kind in ("list", "set", "map") else collection, element]
    return None


@dataclass
class _Builder:
    module: Module
    resource_type: str
    cuts: list[str]  # members dropped to end a recursion, "<type>: <member> under <class>"

    def cls(self, name: str) -> JsClass:
        try:
            return self.module.classes[name]
        except KeyError:
            raise SchemaError(f"{self.resource_type}: class {name} not found in {self.module.folder}") from None

    def struct_class(self, member: Member) -> JsClass:
        """The OutputReference class describing one element of a complex member."""
        if member.helper is None:
            raise SchemaError(f"{self.resource_type}.{member.name}: complex member without a helper class")
        helper = self.cls(member.helper)
        return self.cls(helper.element) if helper.element else helper

    def struct_hcl(self, struct_class: JsClass) -> dict[str, HclEntry]:
        struct = _uncapitalize(struct_class.name.removesuffix("OutputReference"))
        return self.module.struct_hcl.get(struct, {})

    def recursion_cut(self, member: Member, path: tuple[str, ...]) -> bool:
        """cdktn reuses an ancestor's struct for a subtree that repeats (aws_wafv2_web_acl_rule: statement ->
        and_statement -> statement -> ...), which no real schema does: unroll such a cycle _MAX_UNROLL times."""
        if member.helper is None or member.helper in _CDKTN_MAPS:
            return False
        element = self.struct_class(member).name
        if path.count(element) < _MAX_UNROLL:
            return False
        self.cuts.append(f"{self.resource_type}: {member.name} under {path[-1]}")
        return True

    def block(self, members: list[Member], hcl: dict[str, HclEntry], path: tuple[str, ...] = ()) -> Block:
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        for member in members:
            if self.recursion_cut(member, path):
                continue
            entry = hcl.get(member.name)
            is_block = (
                entry is not None
                and entry.is_block
                and not member.computed
                and entry.mapper_block is not False
                and entry.kind in ("list", "set", "struct")
            )
            if is_block:
                assert entry is not None
                block_types[member.name] = self.block_type(member, entry, path)
            else:
                attribute: dict[str, Any] = {"type": self.attribute_type(member, entry, path)}
                for flag in ("required", "optional", "computed"):
                    if getattr(member, flag):
                        attribute[flag] = True
                attributes[member.name] = attribute
        return _block(attributes, block_types)

    def block_type(self, member: Member, entry: HclEntry, path: tuple[str, ...]) -> dict[str, Any]:
        element = self.struct_class(member)
        nested: dict[str, Any] = {
            "nesting_mode": "single" if entry.kind == "struct" else entry.kind,
            "block": self.block(element.members, self.struct_hcl(element), (*path, element.name)),
        }
        if entry.kind in ("list", "set"):
            if member.helper == element.name:  # one OutputReference, no List helper: at most one item
                nested["max_items"] = 1
            if member.required:
                nested["min_items"] = 1
        return nested

    def attribute_type(self, member: Member, entry: HclEntry | None, path: tuple[str, ...]) -> CtyType:
        getter = _GETTER_ARGUMENT.sub("()", member.getter)
        if getter in _GETTER_TYPES:
            return copy.deepcopy(_GETTER_TYPES[getter])
        if member.helper in _CDKTN_MAPS:
            return copy.deepcopy(_CDKTN_MAPS[member.helper])
        if member.helper is not None:
            helper = self.cls(member.helper)
            element = self.struct_class(member)
            child_hcl = self.struct_hcl(element)
            child_path = (*path, element.name)
            fields = {
                child.name: self.attribute_type(child, child_hcl.get(child.name), child_path)
                for child in element.members
                if not self.recursion_cut(child, child_path)
            }
            obj: CtyType = ["object", fields]
            if helper.base.endswith("ComplexMap"):
                return ["map", obj]
            if helper.element is None:
                return obj
            is_set = member.wraps_set if entry is None else entry.kind == "set"
            return ["set" if is_set else "list", obj]
        if entry is not None:
            typed = _storage_type(entry.kind, entry.storage)
            if typed is not None:
                return typed
        return "dynamic"


def _block(attributes: dict[str, Any], block_types: dict[str, Any]) -> Block:
    block: Block = {}
    if attributes:
        block["attributes"] = attributes
    if block_types:
        block["block_types"] = block_types
    return block


def _provider_block(module: Module) -> Block:
    """The provider's configuration block. The provider class has no getters, so types come from the HCL
    renderings alone and the optionality of nested arguments from the `.d.ts` interfaces (`readonly x?:`)."""
    provider = next(c for c in module.classes.values() if c.base == "cdktn.TerraformProvider")

    def entries_block(entries: dict[str, HclEntry], required: set[str]) -> Block:
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        for name, entry in entries.items():
            if entry.is_block:
                struct = _uncapitalize(entry.storage.removesuffix("List").removesuffix("Map"))
                interface = module.interfaces.get(struct[:1].upper() + struct[1:], {})
                fields = module.struct_fields.get(struct, {})
                nested_required = {snake for snake, camel in fields.items() if interface.get(camel) is False}
                block_types[name] = {
                    "nesting_mode": "single" if entry.kind == "struct" else entry.kind,
                    "block": entries_block(module.struct_hcl.get(struct, {}), nested_required),
                }
                continue
            typed = _storage_type(entry.kind, entry.storage)
            if typed is None:
                raise SchemaError(f"provider argument {name}: cannot type {entry}")
            attributes[name] = {"type": typed, "required" if name in required else "optional": True}
        return _block(attributes, block_types)

    entries = {name: entry for name, entry in provider.hcl.items() if name != "alias"}  # alias: a meta-argument
    return entries_block(entries, {member.name for member in provider.members if member.required})


# --------------------------------------------------------------------------------------------------------------
# aws_wafv2_web_acl / aws_wafv2_rule_group: rule.statement is typed `any` in the package.
#
# The real (SDKv2) tree is finite: the root statement holds the leaf statements, and/or/not statements nested
# `_WAF_LEVELS` deep (statementSchema(level) in the provider's internal/service/wafv2/schemas.go), a
# rate_based_statement and, in a web ACL only, managed_rule_group_statement and rule_group_reference_statement.
# Leaf statements, rate-based and managed statements are taken from the framework resource
# aws_wafv2_web_acl_rule, whose package types them, with these corrections to match the SDKv2 resources:
#   * rate_based_statement: `custom_keys` is called `custom_key` there; `aggregate_key_type` is optional
#     (default "IP") and `evaluation_window_sec` optional (default 300);
#   * scope_down_statement (rate-based and managed) also takes and/or/not statements, one level down;
#   * and/or/not hold a required `statement` list; every `*_statement` block, and the root `statement`, holds at
#     most one item (the root one is required);
#   * text_transformation is a required set.
# Other nesting limits of the framework tree (no max_items) are kept: looser, never stricter, than the real one.

_WAF_LEVELS = 3
_WAF_LOGICAL = ("and_statement", "not_statement", "or_statement")
_WAF_ACL_ONLY = ("managed_rule_group_statement", "rule_group_reference_statement")


def _waf_framework_root(package: Package) -> dict[str, Any]:
    module = package.modules["wafv2-web-acl-rule"]
    root = module.classes["Wafv2WebAclRuleStatementOutputReference"]
    builder = _Builder(module, "aws_wafv2_web_acl_rule", [])
    return builder.block(root.members, builder.struct_hcl(root), (root.name, root.name, root.name))["block_types"]


def _waf_fix(node: Any) -> Any:
    """Deep copy of a framework subtree with the SDKv2 corrections for leaf statements applied."""
    if not isinstance(node, dict):
        return copy.deepcopy(node)
    fixed = {key: _waf_fix(value) for key, value in node.items()}
    block_types = fixed.get("block", {}).get("block_types", {})
    for name, nested in block_types.items():
        if name == "text_transformation":
            nested.update(nesting_mode="set", min_items=1)
        elif name.endswith("_statement"):
            nested["max_items"] = 1
    return fixed


def _waf_statement_types(framework: dict[str, Any], level: int, web_acl: bool, root: bool) -> dict[str, Any]:
    """The block types of a statement at `level` (root, inside and/or/not, or a scope-down statement)."""
    leaves = {
        name: _waf_fix(nested)
        for name, nested in framework.items()
        if name not in (*_WAF_LOGICAL, *_WAF_ACL_ONLY, "rate_based_statement")
    }
    if level >= 1:
        for name in _WAF_LOGICAL:
            leaves[name] = {
                "nesting_mode": "list",
                "max_items": 1,
                "block": {"block_types": {"statement": {
                    "nesting_mode": "list",
                    "min_items": 1,
                    "block": {"block_types": _waf_statement_types(framework, level - 1, web_acl, root=False)},
                }}},
            }
    if root:
        rate = _waf_fix(framework["rate_based_statement"])
        rate_types = rate["block"]["block_types"]
        rate_types["custom_key"] = rate_types.pop("custom_keys")
        for name in ("aggregate_key_type", "evaluation_window_sec"):
            rate["block"]["attributes"][name] = {"type": rate["block"]["attributes"][name]["type"], "optional": True}
        roots = {"rate_based_statement": rate}
        if web_acl:
            roots.update({name: _waf_fix(framework[name]) for name in _WAF_ACL_ONLY})
        for nested in roots.values():
            if "scope_down_statement" in nested["block"].get("block_types", {}):
                nested["block"]["block_types"]["scope_down_statement"] = {
                    "nesting_mode": "list",
                    "max_items": 1,
                    "block": {"block_types": _waf_statement_types(framework, level - 1, web_acl, root=False)},
                }
        leaves.update(roots)
    for name, nested in leaves.items():
        if name.endswith("_statement"):
            nested["max_items"] = 1
    return dict(sorted(leaves.items()))


def _replace_waf_statements(package: Package, resources: dict[str, Any]) -> None:
    framework = _waf_framework_root(package)
    for resource_type, web_acl in (("aws_wafv2_web_acl", True), ("aws_wafv2_rule_group", False)):
        rule = resources[resource_type]["block"]["block_types"]["rule"]["block"]
        if rule["attributes"].pop("statement")["type"] != "dynamic":
            raise SchemaError(f"{resource_type}: rule.statement is typed now; drop the WAF correction")
        rule.setdefault("block_types", {})["statement"] = {
            "nesting_mode": "list",
            "min_items": 1,
            "max_items": 1,
            "block": {"block_types": _waf_statement_types(framework, _WAF_LEVELS, web_acl, root=True)},
        }


# --------------------------------------------------------------------------------------------------------------


def build_schema(package: Package) -> tuple[dict[str, Any], list[str]]:
    """The whole provider's schema, in the shape of one `provider_schemas` entry of `providers schema -json`,
    and the members dropped to end recursions."""
    resources: dict[str, Any] = {}
    data_sources: dict[str, Any] = {}
    provider: Block | None = None
    cuts: list[str] = []
    for folder in sorted(package.modules):
        module = package.modules[folder]
        for cls in module.classes.values():
            if cls.base == "cdktn.TerraformProvider":
                provider = _provider_block(module)
            elif cls.resource_type and cls.base in ("cdktn.TerraformResource", "cdktn.TerraformDataSource"):
                target = resources if cls.base == "cdktn.TerraformResource" else data_sources
                if cls.resource_type in target:
                    raise SchemaError(f"{cls.resource_type} defined twice")
                block = _Builder(module, cls.resource_type, cuts).block(cls.members, cls.hcl)
                target[cls.resource_type] = {"version": 0, "block": block}
    if provider is None:
        raise SchemaError(f"{package.name}: no provider class")
    if "aws_wafv2_web_acl" in resources:
        _replace_waf_statements(package, resources)
    schema = {
        "provider": {"version": 0, "block": provider},
        "resource_schemas": resources,
        "data_source_schemas": data_sources,
    }
    return schema, cuts


def write_schema(schema: dict[str, Any], path: Path) -> str:
    """Write `schema` gzip-compressed and byte-for-byte reproducible (sorted keys, no timestamp, no file name);
    return the sha256 of the uncompressed JSON."""
    raw = json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as stream:
        stream.write(raw)
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(raw).hexdigest()


def _download(workdir: Path) -> list[Path]:
    pins = [f"{name}=={version}" for name, version in WHEELS.items()]
    # uv's venvs have no pip: fall back to the pip on PATH.
    pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else [shutil.which("pip3") or "pip"]
    subprocess.run(
        [*pip, "download", "--no-deps", "--quiet", "--only-binary=:all:", "-d", str(workdir), *pins], check=True
    )
    return sorted(workdir.glob("*.whl"))


def generate(wheels: list[Path], out_dir: Path) -> dict[str, Any]:
    """Write `<provider>.json.gz` for each wheel, and `provenance.json` describing them all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    provenance_path = out_dir / "provenance.json"
    provenance: dict[str, Any] = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    for wheel in wheels:
        package = read_wheel(wheel)
        short = package.name.removeprefix("@cdktn/provider-")
        schema, cuts = build_schema(package)
        digest = write_schema(schema, out_dir / f"{short}.json.gz")
        provenance[short] = {
            "source": f"registry.terraform.io/hashicorp/{short}",
            "provider_version": package.provider_version,
            "wheel": wheel.name,
            "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "generator": GENERATOR,
            "schema_sha256": digest,
            "resources": len(schema["resource_schemas"]),
            "data_sources": len(schema["data_source_schemas"]),
            "recursion_cuts": sorted(set(cuts)),
        }
        print(f"{short} {package.provider_version}: {len(schema['resource_schemas'])} resources, "
              f"{len(schema['data_source_schemas'])} data sources, {len(cuts)} recursion cuts")
    provenance_path.write_text(json.dumps(dict(sorted(provenance.items())), indent=2, sort_keys=True) + "\n")
    return provenance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", nargs="*", type=Path, help="cdktn-provider-* wheels (default: pip download)")
    parser.add_argument("--out", type=Path, default=SCHEMA_DIR)
    args = parser.parse_args(argv)
    if args.wheels:
        generate(args.wheels, args.out)
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        generate(_download(Path(workdir)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
