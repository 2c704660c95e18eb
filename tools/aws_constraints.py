"""The AWS API constraints on the values our Terraform sends, read from the API models botocore ships.

A schema-only provider cannot run the AWS provider's own value checks, and AWS checks more than the
provider does. The Terraform tests read the constraints from `tests/terraform/aws_constraints.json`, which
this script writes and `tests/terraform/test_aws_constraints.py` keeps equal to botocore's models:

    .venv/bin/python -m tools.aws_constraints           # rewrite the file
    .venv/bin/python -m tools.aws_constraints --check   # exit 1 if it is out of date

Patterns become RE2 (Terraform's `regex`) anchored at both ends, as AWS matches the whole value. A few
limits AWS documents but the models do not carry are added by hand, each with its source.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import botocore
import botocore.session

OUT = Path(__file__).resolve().parent.parent / "tests" / "terraform" / "aws_constraints.json"

# name -> (service, operation, input member): the values our modules send.
MEMBERS = {
    "lambda.FunctionName": ("lambda", "CreateFunction", "FunctionName"),
    "lambda.Description": ("lambda", "CreateFunction", "Description"),
    "lambda.Handler": ("lambda", "CreateFunction", "Handler"),
    "lambda.MemorySize": ("lambda", "CreateFunction", "MemorySize"),
    "lambda.Runtime": ("lambda", "CreateFunction", "Runtime"),
    "iam.RoleName": ("iam", "CreateRole", "RoleName"),
    "iam.RoleDescription": ("iam", "CreateRole", "Description"),
    "iam.PolicyName": ("iam", "PutRolePolicy", "PolicyName"),
    "logs.LogGroupName": ("logs", "CreateLogGroup", "logGroupName"),
    "logs.FilterName": ("logs", "PutSubscriptionFilter", "filterName"),
    "appsync.DataSourceName": ("appsync", "CreateDataSource", "name"),
    "appsync.FunctionName": ("appsync", "CreateFunction", "name"),
    "appsync.QueryDepthLimit": ("appsync", "CreateGraphqlApi", "queryDepthLimit"),
    "appsync.ResolverCountLimit": ("appsync", "CreateGraphqlApi", "resolverCountLimit"),
    "wafv2.Name": ("wafv2", "CreateWebACL", "Name"),
    "wafv2.Description": ("wafv2", "CreateWebACL", "Description"),
    "wafv2.MetricName": ("wafv2", "CreateWebACL", "VisibilityConfig"),
    "wafv2.RateLimit": ("wafv2", "CreateWebACL", "Rules"),
    "events.RuleName": ("events", "PutRule", "Name"),
    "events.RuleDescription": ("events", "PutRule", "Description"),
    "kms.AliasName": ("kms", "CreateAlias", "AliasName"),
    "kms.Description": ("kms", "CreateKey", "Description"),
    "dynamodb.TableName": ("dynamodb", "CreateTable", "TableName"),
    "dynamodb.IndexName": ("dynamodb", "CreateTable", "GlobalSecondaryIndexes"),
    "cloudwatch.AlarmName": ("cloudwatch", "PutMetricAlarm", "AlarmName"),
    "cloudwatch.AlarmDescription": ("cloudwatch", "PutMetricAlarm", "AlarmDescription"),
    "xray.RuleName": ("xray", "CreateSamplingRule", "SamplingRule"),
}
# Nested shapes: where the member is a structure or a list, the shape that constrains the value.
NESTED = {"wafv2.MetricName": "MetricName", "wafv2.RateLimit": "RateLimit", "dynamodb.IndexName": "IndexName", "xray.RuleName": "RuleName"}
# Documented, but not in the models.
DOCUMENTED: dict[str, dict[str, Any]] = {
    # SQS CreateQueue: "A queue name can have up to 80 characters ... alphanumeric characters, hyphens (-), and underscores (_)."
    "sqs.QueueName": {"pattern": "^[A-Za-z0-9_-]{1,80}$"},
    # SNS CreateTopic: "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
    "sns.TopicName": {"pattern": "^[A-Za-z0-9_-]{1,256}$"},
    # SES CreateConfigurationSet: "The name can contain up to 64 alphanumeric characters, including letters, numbers, hyphens (-) and underscores (_) only."
    "sesv2.ConfigurationSetName": {"pattern": "^[A-Za-z0-9_-]{1,64}$"},
    # Lambda: "The length constraint applies only to the full ARN. If you specify only the function name, it is limited to 64 characters in length."
    "lambda.FunctionName": {"pattern": "^[a-zA-Z0-9_-]{1,64}$", "max": 64},
    # CloudWatch PutDashboard DashboardName: "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"."
    "cloudwatch.DashboardName": {"pattern": "^[A-Za-z0-9_-]{1,255}$", "source": "botocore cloudwatch PutDashboard DashboardName (its documentation)"},
    # CloudWatch Logs PutRetentionPolicy: the possible values, listed in the member's documentation.
    "logs.RetentionInDays": {"values": None},
}


def to_re2(pattern: str) -> str:
    """A Java-style pattern from a model as RE2, matching the whole value."""
    converted = re.sub(r"\\u([0-9A-Fa-f]{4})", r"\\x{\1}", pattern).removeprefix("^").removesuffix("$")
    return f"^(?:{converted})$"


def _member(session: botocore.session.Session, service: str, operation: str, member: str) -> Any:
    input_shape = session.get_service_model(service).operation_model(operation).input_shape
    assert input_shape is not None, f"{service} {operation} takes no input"
    return input_shape.members[member]


def constraints() -> dict[str, dict[str, Any]]:
    session = botocore.session.get_session()
    found: dict[str, dict[str, Any]] = {}
    for name, (service, operation, member) in MEMBERS.items():
        shape = _member(session, service, operation, member)
        if name in NESTED:
            shape = session.get_service_model(service).shape_for(NESTED[name])
        entry: dict[str, Any] = {"source": f"botocore {service} {operation} {member} ({shape.name})"}
        if "pattern" in shape.metadata:
            entry["pattern"] = to_re2(shape.metadata["pattern"])
        for bound in ("min", "max"):
            if bound in shape.metadata:
                entry[bound] = shape.metadata[bound]
        if enum := getattr(shape, "enum", None):
            entry["values"] = list(enum)
        found[name] = entry
    for name, documented in DOCUMENTED.items():
        found[name] = {**found.get(name, {}), **documented, "documented": True}
    retention = _member(session, "logs", "PutRetentionPolicy", "retentionInDays")
    found["logs.RetentionInDays"]["values"] = [int(days) for days in re.findall(r"\d+", retention.documentation.split("Possible values are:")[1].split(".")[0])]
    found["logs.RetentionInDays"]["source"] = "botocore logs PutRetentionPolicy retentionInDays (its documentation lists the values)"
    return dict(sorted(found.items()))


def document() -> str:
    return json.dumps({"botocore": botocore.__version__, "constraints": constraints()}, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = document()
    if "--check" in argv:
        if OUT.read_text() != text:
            print(f"{OUT} is out of date: run python -m tools.aws_constraints", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
