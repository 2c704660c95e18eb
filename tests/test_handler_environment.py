"""Every setting a handler reads at import, the local stack gives it (and Terraform too: terraform/tests)."""

from __future__ import annotations

import re

import pytest

from local.config import Settings
from local.manifest import REPO_ROOT, load_manifest

MANIFEST = load_manifest()
SOURCES = MANIFEST.handler_sources


def read_by(source: str) -> set[str]:
    """What the modules of a Lambda's folder read (the status functions share one environment and one module)."""
    return {name for module in (REPO_ROOT / source).glob("*.py") for name in re.findall(r'os\.environ\["(\w+)"\]', module.read_text())}


@pytest.mark.parametrize("source", SOURCES)
def test_the_local_stack_gives_each_handler_every_setting_it_reads(source: str) -> None:
    # GIVEN the settings the handler's module reads (a missing one stops it at import, as in Lambda)
    needed = read_by(source)
    assert needed, f"{source} reads no settings: has its module moved?"
    # THEN the environment the local stack gives that Lambda has each of them
    assert needed <= set(Settings().handler_env(source, MANIFEST))


def test_handlers_that_share_a_setting_get_the_same_value() -> None:
    # The local stack runs every handler in one process, with one environment.
    values: dict[str, set[str]] = {}
    for source in SOURCES:
        for name, value in Settings().handler_env(source, MANIFEST).items():
            values.setdefault(name, set()).add(value)
    assert {name: found for name, found in values.items() if len(found) > 1} == {}


def test_every_handler_folder_is_a_lambda_of_the_manifest() -> None:
    folders = {f"handlers/{path.parent.name}" for path in (REPO_ROOT / "handlers").glob("*/*.py")}
    assert folders == set(SOURCES)
