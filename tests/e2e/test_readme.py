"""The README's "Try it" block, pasted into a shell top to bottom against a fresh stack, shows a result at every
step: each request answers without an error, and each outcome the comments promise is there."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from local.launcher import running_stack
from tests.e2e.conftest import GENEROUS_LIMITS

README = Path(__file__).resolve().parents[2] / "README.md"


def try_it_block() -> str:
    section = README.read_text().split("## Try it", 1)[1]
    [block] = re.findall(r"```sh\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    return block


def test_the_readmes_examples_run_top_to_bottom_with_a_result_at_every_step(tmp_path: Path) -> None:
    # GIVEN a fresh stack with the local API key and keys `make dev` has, on a free port
    with running_stack("local-dev-api-key", {**GENEROUS_LIMITS, "SES_SIMULATOR_DELAY_SECONDS": "0.5"}) as stack:
        port = stack.base_url.rsplit(":", 1)[1]
        script = try_it_block().replace("127.0.0.1:4000", f"127.0.0.1:{port}").replace("/tmp/sent.json", str(tmp_path / "sent.json"))
        # WHEN the block runs in bash, one line after the other
        ran = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], check=False, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    # THEN every answer is JSON without errors
    answers = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("{")]
    assert len(answers) == 9 and not [answer for answer in answers if "errors" in answer]
    sent, sms, event, to_alice, by_sender, replayed, test_sent, test_read, outbox = answers
    # AND each step shows what its comment says
    assert sent["data"]["sendMessage"]["deliveryStatus"] == sms["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert event["message"]["deliveryStatus"] == "DELIVERED"
    alice = to_alice["data"]["getMessages"]["data"]
    assert [change["status"] for change in alice[0]["statusHistory"]] == ["PENDING", "ACCEPTED", "DELIVERED"]
    assert len(by_sender["data"]["getMessages"]["data"]) == 2
    assert replayed["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert "nothing was handed to SES" in test_sent["data"]["sendMessage"]["statusReason"]
    assert test_read["data"]["getMessages"]["data"][0]["deliveryStatus"] == "BOUNCED"
    assert len(outbox["messages"]) == 3  # the email, the SMS and the idempotent send; nothing from the TEST key
