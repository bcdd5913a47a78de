"""Which characters people's text may hold: the one rule for input (a justification is refused
if it holds any other) and for output (a report replaces them, so old files still render).

Refused: control characters other than newline and tab (C0, DEL, C1), lone surrogates
(they cannot be written as UTF-8, so a page holding one cannot be sent), and the
bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069),
which can make text read differently from what it is.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character people's text may not hold."""
    return _UNSAFE.search(text) is not None


def scrub(text: str) -> str:
    """``text`` with each such character replaced by U+FFFD."""
    return _UNSAFE.sub(REPLACEMENT, text)
