"""An environment deployed before clients existed upgrades with `make apply` and loses nothing: Terraform applies
the stack as it was (from git) and plans today's on that state (terraform/tests/upgrade/upgrade.tftest.hcl)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tools.tfprovider import runner

# The stack as environments run it before clients: main as it stood when clients was merged with it.
DEPLOYED_BEFORE = "d186147c49bc998ddd165b9757558626ceaa3da3"
STACK = ("terraform", "modules", "graphql", "handlers")
UPGRADE_TESTS = "tests/upgrade"

# Runs that share a state across configurations (`state_key`) came with Terraform 1.11.
STATE_KEY_TERRAFORM = (1, 11)


def _terraform_with_state_key() -> bool:
    terraform = runner.find_terraform()
    return terraform is not None and runner.terraform_version(terraform) >= STATE_KEY_TERRAFORM


needs_terraform = pytest.mark.skipif(not _terraform_with_state_key(), reason="no terraform >= 1.11 on PATH (run blocks' state_key)")


def has_commit(commit: str) -> bool:
    found = subprocess.run(["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False)
    return found.returncode == 0


def lay_out(root: Path, before: str) -> Path:
    """Today's stack in `root`, and the one deployed before in its upgrade tests' folder; returns the root module."""
    for name in STACK:
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns(".terraform", "__pycache__", ".build"))
    old = root / "terraform" / UPGRADE_TESTS / "before"
    old.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", before, *STACK], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    return root / "terraform"


def upgrade(stack: Path) -> subprocess.CompletedProcess[str]:
    return runner.run(stack, ["test", "-no-color", f"-test-directory={UPGRADE_TESTS}"], capture=True, online=False)


@needs_terraform
@pytest.mark.skipif(not has_commit(DEPLOYED_BEFORE), reason=f"this clone's history lacks {DEPLOYED_BEFORE[:7]}, the stack deployed before clients")
def test_a_stack_deployed_before_clients_upgrades_in_place(tmp_path: Path) -> None:
    # GIVEN the stack deployed before clients, applied, and today's stack
    stack = lay_out(tmp_path, DEPLOYED_BEFORE)
    # WHEN today's stack is planned on its state
    result = upgrade(stack)
    # THEN the table, its indexes, the key, the queues, the topics, the API and its key keep their identity, and
    # the renamed erasure function moved
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success! 2 passed, 0 failed." in result.stdout


@needs_terraform
@pytest.mark.skipif(not has_commit(DEPLOYED_BEFORE), reason=f"this clone's history lacks {DEPLOYED_BEFORE[:7]}, the stack deployed before clients")
def test_the_upgrade_check_fails_without_the_moved_blocks(tmp_path: Path) -> None:
    # GIVEN today's stack without the moved blocks that carry the erasure function and the API key over
    stack = lay_out(tmp_path, DEPLOYED_BEFORE)
    moved = stack / "moved.tf"
    text = moved.read_text()
    assert "to   = module.clients_functions[\"erasure\"]" in text, "terraform/moved.tf no longer moves the erasure function: update this test"
    moved.write_text(text[: text.index("# The erasure function became")])
    (stack.parent / "modules" / "graphql_api" / "moved.tf").unlink()
    # WHEN it is planned on the old stack's state
    result = upgrade(stack)
    # THEN the check fails: what was renamed would be created anew (and the old destroyed)
    assert result.returncode != 0
    assert 'run "upgrade"... fail' in result.stdout
