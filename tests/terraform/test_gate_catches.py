"""`make test`'s Terraform gate fails on what a first deploy would hit: shown on a copy of our own stack, broken
one way at a time (a misspelt argument, a broken reference, a wrong type, a count only known at apply)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tools.tfprovider import runner

COPIED = ("terraform", "modules", "graphql", "handlers", "envs")
needs_terraform = pytest.mark.skipif(runner.find_terraform() is None, reason="no terraform >= 1.7 on PATH: the Terraform gate skips too")


@pytest.fixture
def stack_copy(tmp_path: Path) -> Path:
    for name in COPIED:
        shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns(".terraform", "__pycache__", ".build"))
    return tmp_path


def break_file(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text()
    assert old in text, f"{path} no longer holds {old!r}: update this test"
    file.write_text(text.replace(old, new, 1))


@needs_terraform
@pytest.mark.parametrize(
    ("path", "old", "new", "error"),
    [
        ("modules/messages_table/main.tf", "deletion_protection_enabled =", "deletion_protection_enable =", "Unsupported argument"),
        ("terraform/main.tf", "kms_key_arn   = module.kms_key.arn", "kms_key_arn   = module.kms_keys.arn", "Reference to undeclared module"),
        ("terraform/webhooks.tf", "memory_mb                = 256", 'memory_mb                = "plenty"', "Invalid value for input variable"),
    ],
    ids=["misspelt argument", "broken reference", "wrong type"],
)
def test_validate_fails_on_a_broken_stack(stack_copy: Path, path: str, old: str, new: str, error: str) -> None:
    # GIVEN our stack with one mistake
    break_file(stack_copy, path, old, new)
    # WHEN the gate validates it
    result = runner.run(stack_copy / Path(path).parent, ["validate", "-no-color"], capture=True, online=False)
    # THEN it fails with Terraform's own error
    assert result.returncode != 0 and error in result.stdout + result.stderr


@needs_terraform
def test_a_plan_fails_on_a_count_only_known_at_apply(stack_copy: Path) -> None:
    # GIVEN the function module counting its policy by the policy document (unknown until apply), as it once did
    break_file(stack_copy, "modules/lambda_function/main.tf", "count = var.attach_policy_json ? 1 : 0", "count = var.policy_json == null ? 0 : 1")
    # WHEN the gate plans an environment
    result = runner.run(
        stack_copy / "terraform",
        ["test", "-no-color", "-filter=tests/environments.tftest.hcl", "-var-file=../envs/dev.tfvars"],
        capture=True,
        online=False,
        env={"TF_WORKSPACE": "dev"},
    )
    # THEN the plan cannot be made, and the test says why
    assert result.returncode != 0 and "Invalid count argument" in result.stdout + result.stderr
