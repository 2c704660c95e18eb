"""The patterns validateInput.js gives util.matches, under Java's regex engine as well as Python's.

AppSync's util.matches is java.util.regex (the whole value must match); the local runtime answers it with
Python's `re`. Every (pattern, value) query the resolver makes while reading a share of the sample numbers of
tests/resolvers/test_phone_numbers.py (libphonenumber's patterns, and the lookahead-and-backreference queries
that find where a national prefix ends) is put to both: the answers must be the same. Java comes with this
project's machines; without it the test says so and skips.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from local.appsync.js_engine import JsEngine, _through_json
from local.manifest import Manifest
from tests.resolvers.conftest import CONFIG
from tests.resolvers.test_phone_numbers import _numbering, typed_numbers

UTIL_MATCHES_JAVA = Path(__file__).with_name("java") / "UtilMatches.java"
SHARE = 3  # every third sample number


class RecordingEngine(JsEngine):
    """A JS engine that notes every util.matches query and Python's answer."""

    def __init__(self) -> None:
        self.queries: dict[tuple[str, str], bool] = {}
        super().__init__()

    def _create_context(self) -> Any:
        context = super()._create_context()

        def matches(pattern: str, value: str) -> bool:
            answer = re.fullmatch(pattern, value) is not None
            self.queries[pattern, value] = answer
            return answer

        context.add_callable("__host_matches", _through_json(matches))
        return context


@pytest.mark.skipif(shutil.which("java") is None, reason="no java on PATH: the Java side of util.matches cannot be checked here")
def test_every_query_the_resolver_makes_is_answered_alike_by_java_and_python(manifest: Manifest, tmp_path: Path) -> None:
    # GIVEN the queries the resolver makes while reading numbers of every region (canonical form, validity, country)
    engine = RecordingEngine()
    engine.load_file("function:validateInput", manifest.code_units()["function:validateInput"])
    for typed in typed_numbers()[::SHARE]:
        base = {"args": {"input": {"to": typed, "body": "Hi", "deliveryMethod": "SMS"}, "filter": {"to": typed}}, "env": {}, "prev": {"result": None}}
        engine.invoke("function:validateInput", "request", {**base, "stash": {}, "info": {"fieldName": "getMessages"}})
        digits = typed.replace("+", "").replace(" ", "").replace("(", "").replace(")", "").replace("-", "").replace(".", "")
        code = next((digits[:length] for length in (1, 2, 3) if digits[:length].isdigit() and int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE), None)
        if code is not None:
            allowed = list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)])
            config = {**CONFIG, "smsAllowedCountries": allowed, "smsNumbering": {code: _numbering(code)}}
            engine.invoke("function:validateInput", "request", {**base, "stash": {"config": config}, "info": {"fieldName": "sendMessage"}})
    engine.close()
    queries = list(engine.queries.items())
    assert len(queries) > 10_000 and any("(?=" in pattern for (pattern, _), _ in queries)
    # WHEN Java's Pattern answers the same queries
    lines = "".join(f"{pattern}\t{value}\n" for (pattern, value), _ in queries)
    assert all("\t" not in pattern and "\n" not in pattern + value for (pattern, value), _ in queries)
    java = subprocess.run(["java", str(UTIL_MATCHES_JAVA)], input=lines, capture_output=True, text=True, check=True, timeout=300)
    answers = [line == "1" for line in java.stdout.splitlines()]
    # THEN every answer is Python's
    assert len(answers) == len(queries)
    differing = [(pattern, value, python) for ((pattern, value), python), answer in zip(queries, answers, strict=True) if answer != python]
    assert not differing, json.dumps(differing[:10], indent=1)
