"""What the operators' tools (tools/channels.py, tools/operators.py) read of a deployed environment: the outputs
of the selected Terraform workspace, which the Makefile selects from ENV before it runs them."""

from __future__ import annotations

import subprocess


class OperatorError(Exception):
    """Something the operator must fix, or a refusal to show them; printed without a traceback."""


def terraform_output(terraform: str, name: str) -> str:
    """One output of the selected workspace, as `terraform output -raw` prints it."""
    result = subprocess.run([terraform, "-chdir=terraform", "output", "-raw", name], capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise OperatorError(f"terraform output {name} failed (has this environment been applied?): {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()
