"""The offline provider-schema checker (tools/tfschema.py) catches what `terraform validate` would.

Each test writes a small HCL snippet to tmp_path and checks it against the committed schemas in
tools/provider_schema/ (hashicorp/aws, archive, time), extracted by tools/extract_provider_schema.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `tools` is a plain folder; plain `pytest` does not put the root on sys.path
    sys.path.insert(0, str(REPO_ROOT))

from tools.tfschema import Schemas, check_paths, load_schemas

Check = Callable[[str], list[str]]

VALID_TABLE = """
resource "aws_dynamodb_table" "this" {
  name         = "messages"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = { Service = "messenger" }

  lifecycle {
    prevent_destroy = true
  }
}
"""


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return load_schemas()


@pytest.fixture
def check(tmp_path: Path, schemas: Schemas) -> Check:
    """Write one HCL snippet as main.tf in a fresh directory and return the checker's errors for it."""

    def run(hcl: str) -> list[str]:
        (tmp_path / "main.tf").write_text(hcl, encoding="utf-8")
        return check_paths([tmp_path], schemas)

    return run


def _only(errors: list[str]) -> str:
    assert len(errors) == 1, errors
    return errors[0]


def test_schemas_record_their_provider_versions(schemas: Schemas) -> None:
    # GIVEN the committed schema files
    # WHEN they are loaded
    # THEN each names the provider release it was extracted from
    assert {"aws", "archive", "time"} <= set(schemas.providers)
    assert all(p.version.count(".") == 2 for p in schemas.providers.values())


def test_correct_resources_pass(check: Check) -> None:
    # GIVEN a resource using arguments, blocks, repeated blocks, meta-arguments and a data source
    hcl = VALID_TABLE + """
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}
resource "aws_iam_role" "fn" {
  count              = 1
  name               = "fn"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  depends_on         = [aws_dynamodb_table.this]
}
"""
    # WHEN it is checked
    errors = check(hcl)
    # THEN nothing is reported
    assert errors == []


def test_misspelt_argument_is_caught_with_a_suggestion(check: Check) -> None:
    # GIVEN a table with a misspelt argument
    hcl = VALID_TABLE.replace("billing_mode", "biling_mode")
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN the error names file, line, address and the argument, and suggests the right name
    assert "main.tf:2: aws_dynamodb_table.this: unknown argument \"biling_mode\"" in error
    assert 'did you mean "billing_mode"' in error


def test_argument_that_does_not_exist_is_caught(check: Check) -> None:
    # GIVEN an argument that looks plausible but is not in the provider schema
    hcl = VALID_TABLE.replace('hash_key     = "pk"', 'hash_key = "pk"\n  point_in_time_recovery_enabled = true')
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN it is reported as unknown
    assert 'aws_dynamodb_table.this: unknown argument "point_in_time_recovery_enabled"' in error


def test_computed_attribute_cannot_be_set(check: Check) -> None:
    # GIVEN a resource that sets an attribute the provider computes
    hcl = 'resource "aws_sqs_queue" "q" {\n  name = "q"\n  arn  = "x"\n}\n'
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN the error says it is computed
    assert '"arn" is a computed attribute' in error


@pytest.mark.parametrize(
    ("hcl", "expected"),
    [
        ('resource "aws_dynamodb_tabel" "t" {\n  name = "t"\n}\n', 'did you mean "aws_dynamodb_table"'),
        ('data "aws_caller_identiti" "me" {}\n', 'unknown data source "aws_caller_identiti"'),
        ('resource "time_rotatin" "r" {}\n', 'unknown resource type "time_rotatin"'),
    ],
)
def test_unknown_type_is_caught(check: Check, hcl: str, expected: str) -> None:
    # GIVEN a misspelt resource or data-source type of a provider we have a schema for
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN the type is reported
    assert expected in error


def test_real_type_missing_from_the_extracted_list_is_reported_as_such(check: Check) -> None:
    # GIVEN a real aws type that the extractor was not asked for
    hcl = 'resource "aws_s3_bucket" "b" {}\n'
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN the message says to extend the list, not that the type is misspelt
    assert "add it to PROVIDERS" in error


def test_types_of_providers_without_a_schema_are_ignored(check: Check) -> None:
    # GIVEN a resource of a provider we have no schema for
    # WHEN it is checked
    # THEN nothing is reported
    assert check('resource "null_resource" "x" {\n  anything = 1\n}\n') == []


def test_missing_required_argument_and_block_are_caught(check: Check) -> None:
    # GIVEN a web ACL with neither its required `scope` argument nor its required blocks
    hcl = 'resource "aws_wafv2_web_acl" "api" {\n  name = "api"\n}\n'
    # WHEN it is checked
    errors = check(hcl)
    # THEN each missing piece is reported
    assert sorted(e.split(": ", 2)[2] for e in errors) == [
        'missing required argument "scope"',
        'missing required block "default_action"',
        'missing required block "visibility_config"',
    ]


def test_block_written_as_an_argument_is_caught(check: Check) -> None:
    # GIVEN a block written with `=` like an object argument
    hcl = VALID_TABLE.replace("server_side_encryption {", "server_side_encryption = {")
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN it is reported as a block written as an argument
    assert 'aws_dynamodb_table.this: "server_side_encryption" is a block, written as an argument' in error


def test_argument_written_as_a_block_is_caught(check: Check) -> None:
    # GIVEN a map argument written as a block
    hcl = VALID_TABLE.replace("tags = { Service", "tags {\n Service").replace('"messenger" }', '"messenger"\n}')
    # WHEN it is checked
    error = _only(check(hcl))
    # THEN it is reported as an argument written as a block
    assert '"tags" is an argument, written as a block' in error


def test_nested_block_unknown_argument_and_missing_required_are_caught(check: Check) -> None:
    # GIVEN a nested block with a misspelt argument and a doubly nested block missing a required argument
    hcl = """
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["sqs:SendMessage"]
    resourses = ["*"]
    principals {
      type = "Service"
    }
  }
}
"""
    # WHEN it is checked
    errors = check(hcl)
    # THEN both are reported with their path inside the data source
    assert len(errors) == 2, errors
    assert 'data.aws_iam_policy_document.p: unknown argument "statement.resourses" (did you mean "resources"?)' in errors[0] + errors[1]
    assert 'missing required argument "statement.principals.identifiers"' in errors[0] + errors[1]


def test_repeated_single_block_is_caught(check: Check) -> None:
    # GIVEN a block the provider allows once, given twice
    hcl = VALID_TABLE.replace("point_in_time_recovery {", "point_in_time_recovery {\n enabled = false\n}\n"
                              "point_in_time_recovery {")
    # WHEN it is checked
    # THEN the repetition is reported
    assert "allows at most one block, found 2" in _only(check(hcl))


def test_dynamic_block_content_is_checked(check: Check) -> None:
    # GIVEN a dynamic block whose content misspells an argument and omits a required one
    hcl = VALID_TABLE.replace("point_in_time_recovery {", """dynamic "ttl" {
    for_each = var.ttl_attribute == null ? [] : [var.ttl_attribute]
    content {
      attribute_nam = ttl.value
    }
  }
  point_in_time_recovery {""")
    # WHEN it is checked
    errors = check(hcl)
    # THEN the content is checked against the `ttl` block
    assert any('unknown argument "ttl[dynamic].attribute_nam"' in e for e in errors), errors
    assert len(errors) == 1


def test_correct_dynamic_block_passes_and_counts_as_the_required_block(check: Check) -> None:
    # GIVEN a required block given only through `dynamic`
    hcl = """
resource "aws_sesv2_configuration_set_event_destination" "events" {
  configuration_set_name = "cs"
  event_destination_name = "sns"
  dynamic "event_destination" {
    for_each = toset(["x"])
    iterator = d
    content {
      enabled              = true
      matching_event_types = ["BOUNCE", "COMPLAINT"]
      sns_destination {
        topic_arn = aws_sns_topic.events.arn
      }
    }
  }
}
"""
    # WHEN it is checked
    # THEN nothing is reported
    assert check(hcl) == []


def test_dynamic_block_for_an_argument_or_unknown_name_is_caught(check: Check) -> None:
    # GIVEN dynamic blocks named after an argument and after nothing
    hcl = VALID_TABLE.replace("lifecycle {", """dynamic "tags" {
    for_each = {}
    content {}
  }
  dynamic "atribute" {
    for_each = []
    content {}
  }
  lifecycle {""")
    # WHEN it is checked
    errors = check(hcl)
    # THEN both are reported
    assert any('"tags" (dynamic) is an argument, written as a dynamic block' in e for e in errors), errors
    assert any('unknown block "atribute" (dynamic) (did you mean "attribute"?)' in e for e in errors), errors


def test_untyped_wafv2_statement_is_not_checked_but_its_siblings_are(check: Check) -> None:
    # GIVEN a web ACL rule whose `statement` subtree is typed `any` in the provider bindings
    hcl = """
resource "aws_wafv2_web_acl" "api" {
  name  = "api"
  scope = "REGIONAL"
  default_action {
    allow {}
  }
  rule {
    name     = "rate"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = 1000
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate"
      sampled_requests_enabled   = true
      bogus                      = 1
    }
  }
  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "api"
    sampled_requests_enabled   = true
  }
}
"""
    # WHEN it is checked
    # THEN the statement passes unchecked and the sibling block's unknown argument is still caught
    assert 'unknown argument "rule.visibility_config.bogus"' in _only(check(hcl))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('hash_key     = "pk"', 'hash_key = "pk"\n read_capacity = "five"', '"read_capacity" expects a number, got a string'),
        ('hash_key     = "pk"', 'hash_key = "pk"\n stream_enabled = 1', '"stream_enabled" expects a bool, got a number'),
        ('tags = { Service = "messenger" }', 'tags = ["a"]', '"tags" expects a map, got a list literal'),
        ('name         = "messages"', 'name = ["a"]', '"name" expects a string, got a list literal'),
    ],
)
def test_literal_of_an_impossible_kind_is_caught(check: Check, old: str, new: str, expected: str) -> None:
    # GIVEN an argument set to a literal Terraform cannot convert to its type
    assert old in VALID_TABLE
    hcl = VALID_TABLE.replace(old, new)
    # WHEN it is checked
    # THEN the kind mismatch is reported
    assert expected in _only(check(hcl))


def test_convertible_literals_and_expressions_are_not_flagged(check: Check) -> None:
    # GIVEN literals Terraform converts ("5" -> 5, "true" -> true) and expressions of unknown type
    hcl = VALID_TABLE.replace('hash_key     = "pk"', """hash_key = "pk"
  read_capacity  = "5"
  stream_enabled = "true"
  write_capacity = var.wcu
  range_key      = "${var.prefix}-sk"
  deletion_protection_enabled = local.protect ? true : false""")
    # WHEN it is checked
    # THEN nothing is reported
    assert check(hcl) == []


def test_meta_blocks_are_allowed_only_where_terraform_allows_them(check: Check) -> None:
    # GIVEN a provisioner on a resource (allowed) and on a data source (not allowed)
    hcl = """
resource "aws_sns_topic" "t" {
  provisioner "local-exec" {
    command = "true"
  }
}
data "aws_region" "current" {
  provisioner "local-exec" {
    command = "true"
  }
}
"""
    # WHEN it is checked
    # THEN only the data source is reported
    assert 'data.aws_region.current: unknown block "provisioner"' in _only(check(hcl))


def test_unparsable_file_is_reported_not_raised(check: Check) -> None:
    # GIVEN a file with broken syntax
    # WHEN it is checked
    # THEN a parse error is returned as an error line
    assert "cannot parse HCL" in _only(check('resource "aws_sns_topic" "t" {\n'))
