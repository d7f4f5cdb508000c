"""What every fuzz target shares: paths, seeds, the instrumented imports and the libFuzzer run.

    python tools/fuzz/fuzz_exif.py [libFuzzer options] [CORPUS_DIR ...]

Without a corpus folder, the target writes its seeds (tools/malformed_corpus.py kinds and a
few valid images, cut to what the target reads) into ``$VF_FUZZ_WORK/<target>/`` (default
``$TMPDIR/vforensics-fuzz``) and fuzzes from there; crash, timeout and slow-unit files go to
the same folder (``-artifact_prefix``). A target raises only on a real bug: the project's
documented errors (``MediaRejected`` from the validation) and Pillow refusing to open a file
(which the validation step turns into CORRUPT_FILE before any reader runs) are not crashes.

The crashes and hangs the targets found are fixed (docs/SECURITY.md); a target skips nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (str(ROOT), str(ROOT / "layers" / "vforensics")):
    if p not in sys.path:
        sys.path.insert(0, p)
os.environ.setdefault("VF_EXIFTOOL", "off")

import atheris  # noqa: E402

#: Seeds larger than this are left out (libFuzzer's -max_len follows the largest seed).
MAX_SEED_BYTES = 64 * 1024
#: Kinds too large, or hanging today, to seed with.
SKIP_SEED_KINDS = {
    "xmp_1mb_many_unclosed_li",
    "xmp_2mb_unclosed_li",
    "png_decompression_bomb",
    "icc_huge",
    "fifo_named_jpg",
}


def corpus_files() -> dict[str, bytes]:
    """The generated corpus kinds (small ones) and a few valid images, by name."""
    from tools import malformed_corpus as corpus

    out: dict[str, bytes] = {}
    for kind in corpus.KINDS:
        if kind.name in SKIP_SEED_KINDS or kind.make is None:
            continue
        data = corpus.build(kind)
        if data is not None and len(data) <= MAX_SEED_BYTES:
            out[kind.name] = data
    rng = random.Random("fuzz-seeds")
    small = corpus.natural(48, 32, rng)
    for fmt, extra in (
        ("JPEG", {"quality": 80}),
        ("PNG", {}),
        ("WEBP", {"quality": 70}),
        ("GIF", {}),
        ("TIFF", {}),
        ("BMP", {}),
    ):
        out[f"valid_{fmt.lower()}"] = corpus.encode(small, fmt, **extra)
    return out


def jpeg_segments(data: bytes, marker: int) -> Iterable[bytes]:
    """Payloads of the APPn (``marker``) segments before the first scan of a JPEG."""
    pos = 2
    while data[:2] == b"\xff\xd8" and pos + 4 <= len(data) and data[pos] == 0xFF:
        code, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        if code == 0xDA or length < 2:
            return
        if code == marker:
            yield data[pos + 4 : pos + 2 + length]
        pos += 2 + length


def open_image(data: bytes):
    """Pillow's lazy open, or None where Pillow refuses the bytes (not a bug of ours)."""
    from PIL import Image

    try:
        return Image.open(io.BytesIO(data))
    except Exception:
        return None


def run(name: str, test_one_input: Callable[[bytes], None], seeds: Callable[[], Iterable[bytes]]) -> None:
    argv = list(sys.argv)
    dirs = [a for a in argv[1:] if not a.startswith("-")]
    work = Path(os.environ.get("VF_FUZZ_WORK") or Path(tempfile.gettempdir()) / "vforensics-fuzz") / name
    if not dirs:
        work.mkdir(parents=True, exist_ok=True)
        for seed in seeds():
            seed = seed[:MAX_SEED_BYTES]
            (work / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        argv.append(str(work))
    if not any(a.startswith("-artifact_prefix=") for a in argv):
        work.mkdir(parents=True, exist_ok=True)
        argv.insert(1, f"-artifact_prefix={work}/")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
