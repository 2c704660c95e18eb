"""What terraform/events.tf gives the event publisher is what handlers/clients/publisher.py uses: the settings it
reads at import, the AWS calls it makes, and how long one publication may take. Terraform's own tests
(events.tftest.hcl) assert the planned values; this pins them to the Python code, which Terraform cannot read."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack

FOLDER = REPO_ROOT / "handlers" / "clients"
PUBLISHER = FOLDER / "publisher.py"
# Each boto3 call of the publisher and the IAM action that authorizes it (SendMessageBatch is sqs:SendMessage).
ACTIONS = {
    ("dynamodb", "put_item"): "dynamodb:PutItem",
    ("dynamodb", "batch_write_item"): "dynamodb:BatchWriteItem",
    ("dynamodb", "query"): "dynamodb:Query",
    ("sqs", "send_message_batch"): "sqs:SendMessage",
}


def _loaded_modules() -> list[str]:
    """The publisher and the modules of its folder it imports (Lambda loads nothing else of the folder)."""
    source = PUBLISHER.read_text()
    local = [name for name in re.findall(r"^from (\w+) import", source, re.MULTILINE) if (FOLDER / f"{name}.py").is_file()]
    assert local, "the publisher imports its folder's shared module: has the import changed?"
    return [source, *((FOLDER / f"{name}.py").read_text() for name in local)]


def test_the_publisher_gets_exactly_the_settings_it_reads_at_import(stack: Stack) -> None:
    # GIVEN every setting the publisher's modules read (a missing one stops the function at import)
    read = {name for source in _loaded_modules() for name in re.findall(r'os\.environ\["(\w+)"\]', source)}
    assert {"MESSAGES_TABLE", "GRAPHQL_API_URL", "WEBHOOK_QUEUE_URL"} <= read
    # THEN Terraform gives it those, and nothing else (modules/lambda_function adds POWERTOOLS_SERVICE_NAME)
    environment = stack.one("module", name="event_publisher", directory="terraform").body["environment"]
    assert set(environment) == read


def test_the_publishers_role_allows_the_calls_it_makes_and_no_others(stack: Stack) -> None:
    # GIVEN the AWS calls of the publisher (lazily made clients: dynamodb().query(...), sqs().send_message_batch(...))
    calls = set(re.findall(r"\b(dynamodb|sqs)\(\)\.(\w+)\(", PUBLISHER.read_text()))
    assert calls <= set(ACTIONS), f"teach this test the IAM action of {sorted(calls - set(ACTIONS))}"
    # WHEN the table and queue actions of its role are read (the stream, the mutation and the key are Lambda's,
    # botocore's signer's and SQS's, asserted in events.tftest.hcl)
    document = stack.one("data", "aws_iam_policy_document", "event_publisher", "terraform")
    granted = {action for statement in stack.policy_statements(document) for action in statement["actions"] if action.startswith(("dynamodb:", "sqs:"))}
    stream = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
    # THEN each call is allowed, and nothing is allowed that no call needs
    assert granted - stream == {ACTIONS[call] for call in calls}


def test_the_publishers_timeout_leaves_each_publication_its_time(stack: Stack) -> None:
    # GIVEN how long one publication may wait for AppSync
    [seconds] = re.findall(r"^PUBLISH_TIMEOUT_SECONDS = (\d+)$", PUBLISHER.read_text(), re.MULTILINE)
    # THEN the function's timeout (30 s and that much per change of a batch) counts with the same figure
    assert stack.locals()["publish_timeout_seconds"] == int(seconds)


def test_the_mutation_the_role_may_call_is_the_one_the_publisher_sends(stack: Stack) -> None:
    # GIVEN the operation the publisher posts
    [field] = re.findall(r"^\s*\" (\w+)\(event: \$event\)", PUBLISHER.read_text(), re.MULTILINE)
    # THEN its role names that field of Mutation
    assert stack.locals()["publish_field"] == {"type": "Mutation", "name": field}
    schema = (REPO_ROOT / "graphql" / "schema.graphql").read_text()
    assert re.search(rf"^\s*{field}\(event: MessageEventInput!\): MessageEvent @aws_iam$", schema, re.MULTILINE), "IAM callers alone"
