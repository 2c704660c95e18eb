"""Read the compiled JavaScript of a cdktn provider package (the jsii tarball inside its wheel).

The TypeScript types of these packages cannot tell a list from a set or a single block from a list of one, but
the generated JavaScript can. Per module folder (`lib/<resource>/`, with `index-structs/*.js` for big ones) we
collect:

* every class: each member's `// <name> - computed: X, optional: Y, required: Z` comment, its getter's return
  expression and, for complex members, the helper class it instantiates (`new FooList(this, "foo", wrapsSet)`);
* for list and map helper classes, the element class their `get(...)` returns;
* every `<struct>ToHclTerraform` function and each class's `synthesizeHclAttributes()`: per configurable member
  whether it is a block, its kind (simple, list, set, map, struct), its storage type and, for lists of structs,
  the `listMapperHcl(fn, isBlock)` flag (false for an attribute of objects);
* each provider's struct interfaces from the `.d.ts` files (the provider class has no getters to read).

Only the standard library; names are unique within a module folder, so every file of a folder shares one table.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CLASS_START = re.compile(r"^class (\w+) extends ([\w.]+) \{$")
_FUNCTION_START = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{$")
_MEMBER = re.compile(
    r"^    // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$", re.MULTILINE
)
_INIT = re.compile(r'^    _\w+ = new (?:[\w]+\.)*(\w+)\(this, "\w+"(?:, (true|false))?\);$', re.MULTILINE)
_GETTER = re.compile(r"^    get \w+\(\) \{\n\s+return (.+);$", re.MULTILINE)
_ELEMENT = re.compile(r"^    get\((?:index|key)\) \{\n\s+return new (?:\w+\.)*(\w+)\(", re.MULTILINE)
_RESOURCE_TYPE = re.compile(r"terraformResourceType: '(\w+)'")
_HCL_ENTRY = re.compile(
    r'^\s+(\w+): \{\n\s+value: (.*),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",\n',
    re.MULTILINE,
)
_LIST_MAPPER_FLAG = re.compile(r"listMapperHcl\([\w.]+, (true|false)\)")
_SYNTH_HCL = re.compile(r"^    synthesizeHclAttributes\(\) \{$(.*?)^    \}$", re.MULTILINE | re.DOTALL)
_INTERFACE = re.compile(r"^export interface (\w+) \{$(.*?)^\}$", re.MULTILINE | re.DOTALL)
_INTERFACE_PROPERTY = re.compile(r"^    readonly (\w+)(\??):", re.MULTILINE)
_TO_TERRAFORM_FIELD = re.compile(r"^        (\w+): .*\(struct\.(\w+)\)", re.MULTILINE)
_TO_TERRAFORM = re.compile(r"^function (\w+)ToTerraform\(struct\) \{$(.*?)^\}$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Member:
    """One member of a generated class, as its comment and getter describe it."""

    name: str
    computed: bool
    optional: bool
    required: bool
    getter: str  # the getter's return expression, e.g. "this.getStringAttribute('name')"
    helper: str | None  # class instantiated for a complex member, e.g. "DynamodbTableAttributeList"
    wraps_set: bool | None  # third argument of a list helper's constructor


@dataclass(frozen=True)
class HclEntry:
    """How `synthesizeHclAttributes` renders one configurable member."""

    is_block: bool
    kind: str  # simple | list | set | map | struct
    storage: str  # string, number, boolean, stringList, stringMap, <Struct>List, ..., any
    mapper_block: bool | None  # listMapperHcl's second argument, when the value goes through one


@dataclass
class JsClass:
    name: str
    base: str
    members: list[Member]
    element: str | None  # for List / Map helpers: the class of one element
    resource_type: str | None  # for resources and data sources
    hcl: dict[str, HclEntry]  # synthesizeHclAttributes() of resources, data sources and providers


@dataclass
class Module:
    """One folder of `lib/`: a resource, a data source or the provider, with all its helper classes."""

    folder: str
    classes: dict[str, JsClass] = field(default_factory=dict)
    struct_hcl: dict[str, dict[str, HclEntry]] = field(default_factory=dict)  # keyed by "<struct>" (lowerCamel)
    interfaces: dict[str, dict[str, bool]] = field(default_factory=dict)  # interface -> camelName -> optional
    struct_fields: dict[str, dict[str, str]] = field(default_factory=dict)  # struct -> snake_name -> camelName


def _hcl_entries(text: str) -> dict[str, HclEntry]:
    entries = {}
    for match in _HCL_ENTRY.finditer(text):
        name, value, is_block, kind, storage = match.groups()
        flag = _LIST_MAPPER_FLAG.search(value)
        entries[name] = HclEntry(is_block == "true", kind, storage, None if flag is None else flag.group(1) == "true")
    return entries


def _members(body: str) -> list[Member]:
    members = []
    starts = list(_MEMBER.finditer(body))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        chunk = body[match.end() : end]
        getter = _GETTER.search(chunk)
        init = _INIT.search(chunk)
        # The init line sits between the comment and the getter; a later `new` belongs to something else.
        if init is not None and getter is not None and init.start() > getter.start():
            init = None
        name, computed, optional, required = match.groups()
        members.append(
            Member(
                name=name,
                computed=computed == "true",
                optional=optional == "true",
                required=required == "true",
                getter=getter.group(1) if getter else "",
                helper=init.group(1) if init else None,
                wraps_set=None if init is None or init.group(2) is None else init.group(2) == "true",
            )
        )
    return members


def _top_level_chunks(text: str) -> Iterator[tuple[str, str, str, str]]:
    """Yield (kind, name, base, body) for each top-level `class` and `*ToHclTerraform` function of a file."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        class_match = _CLASS_START.match(line)
        function_match = None if class_match else _FUNCTION_START.match(line)
        if class_match is None and function_match is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end] != "}":
            end += 1
        body = "\n".join(lines[index + 1 : end])
        if class_match is not None:
            yield "class", class_match.group(1), class_match.group(2), body
        else:
            assert function_match is not None
            yield "function", function_match.group(1), "", body
        index = end + 1


def parse_js(module: Module, text: str) -> None:
    """Add the classes and HCL renderings of one JavaScript file to its module's tables."""
    for kind, name, base, body in _top_level_chunks(text):
        if kind == "function":
            module.struct_hcl[name] = _hcl_entries(body)
            continue
        element = _ELEMENT.search(body)
        resource_type = _RESOURCE_TYPE.search(body)
        synth = _SYNTH_HCL.search(body)
        module.classes[name] = JsClass(
            name=name,
            base=base,
            members=_members(body),
            element=element.group(1) if element else None,
            resource_type=resource_type.group(1) if resource_type else None,
            hcl=_hcl_entries(synth.group(1)) if synth else {},
        )
    for match in _TO_TERRAFORM.finditer(text):
        module.struct_fields[match.group(1)] = dict(_TO_TERRAFORM_FIELD.findall(match.group(2)))


def parse_dts(module: Module, text: str) -> None:
    """Record which properties of each exported interface are optional (`readonly name?: ...`)."""
    for match in _INTERFACE.finditer(text):
        module.interfaces[match.group(1)] = {
            prop: mark == "?" for prop, mark in _INTERFACE_PROPERTY.findall(match.group(2))
        }


@dataclass
class Package:
    """The parsed `lib/` of one cdktn provider package."""

    name: str  # npm name, e.g. "@cdktn/provider-aws"
    version: str  # package version, e.g. "25.8.1"
    provider_version: str  # Terraform provider version the package was generated from, e.g. "6.69.1"
    modules: dict[str, Module]


def _jsii_tarball(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if name.endswith(".jsii.tgz")]
        if len(names) != 1:
            raise ValueError(f"{wheel}: expected one .jsii.tgz, found {names}")
        return archive.read(names[0])


def read_wheel(wheel: Path) -> Package:
    """Parse every `lib/<folder>/**/*.js` (and the provider's `.d.ts`) of the wheel's jsii tarball."""
    modules: dict[str, Module] = {}
    package_json: dict[str, Any] = {}
    with tarfile.open(fileobj=io.BytesIO(_jsii_tarball(wheel)), mode="r:gz") as tar:
        for info in tar:
            parts = info.name.split("/")
            if info.name == "package/package.json":
                package_json = json.load(tar.extractfile(info))  # type: ignore[arg-type]
                continue
            if len(parts) < 4 or parts[:2] != ["package", "lib"] or not info.isfile():
                continue
            folder = parts[2]
            is_js = info.name.endswith(".js")
            if not is_js and not (folder == "provider" and info.name.endswith(".d.ts")):
                continue
            text = tar.extractfile(info).read().decode()  # type: ignore[union-attr]
            module = modules.setdefault(folder, Module(folder))
            (parse_js if is_js else parse_dts)(module, text)
    return Package(
        name=package_json["name"],
        version=package_json["version"],
        provider_version=package_json["cdktn"]["provider"]["version"],
        modules=modules,
    )
