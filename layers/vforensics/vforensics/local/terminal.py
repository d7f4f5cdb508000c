"""Text from uploads made safe to print on a terminal.

File names and metadata strings come from strangers: an EXIF field can carry ANSI/VT escape
sequences (clear the screen, retitle the window, print a fake verdict) or Unicode
bidirectional overrides that reorder what is shown. Every character that a terminal could
act on is shown as an escape (``\\x1b``, ``\\u202e``) instead; ordinary text, accents and
scripts included, is left as it is.
"""

from __future__ import annotations

import unicodedata

#: Unicode format characters that reorder or hide text (bidi embeddings, overrides, isolates)
_BIDI = {0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def safe_text(text: str, keep_newlines: bool = False) -> str:
    """``text`` with control and bidi-override characters escaped (``\\n`` kept if asked)."""
    return "".join(ch if _printable(ch, keep_newlines) else _escape(ch) for ch in text)


def safe_json_text(text: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with C1 controls and bidi
    overrides written as ``\\uXXXX`` (json.dumps escapes only the C0 controls): still valid JSON."""
    return "".join(f"\\u{ord(ch):04x}" if not _printable(ch, True) and ch not in "\t" else ch for ch in text)


def _printable(ch: str, keep_newlines: bool) -> bool:
    if ch == "\n":
        return keep_newlines
    code = ord(ch)
    if code in _BIDI:
        return False
    return unicodedata.category(ch) not in ("Cc", "Cs")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
