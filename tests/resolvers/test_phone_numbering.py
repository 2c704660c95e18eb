"""The numbering tables generated from libphonenumber (tools/phone_numbering.py), and the room they take."""

from __future__ import annotations

import botocore.session

from local.manifest import Manifest
from tools import phone_numbering


def test_the_committed_tables_are_those_of_the_pinned_phonenumbers() -> None:
    # GIVEN the tables in validateInput.js and graphql/phone_numbering.json, WHEN generated again from the
    # installed phonenumbers, THEN nothing differs (else: python -m tools.phone_numbering)
    assert phone_numbering.stale(phone_numbering.generate()) == []


def test_every_resolver_and_function_fits_appsyncs_code_limit(manifest: Manifest) -> None:
    # AppSync refuses a function or resolver whose code is longer (botocore's model of CreateFunction/CreateResolver).
    appsync = botocore.session.get_session().get_service_model("appsync")
    shapes = {operation: appsync.operation_model(operation).input_shape for operation in ("CreateFunction", "CreateResolver")}
    limits = {operation: shape.members["code"].metadata["max"] for operation, shape in shapes.items() if shape is not None}
    assert limits == {"CreateFunction": 32768, "CreateResolver": 32768}
    sizes = {unit: len(path.read_text()) for unit, path in manifest.code_units().items()}
    assert {unit: size for unit, size in sizes.items() if size > limits["CreateFunction"]} == {}
