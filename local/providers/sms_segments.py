"""How an SMS body is billed: its encoding (GSM-7 or UCS-2) and how many parts (segments) it goes out in.

Which characters GSM-7 holds, and how many septets each takes, comes from the `gsm0338` codec (the basic
character set of 3GPP TS 23.038, and its extension table, whose characters (`{ } [ ] ~ \\ | ^ €` and the form
feed) are sent as an escape plus a septet: 2 each). A body with any other character goes as UCS-2, in UTF-16
code units: a character outside the Basic Multilingual Plane (most emoji) takes 2.

One part holds 160 septets or 70 code units. A longer body is split into parts of 153 septets or 67 code units
(the rest of each part carries the header that joins them), and a part never ends in the middle of a character:
an escape and its septet, or a surrogate pair, stay together.
"""

from __future__ import annotations

from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"
SINGLE_PART = {GSM_7: 160, UCS_2: 70}
PER_PART = {GSM_7: 153, UCS_2: 67}


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 | UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int  # parts billed

    def as_json(self) -> dict[str, object]:
        return {"encoding": self.encoding, "units": self.units, "count": self.count}


def _widths(body: str) -> tuple[str, list[int]]:
    """The encoding, and the units each character of `body` takes in it."""
    try:
        return GSM_7, [len(character.encode("gsm03.38")) for character in body]
    except UnicodeEncodeError:
        return UCS_2, [len(character.encode("utf-16-le")) // 2 for character in body]


def segments(body: str) -> Segments:
    encoding, widths = _widths(body)
    units = sum(widths)
    if units <= SINGLE_PART[encoding]:
        return Segments(encoding, units, 1 if units else 0)
    parts, filled = 1, 0
    for width in widths:
        if filled + width > PER_PART[encoding]:
            parts, filled = parts + 1, 0
        filled += width
    return Segments(encoding, units, parts)
