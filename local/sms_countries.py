"""The countries SMS may go to, as the CONFIG/DELIVERY item carries them to sendMessage (validateInput.js).

`smsAllowedCountries` lists them; `smsNumbering` holds, for each calling code with an allowed country, the
JSON of that code's regions from graphql/phone_numbering.json (tools/phone_numbering.py generates it from
libphonenumber): every region of the code, in libphonenumber's order, since a number is of the first region
that claims it. terraform/main.tf writes the same from `sms_allowed_countries`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from local.manifest import GRAPHQL_DIR

NUMBERING_PATH = GRAPHQL_DIR / "phone_numbering.json"


@cache
def _numbering() -> dict[str, Any]:
    numbering: dict[str, Any] = json.loads(NUMBERING_PATH.read_text())
    return numbering


def countries() -> list[str]:
    """Every ISO 3166 alpha-2 region libphonenumber knows."""
    return sorted(_numbering()["regions"])


def every_region() -> list[str]:
    """Every region, with "001", libphonenumber's region of non-geographic numbers (+800, +882, ...)."""
    return sorted({region["region"] for regions in _numbering()["callingCodes"].values() for region in regions})


def countries_of_prefixes(prefixes: list[str]) -> list[str]:
    """The regions of the calling codes that E.164 prefixes (the deprecated setting) reach: "+1" all of North
    America's, "+4917" Germany's."""
    wanted = [prefix.removeprefix("+") for prefix in prefixes]
    return sorted(
        {
            region["region"]
            for code, regions in _numbering()["callingCodes"].items()
            if any(code.startswith(prefix) or prefix.startswith(code) for prefix in wanted)
            for region in regions
        }
    )


def sms_numbering(allowed: list[str]) -> dict[str, str]:
    """Calling code -> the JSON of its regions, for each code with a region in `allowed`."""
    return {
        code: json.dumps(regions, separators=(",", ":"))
        for code, regions in _numbering()["callingCodes"].items()
        if any(region["region"] in allowed for region in regions)
    }
