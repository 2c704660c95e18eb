"""Reading the project's Markdown pages as GitHub renders them."""

from __future__ import annotations

import re


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)  # a '#' in a code block is no heading
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def links(markdown: str) -> list[str]:
    """The targets of the page's inline links and images, outside code blocks and code spans."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def code_blocks(markdown: str, heading: str, language: str) -> list[str]:
    """The fenced code blocks in `language` of the section under `heading` (up to the next heading of any level)."""
    match = re.search(rf"^#{{1,6}} {re.escape(heading)}\n(.*?)(?=^#{{1,6}} |\Z)", markdown, re.MULTILINE | re.DOTALL)
    if match is None:
        raise LookupError(f"no heading {heading!r}")
    return re.findall(rf"^```{re.escape(language)}\n(.*?)^```", match.group(1), re.MULTILINE | re.DOTALL)
