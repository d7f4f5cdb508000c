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


#: Below this many pixels a file may compress as far as its codec allows: small blank canvases
#: and placeholders are ordinary, and analysing 4 MP costs seconds, whatever the file's size.
FREE_PIXELS = 4_000_000
#: The most pixels one byte can hold where the codec sets no bound of its own (WebP's and
#: VP8L's arithmetic and back-reference coding, TIFF's compressions, BMP's RLE skips): a
#: policy, not a proof. A 100 MP photograph takes megabytes; a blank 100 MP lossless WebP takes
#: 4 KB and tells a forensic analysis nothing.
POLICY_PIXELS_PER_BYTE = 2_048
#: Huffman-coded JPEG: every 8x8 block of a complete first scan costs at least 1 bit (a DC
#: code), so one byte holds at most 8 blocks = 512 pixels (a flat grey JPEG reaches 256).
JPEG_PIXELS_PER_BYTE = 512
#: DEFLATE (PNG) expands at most 1032:1 (a 258-byte match in under 2 bits).
DEFLATE_MAX_RATIO = 1_032
#: GIF's LZW: a 12-bit code stands for at most 4,096 pixels.
GIF_PIXELS_PER_BYTE = 4_096 * 8 // 12
