"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from local.appsync.js_engine import Clock, JsEngine
from local.manifest import Manifest, load_manifest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


LIVE_MINIMUM_TERRAFORM = (1, 10)  # terraform/versions.tf

# `make test` is a gate: its property-based tests try the same examples on every run, so a red build
# always reproduces. HYPOTHESIS_PROFILE=explore draws new random examples each run to find new bugs.
# Nor does its verdict depend on how busy the machine is: no per-example deadline, no health check of how fast
# examples are drawn (the property is what is tested; speed lives in bench/).
settings.register_profile("gate", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))


def pytest_configure(config: pytest.Config) -> None:
    # pytest-terraform refuses to start without a terraform binary on PATH. Only the live
    # tests use it, and they skip without one, so let it start in replay mode instead.
    if not (config.getoption("dest_tf_binary", default=None) or shutil.which("tofu") or shutil.which("terraform")):
        from pytest_terraform import tf

        tf.LazyReplay.value = True


@lru_cache(maxsize=1)
def live_skip_reason() -> str | None:
    """Why the live tests cannot run here, or None when they can."""
    if os.environ.get("RUN_LIVE_TESTS") != "1":
        return "live AWS test: set RUN_LIVE_TESTS=1 (with AWS credentials and Terraform >= 1.10) to deploy and test the real stack"
    binary = shutil.which("terraform")
    if binary is None:
        return "live AWS test: no terraform binary on PATH"
    version = re.search(r"v(\d+)\.(\d+)", subprocess.run([binary, "version"], capture_output=True, text=True, check=False).stdout)
    if version is None or tuple(map(int, version.groups())) < LIVE_MINIMUM_TERRAFORM:
        return f"live AWS test: {binary} is older than Terraform 1.10"
    import boto3

    if boto3.Session().get_credentials() is None:
        return "live AWS test: no AWS credentials found"
    if not os.environ.get("TF_VAR_default_email_from"):
        return "live AWS test: set TF_VAR_default_email_from to a sender SES has verified"
    return None


# The modules that each take the longest (most of it waiting on their stacks' timers), started first: pytest-xdist
# hands out modules in collection order, and one of these started last would run on alone after the others end.
LONGEST_FIRST = (
    "tests/smoke/test_smoke_local.py",
    "tests/e2e/test_webhooks.py",
    "tests/faults/test_faults.py",
    "tests/properties/test_validation_properties.py",
    "tests/e2e/test_clients.py",
    "tests/e2e/test_events.py",
    "tests/terraform/test_upgrade.py",
    "tests/handlers/test_webhook_handlers.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("live") and (reason := live_skip_reason()):
            item.add_marker(pytest.mark.skip(reason=reason))
    first = {REPO_ROOT / name: rank for rank, name in enumerate(LONGEST_FIRST)}
    if missing := [str(path) for path in first if not path.is_file()]:
        raise pytest.UsageError(f"tests/conftest.py LONGEST_FIRST names modules that do not exist: {missing}")
    items.sort(key=lambda item: first.get(Path(item.path).resolve(), len(first)))


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
