"""The account's SMS settings (SNS SMS preferences, their delivery-status role and the two delivery-status log
groups) are reset for every stack of the account and region when they are deleted, so the environment that
owns them refuses to delete them: its destroy, or handing them to another environment, stops at plan. Terraform
itself shows it, on a copy of the stack: a test that applies them could not clean up after itself, so this runs
outside terraform/tests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tools.tfprovider import runner

COPIED = ("terraform", "modules", "graphql", "handlers", "envs")
needs_terraform = pytest.mark.skipif(runner.find_terraform() is None, reason="no terraform >= 1.7 on PATH: the Terraform gate skips too")

HAND_OVER = """
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-central-1" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[]}" }
  }

  mock_resource "aws_appsync_graphql_api" {
    defaults = { uris = { GRAPHQL = "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" } }
  }

  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
}

mock_provider "archive" {}

mock_provider "time" {
  mock_resource "time_rotating" {
    defaults = { rfc3339 = "2026-11-29T17:45:12Z" }
  }
}

# The firewall's web ACL, the costliest resource to apply (its schema nests thousands of blocks), is none of the
# account's settings: its outputs are taken as given.
override_module {
  target = module.firewall
  outputs = {
    web_acl_arn    = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/default-messenger-api/00000000-0000-0000-0000-000000000000"
    log_group_name = "aws-waf-logs-default-messenger-api"
    name           = "default-messenger-api"
    metric_name    = "default-messenger-api"
  }
}

variables {
  stage                 = "default"
  region                = "eu-central-1"
  ses_region            = "eu-central-1"
  sns_region            = "eu-central-1"
  default_email_from    = "support@example.com"
  sms_allowed_countries = ["US"]
  sms                   = { manage_account_preferences = true, account_preferences_owner = "default" }
}

run "the_owner_applies" {}

run "the_owner_hands_the_settings_over" {
  command = plan

  variables {
    sms = { manage_account_preferences = false }
  }
}
"""


@needs_terraform
def test_the_owner_refuses_to_delete_the_accounts_sms_settings(tmp_path: Path) -> None:
    # GIVEN the owner's stack applied (mocked), then planned without ownership, as a hand-over or a destroy would
    for name in COPIED:
        shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns(".terraform", "__pycache__", ".build"))
    (tmp_path / "terraform" / "tests" / "hand_over.tftest.hcl").write_text(HAND_OVER)
    # WHEN Terraform plans it
    result = runner.run(tmp_path / "terraform", ["test", "-no-color", "-filter=tests/hand_over.tftest.hcl"], capture=True, online=False)
    output = " ".join((result.stdout + result.stderr).split())  # Terraform wraps its messages
    # THEN the plan fails, refusing to delete the account's settings (so it deletes nothing), and so does the
    # test's own clean-up
    assert result.returncode != 0
    assert 'run "the_owner_applies"... pass' in output and 'run "the_owner_hands_the_settings_over"... fail' in output, output
    refused = set(re.findall(r"Resource (\S+) has lifecycle\.prevent_destroy set", output))
    assert refused >= {
        "aws_sns_sms_preferences.account[0]",
        "aws_iam_role.sms_delivery_status[0]",
        'aws_cloudwatch_log_group.sms_delivery["success"]',
        'aws_cloudwatch_log_group.sms_delivery["failure"]',
    }, output
    # AND nothing else of the stack is held back
    assert refused <= {
        "aws_sns_sms_preferences.account[0]",
        "aws_iam_role.sms_delivery_status[0]",
        "aws_iam_role_policy.sms_delivery_status[0]",
        'aws_cloudwatch_log_group.sms_delivery["success"]',
        'aws_cloudwatch_log_group.sms_delivery["failure"]',
    }
