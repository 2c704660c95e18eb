"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.js_engine import Clock, JsEngine
from local.manifest import Manifest, load_manifest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock(fixed_millis=1_795_000_000_000)


@pytest.fixture(scope="session")
def engine(manifest: Manifest, clock: Clock):
    """One QuickJS engine with every resolver and function of the manifest loaded."""
    js = JsEngine(clock=clock)
    for unit, path in manifest.code_units().items():
        js.load_file(unit, path)
    yield js
    js.close()
