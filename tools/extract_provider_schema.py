#!/usr/bin/env python3
"""Extract Terraform provider schemas, offline, from the prebuilt CDK Terrain (cdktn) provider bindings.

There is no Terraform registry here, so `terraform providers schema -json` is not available. The PyPI packages
`cdktn-provider-<name>` are generated from that very schema and ship it as a jsii assembly
(wheel -> `<pkg>/_jsii/provider-<name>@<ver>.jsii.tgz` -> `package/.jsii`). From the assembly we read, for each
resource / data-source type listed in PROVIDERS below:

* its config struct (the constructor's `config` parameter). It lists only configurable attributes; computed-only
  attributes appear solely as read-only getters on the resource class; the top-level ones are recorded under
  "computed" (so a checker can say "cannot be set" rather than "unknown").
* each property's real snake_case name: the anchor of its registry doc link (`.../dynamodb_table#kms_key_arn`).
* required = the property has no `optional` flag.
* nested blocks: struct-typed properties whose summary reads "<name> block."; a single struct means max_items 1,
  an array of structs means more than one may be given ("many"). A struct-typed property without that summary is
  an object-typed argument.
* some deep subtrees (e.g. aws_wafv2_web_acl rule.statement) are typed `any` in the assembly; such a block is
  recorded with "unchecked": true and nothing below it.

Usage (stdlib only; the wheel is found in the running interpreter's site-packages if the pinned version is
installed there, otherwise downloaded with `pip download` or, failing that, `uv pip install --target`):

    python3 tools/extract_provider_schema.py                      # all providers in PROVIDERS
    python3 tools/extract_provider_schema.py --provider aws       # just one
    python3 tools/extract_provider_schema.py path/to/cdktn_provider_aws-25.8.1-py3-none-any.whl

A positional source may be a wheel, a `*.jsii.tgz`, or a directory holding one (e.g. an installed package).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_FORMAT_VERSION = 1
OUT_DIR = Path(__file__).resolve().parent / "provider_schema"


@dataclass(frozen=True)
class ProviderSpec:
    package: str  # PyPI distribution
    version: str  # pinned distribution version (not the Terraform provider version)
    resources: tuple[str, ...] = ()
    data_sources: tuple[str, ...] = ()


# The types our stack uses. Extend a tuple and re-run the script to cover more.
PROVIDERS: dict[str, ProviderSpec] = {
    "aws": ProviderSpec(
        package="cdktn-provider-aws",
        version="25.8.1",
        resources=(
            "aws_appsync_graphql_api",
            "aws_appsync_api_key",
            "aws_appsync_datasource",
            "aws_appsync_function",
            "aws_appsync_resolver",
            "aws_dynamodb_table",
            "aws_dynamodb_table_item",
            "aws_kms_key",
            "aws_kms_alias",
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_iam_role_policies_exclusive",
            "aws_lambda_function",
            "aws_lambda_permission",
            "aws_lambda_function_event_invoke_config",
            "aws_cloudwatch_event_rule",
            "aws_cloudwatch_event_target",
            "aws_cloudwatch_log_group",
            "aws_cloudwatch_log_subscription_filter",
            "aws_cloudwatch_metric_alarm",
            "aws_wafv2_web_acl",
            "aws_wafv2_web_acl_association",
            "aws_wafv2_web_acl_logging_configuration",
            "aws_sesv2_configuration_set",
            "aws_sesv2_configuration_set_event_destination",
            "aws_sesv2_email_identity",
            "aws_sns_topic",
            "aws_sns_topic_policy",
            "aws_sns_topic_subscription",
            "aws_sns_sms_preferences",
            "aws_sqs_queue",
            "aws_sqs_queue_policy",
        ),
        data_sources=(
            "aws_caller_identity",
            "aws_region",
            "aws_partition",
            "aws_iam_policy_document",
        ),
    ),
    "archive": ProviderSpec(
        package="cdktn-provider-archive",
        version="14.0.1",
        data_sources=("archive_file",),
    ),
    "time": ProviderSpec(
        package="cdktn-provider-time",
        version="14.0.2",
        resources=("time_rotating", "time_offset", "time_static", "time_sleep"),
    ),
}

# {@link https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs/resources/dynamodb_table aws_dynamodb_table}
_CLASS_LINK = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/[^/]+/[^/]+/[^/]+/docs/(resources|data-sources)/\S+ (\w+)\}"
)
# {@link https://registry.terraform.io/.../dynamodb_table#kms_key_arn DynamodbTable#kms_key_arn}
_PROP_LINK = re.compile(r"\{@link https://registry\.terraform\.io/\S+#(\w+) \S+\}")
_RESOLVABLE = "cdktn.IResolvable"
_KIND_BY_SECTION = {"resources": "resources", "data-sources": "data_sources"}
_PRIMITIVE_KIND = {"string": "string", "number": "number", "boolean": "bool", "any": "any", "json": "any"}


# --------------------------------------------------------------------------------------------------------------
# Reading the assembly


@dataclass
class Assembly:
    types: dict[str, Any]
    package_json: dict[str, Any]

    @property
    def provider_source(self) -> str:
        return str(self._provider_meta().get("name", ""))

    @property
    def provider_version(self) -> str:
        return str(self._provider_meta().get("version", ""))

    def _provider_meta(self) -> dict[str, Any]:
        # cdktn packages carry {"cdktn": {"provider": {...}}}; older cdktf ones {"cdktf": {...}}.
        for key in ("cdktn", "cdktf"):
            meta = self.package_json.get(key, {}).get("provider")
            if meta:
                return dict(meta)
        return {}


def _read_jsii_tgz(data: bytes) -> Assembly:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}

        def read(name: str) -> bytes:
            fh = tar.extractfile(members[name])
            assert fh is not None, name
            return fh.read()

        assembly = json.loads(read("package/.jsii"))
        # Large assemblies may be stored compressed behind a redirect file.
        if assembly.get("schema") == "jsii/file-redirect":
            raw = read("package/" + assembly["filename"])
            assembly = json.loads(gzip.decompress(raw) if assembly.get("compression") == "gzip" else raw)
        package_json = json.loads(read("package/package.json"))
    return Assembly(types=assembly["types"], package_json=package_json)


def load_assembly(source: Path) -> Assembly:
    """Load the jsii assembly from a wheel, a .jsii.tgz, or a directory containing one."""
    if source.is_dir():
        found = sorted(source.rglob("*.jsii.tgz"))
        if not found:
            raise SystemExit(f"no *.jsii.tgz under {source}")
        return _read_jsii_tgz(found[0].read_bytes())
    if source.name.endswith(".jsii.tgz"):
        return _read_jsii_tgz(source.read_bytes())
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as whl:
            names = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
            if not names:
                raise SystemExit(f"no *.jsii.tgz inside {source}")
            return _read_jsii_tgz(whl.read(names[0]))
    raise SystemExit(f"unsupported source {source}: expected a .whl, a .jsii.tgz or a directory")


def _provider_name_of(source: Path) -> str:
    """cdktn_provider_aws-25.8.1-py3-none-any.whl / provider-aws@25.8.1.jsii.tgz / cdktn_provider_aws -> aws."""
    match = re.search(r"provider[-_]([a-z0-9]+(?:[-_]beta)?)", source.name)
    if not match:
        raise SystemExit(f"cannot tell which provider {source} holds; name it like the wheel")
    return match.group(1).replace("_", "-")


def _installed_package_dir(spec: ProviderSpec) -> Path | None:
    """The pinned package, if the interpreter running us already has it (saves a 70 MB download)."""
    try:
        dist = importlib.metadata.distribution(spec.package)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != spec.version:
        return None
    module_dir = Path(str(dist.locate_file(spec.package.replace("-", "_"))))
    return module_dir if module_dir.is_dir() else None


def _download(spec: ProviderSpec, dest: Path) -> Path:
    requirement = f"{spec.package}=={spec.version}"
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest), requirement]
    if subprocess.run([sys.executable, "-m", "pip", "--version"], check=False, capture_output=True).returncode == 0:
        subprocess.run(pip, check=True, stdout=sys.stderr)
        wheels = sorted(dest.glob("*.whl"))
        if wheels:
            return wheels[0]
    uv = shutil.which("uv")
    if uv:
        # uv has no `download`; installing the one package into a scratch target gives the same tarball.
        target = dest / "target"
        subprocess.run([uv, "pip", "install", "--no-deps", "--target", str(target), requirement], check=True,
                       stdout=sys.stderr)
        return target
    raise SystemExit(f"cannot fetch {requirement}: neither pip nor uv is available; pass the wheel path instead")


# --------------------------------------------------------------------------------------------------------------
# Turning jsii types into a Terraform-shaped schema


@dataclass
class Extractor:
    assembly: Assembly
    warnings: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # paths of `any`-typed blocks

    def index_classes(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(section, terraform type) -> resource / data-source class."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for jsii_type in self.assembly.types.values():
            if jsii_type.get("kind") != "class" or jsii_type.get("base") not in (
                "cdktn.TerraformResource",
                "cdktn.TerraformDataSource",
            ):
                continue
            match = _CLASS_LINK.search(jsii_type.get("docs", {}).get("summary", ""))
            if match:
                out[(_KIND_BY_SECTION[match.group(1)], match.group(2))] = jsii_type
        return out

    def type_schema(self, tf_type: str, cls: dict[str, Any]) -> dict[str, Any]:
        config_fqn = next(p["type"]["fqn"] for p in cls["initializer"]["parameters"] if p["name"] == "config")
        schema = self.block_schema(self.assembly.types[config_fqn], tf_type)
        configurable = {p["name"] for p in self.assembly.types[config_fqn].get("properties", [])}
        # Read-only getters other than the `fooInput` mirrors of configurable ones are computed-only attributes.
        # Their names are camel->snake conversions (the getters carry no registry link), used only in messages.
        computed = sorted(
            _snake(p["name"])
            for p in cls.get("properties", [])
            if p.get("immutable") and not p.get("static") and p["name"] not in configurable
            and not (p["name"].endswith("Input") and p["name"][: -len("Input")] in configurable)
        )
        if computed:
            schema["computed"] = computed
        return schema

    def block_schema(self, struct: dict[str, Any], path: str, depth: int = 0) -> dict[str, Any]:
        if depth > 32:  # recursive schemas are cut off by the generator long before this
            raise SystemExit(f"{path}: nesting too deep, is the assembly recursive?")
        arguments: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for interface in struct.get("interfaces", []):
            if interface.startswith(struct["fqn"].rsplit(".", 1)[0]):  # provider-local base struct
                nested = self.block_schema(self.assembly.types[interface], path, depth)
                arguments.update(nested["arguments"])
                blocks.update(nested["blocks"])
        for prop in struct.get("properties", []):
            docs = prop.get("docs", {})
            name = self._tf_name(prop, docs, path)
            required = not prop.get("optional", False)
            is_block = docs.get("summary", "").strip() == f"{name} block."
            jsii_type, is_array = _unwrap(prop["type"])
            if is_block:
                entry: dict[str, Any] = {"required": required}
                if "fqn" in jsii_type and self._is_struct(jsii_type["fqn"]):
                    entry["max_items"] = "many" if is_array else 1
                    entry.update(self.block_schema(self.assembly.types[jsii_type["fqn"]], f"{path}.{name}",
                                                   depth + 1))
                else:  # typed `any`: neither its contents nor how many may be given are known
                    entry["unchecked"] = True
                    self.unchecked.append(f"{path}.{name}")
                blocks[name] = entry
            else:
                arguments[name] = {"required": required, "kind": self._kind(prop["type"])}
        return {"arguments": arguments, "blocks": blocks}

    def _tf_name(self, prop: dict[str, Any], docs: dict[str, Any], path: str) -> str:
        for text in (docs.get("summary", ""), docs.get("remarks", "")):
            match = _PROP_LINK.search(text)
            if match:
                return match.group(1)
        self.warnings.append(f"{path}.{prop['name']}: no registry anchor; guessed the snake_case name")
        return _snake(prop["name"])

    def _is_struct(self, fqn: str) -> bool:
        jsii_type = self.assembly.types.get(fqn, {})
        return jsii_type.get("kind") == "interface" and bool(jsii_type.get("datatype"))

    def _kind(self, jsii_type: dict[str, Any]) -> str:
        inner, is_array = _unwrap(jsii_type)
        if is_array:
            return "list"
        if "primitive" in inner:
            return _PRIMITIVE_KIND.get(inner["primitive"], "any")
        if "collection" in inner:
            return "list" if inner["collection"]["kind"] == "array" else "map"
        if "fqn" in inner and self._is_struct(inner["fqn"]):
            return "object"
        return "any"


def _unwrap(jsii_type: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Drop the IResolvable alternative cdktn adds everywhere; report whether the rest is an array of structs."""
    if "union" in jsii_type:
        rest = [t for t in jsii_type["union"]["types"] if t.get("fqn") != _RESOLVABLE]
        jsii_type = rest[0] if len(rest) == 1 else {"primitive": "any"}
    collection = jsii_type.get("collection")
    if collection and collection["kind"] == "array" and "fqn" in collection["elementtype"]:
        return collection["elementtype"], True
    return jsii_type, False


def _snake(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()


# --------------------------------------------------------------------------------------------------------------
# Output


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with sorted keys, one line per argument: diffable but far smaller than indent=1 everywhere."""
    if not isinstance(value, dict) or not value or all(not isinstance(v, dict) for v in value.values()):
        return json.dumps(value, sort_keys=True)
    pad = " " * (indent + 1)
    items = [f"{pad}{json.dumps(k)}: {_dump(value[k], indent + 1)}" for k in sorted(value)]
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


def extract(name: str, spec: ProviderSpec, assembly: Assembly) -> tuple[dict[str, Any], Extractor]:
    extractor = Extractor(assembly)
    classes = extractor.index_classes()
    out: dict[str, Any] = {
        "format_version": SCHEMA_FORMAT_VERSION,
        "generated_by": "tools/extract_provider_schema.py",
        "package": spec.package,
        "package_version": str(assembly.package_json.get("version", "")),
        "provider": name,
        "provider_source": assembly.provider_source,
        "provider_version": assembly.provider_version,
        "resources": {},
        "data_sources": {},
        # Every type name the provider has (one line each), so a checker can tell a misspelt type from a real
        # one that is merely missing from the lists above.
        "all_types": {
            section: sorted(tf_type for (sec, tf_type) in classes if sec == section)
            for section in ("resources", "data_sources")
        },
    }
    missing: list[str] = []
    for section, wanted in (("resources", spec.resources), ("data_sources", spec.data_sources)):
        for tf_type in wanted:
            cls = classes.get((section, tf_type))
            if cls is None:
                missing.append(f"{section}/{tf_type}")
                continue
            out[section][tf_type] = extractor.type_schema(tf_type, cls)
    if missing:
        raise SystemExit(f"{spec.package} has no such types: {', '.join(missing)}")
    if out["package_version"] != spec.version:
        extractor.warnings.append(f"{spec.package}: pinned {spec.version} but read {out['package_version']}")
    return out, extractor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path,
                        help="wheel / .jsii.tgz / package directory to read instead of downloading")
    parser.add_argument("--provider", action="append", choices=sorted(PROVIDERS),
                        help="only these providers (default: all, or those given as sources)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)

    sources = {_provider_name_of(path): path for path in args.sources}
    unknown = sorted(set(sources) - set(PROVIDERS))
    if unknown:
        parser.error(f"no ProviderSpec for {unknown}; add one to PROVIDERS")
    wanted = args.provider or (sorted(sources) if sources else sorted(PROVIDERS))
    args.out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="provider-schema-") as tmp:
        for name in wanted:
            spec = PROVIDERS[name]
            source = sources.get(name) or _installed_package_dir(spec) or _download(spec, Path(tmp) / name)
            print(f"{name}: reading {source}", file=sys.stderr)
            schema, extractor = extract(name, spec, load_assembly(source))
            target = args.out_dir / f"{name}.json"
            target.write_text(_dump(schema) + "\n", encoding="utf-8")
            for warning in extractor.warnings:
                print(f"{name}: warning: {warning}", file=sys.stderr)
            for path in extractor.unchecked:
                print(f"{name}: note: {path} is typed `any` in the assembly; its contents are not checked",
                      file=sys.stderr)
            print(f"{name}: wrote {target} ({target.stat().st_size} bytes, hashicorp/{name} "
                  f"{schema['provider_version']} via {spec.package} {schema['package_version']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
