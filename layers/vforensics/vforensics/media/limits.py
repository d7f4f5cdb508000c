"""Limits every upload is held to before any pixel is decoded.

Values can be lowered (or raised) per deployment with environment variables, so the same
code serves a 1 GB analyzer Lambda and a laptop.
"""

import os

MB = 1024 * 1024


def max_bytes() -> int:
    """Largest accepted upload in bytes (default 100 MB, ``VF_MAX_BYTES``)."""
    return int(os.environ.get("VF_MAX_BYTES", 100 * MB))


def max_pixels() -> int:
    """Largest accepted width x height (default 100 megapixels, ``VF_MAX_PIXELS``).

    Checked from the header before decoding: a 100 MP RGB image already needs 300 MB as
    uint8 and over 1 GB as float32 in an analyzer, so anything larger is refused as a
    likely decompression bomb rather than risking an out-of-memory Lambda.
    """
    return int(os.environ.get("VF_MAX_PIXELS", 100_000_000))
