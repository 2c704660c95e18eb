"""Every link between the README and the docs/ pages leads somewhere: the file exists, and the heading it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.markdown import anchors, links

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_names_an_existing_file_and_heading(page: Path) -> None:
    assert broken_links(page) == []


def test_a_link_to_a_missing_page_or_heading_is_found(tmp_path: Path) -> None:
    # GIVEN a page linking to itself, to a page beside it, and to a heading and a page that do not exist
    (tmp_path / "other.md").write_text("# Other\n\n## A heading\n")
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n[ok](other.md#a-heading) [self](#page) [gone](other.md#no-heading) [none](missing.md) `[code](x.md)`\n")
    # THEN exactly the two broken ones are reported (a code span is no link)
    assert broken_links(page) == ["other.md#no-heading: no such heading", "missing.md: no such file"]
