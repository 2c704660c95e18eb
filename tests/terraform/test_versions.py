"""The Terraform floors the configuration and the docs state are the truth: each is at least the version of
every Terraform feature that part uses."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tools.tfprovider.runner import MIN_TERRAFORM

# A feature, how to find it in a file, and the release that brought it.
FEATURES = [
    ("mock_provider (terraform test)", r"^\s*mock_provider\s+\"", (1, 7)),
    ("override_resource (terraform test)", r"^\s*override_resource\s*\{", (1, 7)),
    ("S3 backend use_lockfile", r"^\s*use_lockfile\s*=", (1, 10)),
    ("provider-defined functions", r"provider::", (1, 8)),
    ("removed blocks", r"^\s*removed\s*\{", (1, 7)),
    ("import blocks", r"^\s*import\s*\{", (1, 5)),
    ("check blocks", r"^\s*check\s+\"", (1, 5)),
    ("terraform_data", r"\"terraform_data\"", (1, 4)),
    ("moved blocks", r"^\s*moved\s*\{", (1, 1)),
]


def floor(required_version: str) -> tuple[int, ...]:
    match = re.search(r">=\s*(\d+)\.(\d+)", required_version)
    assert match, required_version
    return tuple(map(int, match.groups()))


def required_version(directory: Path) -> str:
    match = re.search(r'required_version\s*=\s*"([^"]+)"', (directory / "versions.tf").read_text())
    assert match, directory
    return match.group(1)


def features_used(paths: list[Path]) -> dict[str, tuple[int, int]]:
    used = {}
    for name, pattern, version in FEATURES:
        if any(re.search(pattern, path.read_text(), re.MULTILINE) for path in paths):
            used[name] = version
    return used


def test_the_root_floor_covers_what_deploying_it_uses() -> None:
    # The root configuration and the backend example a team copies in to deploy.
    used = features_used([*sorted((REPO_ROOT / "terraform").glob("*.tf")), REPO_ROOT / "envs" / "backend.tf.example"])
    assert "S3 backend use_lockfile" in used
    assert floor(required_version(REPO_ROOT / "terraform")) >= max(used.values()), used


@pytest.mark.parametrize("module", sorted(path.name for path in (REPO_ROOT / "modules").iterdir() if path.is_dir()))
def test_each_module_floor_covers_what_the_module_uses(module: str) -> None:
    directory = REPO_ROOT / "modules" / module
    used = features_used(sorted(directory.glob("*.tf")))
    assert floor(required_version(directory)) >= max(used.values(), default=(0, 0)), used


def test_the_test_floor_covers_what_terraforms_own_tests_use() -> None:
    used = features_used(sorted(REPO_ROOT.glob("**/tests/*.tftest.hcl")))
    assert "mock_provider (terraform test)" in used
    assert MIN_TERRAFORM >= max(used.values()), used


def test_the_docs_state_the_same_floors() -> None:
    deployment = (REPO_ROOT / "docs" / "deployment.md").read_text()
    assert f"Terraform >= {'.'.join(map(str, floor(required_version(REPO_ROOT / 'terraform'))))}**" in deployment
    assert f">= {'.'.join(map(str, MIN_TERRAFORM))} for `mock_provider`" in deployment


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform on PATH: the Terraform gate skips too")
def test_the_terraform_on_path_meets_the_floors() -> None:
    output = subprocess.run(["terraform", "version"], capture_output=True, text=True, check=True).stdout
    version = tuple(map(int, re.search(r"v(\d+)\.(\d+)", output).groups()))  # type: ignore[union-attr]
    assert version >= floor(required_version(REPO_ROOT / "terraform")) and version >= MIN_TERRAFORM
