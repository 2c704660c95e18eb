"""What the AWS APIs accept, from botocore's models, against what our Terraform and manifest may send.

The Terraform tests (`*.tftest.hcl`) assert planned names and values against tests/terraform/aws_constraints.json;
these tests keep that file equal to botocore's models and check what Terraform itself cannot see.
"""

from __future__ import annotations

import json
import re

import pytest

from local.manifest import Manifest
from tests.conftest import REPO_ROOT
from tools import aws_constraints

CONSTRAINTS = json.loads((REPO_ROOT / "tests" / "terraform" / "aws_constraints.json").read_text())["constraints"]
TERRAFORM_FILES = sorted([*REPO_ROOT.glob("terraform/*.tf"), *REPO_ROOT.glob("modules/*/*.tf")])


def matches(constraint: str, value: str) -> bool:
    # RE2 and Python agree on the constructs these patterns use, once \x{...} is written \u....
    pattern = re.sub(r"\\x\{([0-9A-Fa-f]{4})\}", r"\\u\1", CONSTRAINTS[constraint]["pattern"])
    return re.fullmatch(pattern, value) is not None


def test_the_constraints_file_is_what_botocores_models_say() -> None:
    assert json.loads(aws_constraints.document())["constraints"] == CONSTRAINTS, "run: .venv/bin/python -m tools.aws_constraints"


def test_manifest_names_are_ones_appsync_and_dynamodb_accept(manifest: Manifest) -> None:
    for name in manifest.data_sources:
        assert matches("appsync.DataSourceName", name), name
    for name in manifest.functions:
        assert matches("appsync.FunctionName", name), name
    for name in manifest.storage.indexes:
        assert matches("dynamodb.IndexName", name) and CONSTRAINTS["dynamodb.IndexName"]["min"] <= len(name), name
    for handler in [*manifest.event_handlers.values()]:
        assert matches("lambda.Handler", handler.handler), handler.handler


def test_every_log_retention_our_variables_accept_is_one_cloudwatch_logs_accepts() -> None:
    # GIVEN every list of retention days a validation accepts
    lists = [
        (str(path.relative_to(REPO_ROOT)), [int(day) for day in days.split(",")])
        for path in TERRAFORM_FILES
        for days in re.findall(r"contains\(\[(1, 3, 5[\d, ]*)\], var\.[\w.]+\)", path.read_text())
    ]
    # THEN each is the list CloudWatch Logs documents (no copy drifts)
    assert len(lists) == 5
    assert [days for _, days in lists] == [CONSTRAINTS["logs.RetentionInDays"]["values"]] * len(lists), lists


def test_every_runtime_the_function_module_accepts_is_a_lambda_runtime() -> None:
    [runtimes] = re.findall(r"contains\(\[([^\]]*)\], var\.runtime\)", (REPO_ROOT / "modules/lambda_function/variables.tf").read_text())
    accepted = json.loads(f"[{runtimes}]")
    assert accepted and set(accepted) <= set(CONSTRAINTS["lambda.Runtime"]["values"])


@pytest.mark.parametrize(
    ("module", "variable", "bounds"),
    [
        ("lambda_function", "memory_mb", "lambda.MemorySize"),
        ("api_firewall", "rate_limit", "wafv2.RateLimit"),
        ("graphql_api", "query_depth_limit", "appsync.QueryDepthLimit"),
    ],
)
def test_numeric_ranges_our_variables_accept_lie_within_the_apis(module: str, variable: str, bounds: str) -> None:
    text = (REPO_ROOT / "modules" / module / "variables.tf").read_text()
    low = int(re.search(rf"var\.{variable} >= (\d+)", text).group(1))  # type: ignore[union-attr]
    high = int(re.search(rf"var\.{variable} <= (\d+)", text).group(1))  # type: ignore[union-attr]
    assert CONSTRAINTS[bounds]["min"] <= low <= high <= CONSTRAINTS[bounds]["max"]
