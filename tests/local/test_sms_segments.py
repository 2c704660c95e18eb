"""SMS billing: encoding and segment counts at the edges (the figures agree with Twilio's calculator,
npm sms-segments-calculator 1.3.0, on every case here)."""

from __future__ import annotations

import pytest

from local.providers.sms_segments import GSM_7, UCS_2, segments

EURO = "€"  # GSM-7's extension table: an escape and a septet
EMOJI = "😀"  # outside the Basic Multilingual Plane: a surrogate pair in UCS-2


@pytest.mark.parametrize(
    ("body", "encoding", "units", "count"),
    [
        ("a" * 160, GSM_7, 160, 1),
        ("a" * 161, GSM_7, 161, 2),
        ("a" * 306, GSM_7, 306, 2),
        ("a" * 307, GSM_7, 307, 3),
        # extension characters count 2
        (EURO * 80, GSM_7, 160, 1),
        (EURO * 81, GSM_7, 162, 2),
        ("a" * 159 + "{", GSM_7, 161, 2),
        # a part never ends between an escape and its septet: 152 + (2 + 152) needs a third part
        ("a" * 152 + EURO + "a" * 152, GSM_7, 306, 3),
        # the basic set holds é, Ç, line breaks and @; not ç
        ("é" * 70 + "Ç@\r\n", GSM_7, 74, 1),
        ("ç", UCS_2, 1, 1),
        ("Ж" * 70, UCS_2, 70, 1),
        ("Ж" * 71, UCS_2, 71, 2),
        ("Ж" * 134, UCS_2, 134, 2),
        ("Ж" * 135, UCS_2, 135, 3),
        # characters outside the BMP count 2 ...
        (EMOJI * 35, UCS_2, 70, 1),
        (EMOJI * 36, UCS_2, 72, 2),
        # ... and a surrogate pair is never split: 66 + (2 + 66) needs a third part
        ("a" * 66 + EMOJI + "a" * 66, UCS_2, 134, 3),
        # one character outside GSM-7 makes the whole body UCS-2
        ("a" * 100 + "ж", UCS_2, 101, 2),
        ("", GSM_7, 0, 0),
    ],
    ids=lambda value: value if not isinstance(value, str) or len(value) < 12 else f"{value[:4]}...({len(value)})",
)
def test_encoding_units_and_segments(body: str, encoding: str, units: int, count: int) -> None:
    assert segments(body).as_json() == {"encoding": encoding, "units": units, "count": count}
