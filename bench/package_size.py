"""Deployment package of each Lambda: zipped as Terraform's archive_file does, its size and contents.

The source folders come from graphql/manifest.json (the delivery data source and the event
handlers), the excludes from modules/lambda_function/main.tf (archive_file `excludes`). Each folder
is zipped with deflate into a temporary file. Then the zip is checked: no SDK or other third-party
package inside (boto3 comes with the Lambda runtime, Powertools from its published layer), and
every module its code imports is either in the zip, in the standard library, or one of those two.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_MODULE = REPO_ROOT / "modules" / "lambda_function" / "main.tf"
# Provided outside the zip: boto3/botocore by the Lambda Python runtime, Powertools by the layer.
PROVIDED = {"boto3", "botocore", "aws_lambda_powertools"}
SDK_PACKAGES = PROVIDED | {"s3transfer", "urllib3", "jmespath", "dateutil", "six", "typing_extensions"}


def archive_excludes() -> list[str]:
    """The `excludes` of the archive_file data source in the lambda_function module."""
    text = LAMBDA_MODULE.read_text()
    block = re.search(r'data\s+"archive_file"\s+"this"\s*\{(.*?)\n\}', text, re.DOTALL)
    excludes = re.search(r"excludes\s*=\s*\[(.*?)\]", block.group(1) if block else "", re.DOTALL)
    if not excludes:
        raise RuntimeError(f"no archive_file excludes found in {LAMBDA_MODULE}")
    return re.findall(r'"([^"]*)"', excludes.group(1))


def _glob_regex(pattern: str) -> re.Pattern:
    """A doublestar glob (as archive_file matches excludes) as a regex over a relative path."""
    out, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif pattern[index] == "?":
            out, index = out + "[^/]", index + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(out + r"\Z")


def package_files(source_dir: Path, excludes: list[str]) -> list[Path]:
    patterns = [_glob_regex(pattern) for pattern in excludes]
    files = []
    for path in sorted(source_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source_dir).as_posix()
        parents = [Path(relative).parents[n].as_posix() for n in range(len(Path(relative).parents) - 1)]
        if any(pattern.match(candidate) for pattern in patterns for candidate in [relative, *parents]):
            continue
        files.append(path)
    return files


def build_zip(source_dir: Path, excludes: list[str], output: Path) -> list[str]:
    files = package_files(source_dir, excludes)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(source_dir).as_posix())
    return [path.relative_to(source_dir).as_posix() for path in files]


def imported_modules(archive: zipfile.ZipFile) -> set[str]:
    """Top-level modules the package imports at run time (not those under `if TYPE_CHECKING:`)."""
    names: set[str] = set()
    for entry in archive.namelist():
        if entry.endswith(".py"):
            pending: list[ast.AST] = [ast.parse(archive.read(entry))]
            while pending:
                node = pending.pop()
                if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                    pending.extend(node.orelse)
                    continue
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
                pending.extend(ast.iter_child_nodes(node))
    return names


def lambda_sources() -> dict[str, str]:
    """Each packaged folder and the functions deployed from it (graphql/manifest.json)."""
    manifest = json.loads((REPO_ROOT / "graphql" / "manifest.json").read_text())
    sources: dict[str, list[str]] = {}
    for name, source in manifest["dataSources"].items():
        if source.get("source"):
            sources.setdefault(source["source"], []).append(name)
    for name, handler in manifest.get("eventHandlers", {}).items():
        sources.setdefault(handler["source"], []).append(name)
    return {source: ", ".join(names) for source, names in sources.items()}


def run(quick: bool = False) -> dict[str, Any]:
    excludes = archive_excludes()
    packages = {}
    with tempfile.TemporaryDirectory(prefix="bench-zip-") as scratch:
        for source, functions in lambda_sources().items():
            output = Path(scratch) / (source.replace("/", "-") + ".zip")
            entries = build_zip(REPO_ROOT / source, excludes, output)
            with zipfile.ZipFile(output) as archive:
                uncompressed = sum(info.file_size for info in archive.infolist())
                local_modules = {Path(entry).parts[0].removesuffix(".py") for entry in archive.namelist()}
                imports = imported_modules(archive)
            sdk_inside = [entry for entry in entries if set(Path(entry).parts) & SDK_PACKAGES or ".dist-info" in entry]
            unresolved = sorted(imports - local_modules - set(sys.stdlib_module_names) - PROVIDED)
            packages[source] = {
                "functions": functions,
                "zip_bytes": output.stat().st_size,
                "zip_kb": round(output.stat().st_size / 1024, 1),
                "uncompressed_bytes": uncompressed,
                "files": entries,
                "sdk_inside": sdk_inside,
                "third_party_imports": sorted(imports & PROVIDED),
                "imports_not_provided": unresolved,
                "goal_met": not sdk_inside and not unresolved and output.stat().st_size < 1024 * 1024,
            }
    return {
        "excludes": excludes,
        "provided_outside_the_zip": {"boto3, botocore": "the Lambda Python runtime", "aws_lambda_powertools": "the AWSLambdaPowertoolsPythonV3 layer"},
        "packages": packages,
        "goal": "code only, kilobytes, no bundled SDK, nothing imported that the runtime or layer does not provide",
        "goal_met": all(package["goal_met"] for package in packages.values()),
    }


def report(results: dict[str, Any]) -> str:
    lines = [
        f"zipped like archive_file (deflate, excludes {results['excludes']})",
        "| package | functions | files | zip bytes | uncompressed bytes | SDK inside | imports beyond stdlib |",
        "|---|---|---|---|---|---|---|",
    ]
    for source, package in results["packages"].items():
        lines.append(
            f"| {source} | {package['functions']} | {', '.join(package['files'])} | {package['zip_bytes']:,} ({package['zip_kb']} KB) | "
            f"{package['uncompressed_bytes']:,} | {', '.join(package['sdk_inside']) or 'none'} | "
            f"{', '.join(package['third_party_imports'])}{' MISSING: ' + ', '.join(package['imports_not_provided']) if package['imports_not_provided'] else ''} |"
        )
    lines.append(f"goal ({results['goal']}): {'met' if results['goal_met'] else 'missed'}")
    return "\n".join(lines)
