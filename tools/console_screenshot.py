"""The README's pictures of the console: a local stack with a few messages in it, photographed by headless
Chromium at a laptop's width.

    .venv/bin/python -m tools.console_screenshot     (writes docs/images/console.png and console-messages.png)
"""

from __future__ import annotations

import sys
from pathlib import Path

from local.launcher import LocalStackProcess, running_stack
from local.operations import SEND_MESSAGE
from tools import chromium

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
SENDS = [
    {"to": "+14155550100", "from": "Messenger", "body": "Your code is 481 516. It expires in 10 minutes.", "deliveryMethod": "SMS", "senderId": "shop-1"},
    {"to": "bounce@simulator.amazonses.com", "subject": "Welcome aboard", "body": "Hello!\nThanks for signing up.", "deliveryMethod": "EMAIL", "senderId": "shop-1"},
    {"to": "complaint@simulator.amazonses.com", "subject": "Weekly offers", "body": "This week only: 20% off.", "deliveryMethod": "EMAIL", "senderId": "shop-1"},
    {
        "to": "alice@example.com",
        "from": "support@example.com",
        "subject": "Your order #1042 has shipped",
        "body": "Hello Alice,\n\nyour order #1042 is on its way and should arrive on Thursday.\n\nThank you for shopping with us!",
        "deliveryMethod": "EMAIL",
        "senderId": "shop-1",
        "recipientId": "customer-7",
    },
]


def populate(stack: LocalStackProcess) -> None:
    for message in SENDS:
        response = stack.graphql(SEND_MESSAGE, {"input": message})
        if response.errors:
            raise RuntimeError(response.errors)


def main() -> int:
    if (reason := chromium.missing()) is not None:
        print(f"cannot take the screenshots: {reason}", file=sys.stderr)
        return 1
    from playwright.sync_api import expect, sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    with running_stack("local-dev-api-key", {"SES_SIMULATOR_DELAY_SECONDS": "0"}) as stack, sync_playwright() as playwright:
        populate(stack)
        browser = chromium.launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(stack.base_url + "/")
        expect(page.locator("#stream-state")).to_have_text("live")
        page.locator(".outbox-item", has_text="alice@example.com").click()
        expect(page.locator("#outbox-detail h3")).to_have_text("Your order #1042 has shipped")
        # Each row with its record's status, the simulator's outcomes included.
        expect(page.locator(".outbox-status .badge", has_text="COMPLAINED")).to_have_count(1)
        expect(page.locator(".outbox-status .badge", has_text="BOUNCED")).to_have_count(1)
        page.screenshot(path=IMAGES / "console.png")
        page.goto(stack.base_url + "/#messages?senderId=shop-1")
        expect(page.locator("li.message")).to_have_count(len(SENDS))
        expect(page.locator("li.message .message-head .badge", has_text="COMPLAINED")).to_have_count(1)
        expect(page.locator("li.message .message-head .badge", has_text="BOUNCED")).to_have_count(1)
        page.screenshot(path=IMAGES / "console-messages.png")
        browser.close()
    print(f"wrote {IMAGES / 'console.png'} and {IMAGES / 'console-messages.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
