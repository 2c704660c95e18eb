"""What the alarms and the dashboard (terraform/operations.tf) read is what the handlers write, and the guardrail
alarms are named alike in AWS and in the local stack. Terraform's own tests (operations.tftest.hcl) assert the
planned alarms and widgets; this pins the names they share with the Python code, which Terraform cannot read."""

from __future__ import annotations

import re

import pytest

from local.config import Settings
from tests.conftest import REPO_ROOT
from tests.markdown import anchors as heading_anchors
from tests.terraform.conftest import Stack

# The Lambda folders that emit metrics; a folder's functions share its SERVICE.
HANDLERS = {"delivery": "handlers/delivery", "status": "handlers/status"}
# The event publisher emits one metric of its own, with its own service dimension.
PUBLISHER = REPO_ROOT / "handlers" / "clients" / "publisher.py"
# Every file of the root stack: alarms and widgets are made in operations.tf from what events.tf and webhooks.tf hand it.
STACK_FILES = sorted((REPO_ROOT / "terraform").glob("*.tf"))


def _stack_text() -> str:
    return "\n".join(path.read_text() for path in STACK_FILES)


def _code(folder: str) -> str:
    return "\n".join(module.read_text() for module in sorted((REPO_ROOT / folder).glob("*.py")))


def _service(folder: str) -> str:
    [service] = re.findall(r'^SERVICE = "([^"]+)"$', _code(folder), re.MULTILINE)
    return service


def _emitted() -> set[str]:
    emitted = {name for folder in HANDLERS.values() for name in re.findall(r'\bemit\(\s*"(\w+)"', _code(folder))}
    return emitted | set(re.findall(r'\bsingle_metric\(\s*name="(\w+)"', PUBLISHER.read_text()))


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_the_service_dimension_is_the_handlers_own(stack: Stack, handler: str) -> None:
    # The handlers put service=<SERVICE> on every metric; an alarm with another value would watch nothing.
    assert stack.locals()["metric_services"][handler] == _service(HANDLERS[handler])


def test_the_event_publishers_service_dimension_is_its_own(stack: Stack) -> None:
    # GIVEN the service dimension the publisher puts on its metric (an alarm on another value watches nothing)
    [service] = re.findall(r'add_dimension\(name="service", value="([^"]+)"\)', PUBLISHER.read_text())
    # THEN the publisher's alarm and widget read that one
    assert stack.locals()["metric_services"]["events"] == "${local.event_metric_service}"
    assert stack.locals()["event_metric_service"] == service


def test_every_metric_of_the_stacks_namespace_that_terraform_reads_is_emitted_by_a_handler() -> None:
    # GIVEN the metric names the dashboard (metric lines) and the alarms (namespace, then metric_name) read from
    # the stack's own namespace
    text = _stack_text()
    widgets = set(re.findall(r'local\.metrics_namespace, "(\w+)"', text))
    alarms = set(re.findall(r'namespace\s*=\s*local\.metrics_namespace\s+metric_name\s*=\s*"(\w+)"', text))
    assert widgets == {"Messages", "StatusEvents", "StalePendingFound", "Retries", "EventPublishFailures"}
    assert alarms == {"StalePendingFound", "EventPublishFailures"}
    # THEN a handler emits each of them
    assert widgets | alarms <= _emitted()


def test_the_guardrail_alarms_are_named_and_placed_as_the_local_stack_has_them(stack: Stack) -> None:
    # GIVEN regions that all differ, so an alarm placed in the wrong one shows
    settings = Settings(stage="prod", ses_region="eu-west-1", sns_region="us-east-1", table_region="eu-central-1")
    regions = {"${var.ses_region}": settings.ses_region, "${var.sns_region}": settings.sns_region, "${var.region}": settings.table_region}
    # THEN the guardrail's alarms are the same ARNs (the guardrail acts on nothing else) with the same channels
    terraform = {
        f"arn:aws:cloudwatch:{regions[alarm['region']]}:123456789012:alarm:prod-messenger-{name}": alarm["channel"]
        for name, alarm in stack.locals()["guardrail_alarms"].items()
    }
    assert terraform == settings.guardrail_alarms


def test_every_alarm_description_and_link_into_the_runbook_names_one_of_its_headings() -> None:
    # GIVEN the runbook's headings, and each alarm description's entry (Runbook: ${local.runbook}#...), in
    # operations.tf and in the files that hand it alarms (webhooks.tf, events.tf)
    runbook = (REPO_ROOT / "docs" / "operations.md").read_text()
    anchors = heading_anchors(runbook)
    described = set(re.findall(r"\$\{local\.runbook\}#([\w-]+)", _stack_text()))
    assert described == {
        "ses-bounce-rate", "ses-complaint-rate", "sms-spend", "dead-letter-queue", "webhook-dead-letters", "delivery-errors", "delivery-throttles",
        "authorizer-errors-and-throttles", "api-5xx-errors", "stale-pending-messages", "event-dead-letters", "event-stream-age",
        "event-publisher-errors", "event-publish-failures",
    }
    # AND every other link to an entry: the Makefile, the README, the docs, the Terraform, the runbook itself
    sources = [REPO_ROOT / "Makefile", REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md")), *sorted((REPO_ROOT / "terraform").glob("*.tf"))]
    linked = {(path.name, anchor) for path in sources for anchor in re.findall(r"operations\.md#([\w-]+)", path.read_text())}
    linked |= {("operations.md", anchor) for anchor in re.findall(r"\]\(#([\w-]+)\)", runbook)}
    assert {anchor for _, anchor in linked} >= {"the-channel-guardrail", "alarms", "resuming"}
    # THEN each names a heading of the runbook
    assert described <= anchors
    assert {(source, anchor) for source, anchor in linked if anchor not in anchors} == set()


def test_the_runbooks_links_to_other_pages_name_their_headings() -> None:
    runbook = (REPO_ROOT / "docs" / "operations.md").read_text()
    links = set(re.findall(r"\]\(([\w-]+\.md)#([\w-]+)\)", runbook))
    assert links, "the runbook points into the other pages"
    assert {(page, anchor) for page, anchor in links if anchor not in heading_anchors((REPO_ROOT / "docs" / page).read_text())} == set()
