"""What the alarms and the dashboard (terraform/operations.tf) read is what the handlers write, and the guardrail
alarms are named alike in AWS and in the local stack. Terraform's own tests (operations.tftest.hcl) assert the
planned alarms and widgets; this pins the names they share with the Python code, which Terraform cannot read."""

from __future__ import annotations

import re

import pytest

from local.config import Settings
from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack

HANDLERS = {"delivery": "handlers/delivery/app.py", "status": "handlers/status/app.py"}


def _service(path: str) -> str:
    [service] = re.findall(r'^SERVICE = "([^"]+)"$', (REPO_ROOT / path).read_text(), re.MULTILINE)
    return service


def _emitted() -> set[str]:
    return {name for path in HANDLERS.values() for name in re.findall(r'\bemit\(\s*"(\w+)"', (REPO_ROOT / path).read_text())}


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_the_service_dimension_is_the_handlers_own(stack: Stack, handler: str) -> None:
    # The handlers put service=<SERVICE> on every metric; an alarm with another value would watch nothing.
    assert stack.locals()["metric_services"][handler] == _service(HANDLERS[handler])


def test_every_metric_of_the_stacks_namespace_that_terraform_reads_is_emitted_by_a_handler() -> None:
    # GIVEN the metric names the dashboard (metric lines) and the alarms (namespace, then metric_name) read from
    # the stack's own namespace
    text = (REPO_ROOT / "terraform" / "operations.tf").read_text()
    widgets = set(re.findall(r'local\.metrics_namespace, "(\w+)"', text))
    alarms = set(re.findall(r'namespace\s*=\s*local\.metrics_namespace\s+metric_name\s*=\s*"(\w+)"', text))
    assert widgets == {"Messages", "StatusEvents", "StalePendingFound", "Retries"} and alarms == {"StalePendingFound"}
    # THEN a handler emits each of them
    assert widgets | alarms <= _emitted()


def test_the_guardrail_alarms_are_named_as_the_local_stack_names_them(stack: Stack) -> None:
    stage = "prod"
    terraform = {f"{stage}-messenger-{name}": alarm["channel"] for name, alarm in stack.locals()["guardrail_alarms"].items()}
    assert terraform == Settings(stage=stage).guardrail_alarms
