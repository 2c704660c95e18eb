"""checkov's environment holds its JSONPath parsers' tables (tools/checkov/parse_tables.py, run when `make` builds
it): PLY reads them instead of building them on each of the hundred parses of a scan. Run by checkov's own Python."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO_ROOT

CHECKOV_PYTHON = REPO_ROOT / ".tools" / "checkov" / "bin" / "python"

# Parses with both parsers while PLY cannot build a table: only tables read from their modules, and holding the
# grammars' signatures, let it parse.
PARSE_WITHOUT_BUILDING = """
import ply.yacc

def refuse(*args, **kwargs):
    raise AssertionError("PLY built a parser table")

ply.yacc.LRGeneratedTable = refuse
from bc_jsonpath_ng import parse
from bc_jsonpath_ng.ext import parse as parse_extended
print(parse("$.statement[0].rule").find({"statement": [{"rule": "a"}]})[0].value)
print(parse_extended("$.items[?(@.id == 2)].name").find({"items": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}]})[0].value)
"""


@pytest.mark.skipif(not CHECKOV_PYTHON.exists(), reason="checkov's environment is not built (make .tools/checkov/bin/checkov)")
def test_jsonpath_parsers_read_their_tables() -> None:
    # GIVEN checkov's environment as make builds it WHEN both JSONPath parsers parse with table building refused
    result = subprocess.run([str(CHECKOV_PYTHON), "-c", PARSE_WITHOUT_BUILDING], capture_output=True, text=True, check=False)
    # THEN they parse from the tables written at build time
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["a", "y"]
