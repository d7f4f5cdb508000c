"""Property-based tests (hypothesis) for the byte and metadata parsers (issue 21).

Random bytes and mutated real files go into the sniffing, the validation, the JPEG segment
walker and structure dump, the EXIF, XMP, IPTC, ICC, PNG-text and C2PA readers and the whole
metadata report. Each must return, or raise only the project's documented error
(``MediaRejected`` with a documented code, from the validation only), and finish within a
time bound linear in its input. Examples are derandomised (the same ones on every run) and
few, so the module takes well under a minute on 2 cores.

The seeds are tools/malformed_corpus.py kinds (small ones) plus valid images made here.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402

from tools import malformed_corpus as corpus  # noqa: E402
from vforensics.analyzers.metadata import _content_credentials as content_credentials  # noqa: E402
from vforensics.analyzers.metadata import _embedded as embedded  # noqa: E402
from vforensics.analyzers.metadata import _exif_fields as exif_fields  # noqa: E402
from vforensics.analyzers.metadata import _exif_thumbnail as exif_thumbnail  # noqa: E402
from vforensics.analyzers.metadata import _xmp as xmp_reader  # noqa: E402
from vforensics.errors import MediaRejected  # noqa: E402
from vforensics.media import file_structure, jpeg_tables  # noqa: E402
from vforensics.media.image import inspect_image  # noqa: E402
from vforensics.media.sniff import FileType, sniff  # noqa: E402
from vforensics.report.metadata import metadata_report  # noqa: E402

# ~25 s on 2 shared cores: slow by pytest.ini's rule (more than ~3 s); make test runs it
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]

#: A parser may take BASE_S plus PER_BYTE_S per input byte (generous: 2 shared cores).
BASE_S = 0.75
PER_BYTE_S = 20e-6

SETTINGS = dict(
    derandomize=True,
    database=None,
    deadline=None,  # the linear bound below is the time check; hypothesis' deadline is per call and flaky under load
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FAST = settings(max_examples=150, **SETTINGS)
MEDIUM = settings(max_examples=60, **SETTINGS)
SLOW = settings(max_examples=25, **SETTINGS)

SEED_KINDS = (
    "exif_terminal_escapes",
    "exif_ifd_loop",
    "exif_offsets_outside",
    "iptc_malformed",
    "icc_malformed",
    "c2pa_junk_jumbf",
    "jpeg_progressive",
    "jpeg_trailing_data",
    "png_named_jpg",
    "png_undecodable_with_text",
    "png_zero_length_chunks",
    "png_palette_transparency",
    "png_16bit",
    "png_broken_exif",
    "animated_gif",
    "multipage_tiff",
    "jpeg_cmyk",
    "webp_truncated",
    "bmp_bogus_header",
    "avif_still",
    "heic_still",
)


def _valid_extras() -> list[bytes]:
    rng = corpus.random.Random("properties")
    small = corpus.natural(48, 32, rng)
    return [
        corpus.encode(small, "WEBP", quality=70),
        corpus.encode(small, "BMP"),
        corpus.encode(small, "TIFF"),
        corpus.encode(small, "JPEG", quality=75, exif=_exif_with_thumbnail()),
    ]


def _exif_with_thumbnail() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0131] = "Adobe Photoshop 25.0"
    return exif.tobytes()


SEEDS = [corpus.build(corpus.BY_NAME[name]) for name in SEED_KINDS] + _valid_extras()


def test_exif_reader_on_a_listed_but_unreadable_tag():
    img = Image.open(io.BytesIO(corpus.build(corpus.BY_NAME["exif_unreadable_listed_tag"])))
    selected, _, all_tags, _ = exif_fields.read_exif(img)  # the unreadable tag is skipped, not raised
    assert "PhotometricInterpretation" not in all_tags and isinstance(selected, dict)


SMALL_JPEG = corpus.encode(corpus.natural(32, 24, corpus.random.Random("small")), "JPEG", quality=80)


def within_bound(fn, data: bytes, *args):
    started = time.perf_counter()
    result = fn(data, *args)
    elapsed = time.perf_counter() - started
    bound = BASE_S + PER_BYTE_S * len(data)
    assert elapsed <= bound, f"{fn.__name__} took {elapsed:.2f} s on {len(data)} bytes (bound {bound:.2f} s)"
    return result


@st.composite
def mutated(draw, seeds: list[bytes], head_bias: int = 4096):
    """A seed with 1-8 byte-level mutations (bit flips, magic values, cuts, inserts,
    deletions, duplicated ranges), half of them in the first ``head_bias`` bytes."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        limit = len(data) - 1 if draw(st.booleans()) else min(len(data) - 1, head_bias)
        i = draw(st.integers(0, limit))
        op = draw(st.sampled_from(("flip", "magic", "cut", "insert", "delete", "dup", "len16")))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "magic":
            data[i] = draw(st.sampled_from((0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)))
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 256))]
        elif op == "dup":
            j = draw(st.integers(0, len(data) - 1))
            data[i:i] = data[j : j + draw(st.integers(1, 512))]
        else:  # a big-endian length or offset field set to an extreme
            data[i : i + 2] = struct.pack(">H", draw(st.sampled_from((0, 1, 2, 0x7FFF, 0xFFFF))))
    return bytes(data)


def _open(data: bytes) -> Image.Image | None:
    """Pillow's lazy open, as the metadata analyzer does; None where Pillow refuses the file
    (the validation step refuses those before any reader runs)."""
    try:
        return Image.open(io.BytesIO(data))
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Sniffing and validation


@FAST
@given(st.one_of(st.binary(max_size=64), mutated(SEEDS, head_bias=32).map(lambda d: d[:64])))
def test_sniff_is_total(header):
    result = sniff(header)
    assert result is None or isinstance(result, FileType)


@MEDIUM
@given(mutated(SEEDS))
def test_validation_accepts_or_refuses_with_a_documented_code(data):
    try:
        info = within_bound(inspect_image, data)
    except MediaRejected as rejected:
        assert rejected.code in corpus.REFUSAL_CODES, rejected
        return
    assert info.width > 0 and info.height > 0


@SLOW
@given(mutated(SEEDS))
def test_metadata_report_never_raises(data):
    report = within_bound(metadata_report, data, "mutated")
    if "error" in report:
        assert report["error"]["code"] in corpus.REFUSAL_CODES
    else:
        assert isinstance(report["flags"], list) and "structure" in report


# ---------------------------------------------------------------------------------------------
# JPEG segment walker and structure dump


STRUCTURE_INPUTS = st.one_of(
    st.binary(max_size=4096).map(lambda b: b"\xff\xd8" + b),
    st.binary(max_size=4096).map(lambda b: corpus.PNG_SIG + b),
    st.binary(max_size=4096).map(lambda b: b"RIFF" + b[:4] + b"WEBP" + b[4:]),
    st.lists(st.sampled_from((b"\xff", b"\xff\xd8", b"\xff\xda", b"\xff\xd9", b"\xff\xe1", b"\x00", b"\x00\x02"))).map(
        lambda parts: b"\xff\xd8" + b"".join(parts)
    ),
    mutated(SEEDS),
)


@FAST
@given(STRUCTURE_INPUTS)
def test_structure_dump_is_total_and_linear(data):
    fmt = {b"\xff\xd8": "JPEG", b"\x89P": "PNG", b"RI": "WEBP"}.get(data[:2], "GIF")
    structure = within_bound(file_structure.describe, data, fmt)
    assert structure["container"] in ("JPEG", "PNG", "RIFF", fmt)
    spans = file_structure.metadata_spans(structure, len(data))
    assert isinstance(within_bound(file_structure.printable_strings, data, spans), list)
    assert isinstance(within_bound(jpeg_tables.segment_layout, data), list)
    found = exif_thumbnail.extract(data, structure)
    assert found is None or isinstance(found[0], bytes)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("jpeg tiny segments", lambda n: b"\xff\xd8" + b"\xff\xe1\x00\x02" * n + b"\xff\xd9"),
        ("jpeg fill bytes", lambda n: b"\xff\xd8" + b"\xff" * (4 * n) + b"\xd9"),
        ("jpeg scans", lambda n: b"\xff\xd8" + b"\xff\xda\x00\x02\x00\xff\x00" * n),
        ("png empty chunks", lambda n: corpus.PNG_SIG + corpus.chunk(b"tEXt", b"") * n),
        ("riff empty chunks", lambda n: b"RIFF\xff\xff\xff\x7fWEBP" + b"JUNK\x00\x00\x00\x00" * n),
    ],
)
def test_structure_dump_scales_linearly(name, make):
    assert _scaling(lambda data: file_structure.describe(data, _fmt(data)), make) < 8, name


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xff", b"\xff\xd8\xff\xe1\x00\x02\xff\xff\xff"])
def test_structure_dump_on_trailing_fill_bytes(data):
    assert file_structure.jpeg_structure(data)["container"] == "JPEG"
    assert isinstance(jpeg_tables.segment_layout(data), list)


def _fmt(data: bytes) -> str:
    return {b"\xff\xd8": "JPEG", b"\x89P": "PNG"}.get(data[:2], "WEBP")


def _scaling(fn, make, n: int = 5_000) -> float:
    """How much longer ``fn`` takes on an input 4x as large (best of 3): ~4 when linear,
    ~16 when quadratic."""

    def best(data: bytes) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            fn(data)
            times.append(time.perf_counter() - started)
        return max(min(times), 1e-4)

    return best(make(4 * n)) / best(make(n))


# ---------------------------------------------------------------------------------------------
# EXIF


def _tiff_blocks():
    entry = st.tuples(
        st.sampled_from((0x010F, 0x0110, 0x0131, 0x0132, 0x8769, 0x8825, 0x9286, 0x927C, 0x0201, 0x0202, 0x9003)),
        st.integers(0, 13),
        st.one_of(st.integers(0, 16), st.integers(0, 2**32 - 1)),
        st.one_of(st.integers(0, 64), st.integers(0, 2**32 - 1)),
    )
    return st.tuples(
        st.sampled_from((b"II*\x00", b"MM\x00*")), st.lists(entry, max_size=12), st.binary(max_size=256)
    ).map(_tiff)


def _tiff(parts) -> bytes:
    order, entries, tail = parts
    e = "<" if order == b"II*\x00" else ">"
    out = order + struct.pack(e + "I", 8) + struct.pack(e + "H", len(entries))
    for tag, typ, count, value in entries:
        out += struct.pack(e + "HHII", tag, typ, count, value)
    return out + struct.pack(e + "I", 8 if tail[:1] == b"\x00" else 0) + tail


EXIF_PAYLOADS = st.one_of(_tiff_blocks(), st.binary(max_size=512), mutated([_exif_with_thumbnail()], head_bias=64))


@MEDIUM
@given(EXIF_PAYLOADS)
def test_exif_readers_never_raise(tiff):
    payload = b"Exif\x00\x00" + tiff[:65000]
    data = corpus.after_soi(SMALL_JPEG, corpus.segment(0xE1, payload))
    img = _open(data)
    if img is not None:
        selected, gps, all_tags, error = within_bound(lambda _d: exif_fields.read_exif(img), data)
        assert isinstance(selected, dict) and isinstance(all_tags, dict)
        assert gps is None or isinstance(gps, dict)
        assert error is None or isinstance(error, str)
        comment = exif_fields.user_comment(img)
        assert comment is None or isinstance(comment, str)
    thumb = exif_thumbnail._ifd1_jpeg(payload)
    assert thumb is None or thumb[:3] == b"\xff\xd8\xff"


# ---------------------------------------------------------------------------------------------
# XMP

XMP_TOKENS = (
    "<x:xmpmeta>",
    "</x:xmpmeta>",
    "xmpMM:History",
    "<rdf:Seq>",
    "<rdf:li",
    "<rdf:li>",
    ">",
    "/>",
    "</rdf:li>",
    ' stEvt:action="saved"',
    ' stEvt:softwareAgent="',
    "stEvt:when>",
    '"',
    "<",
    "CreatorTool=",
    'xmp:CreatorTool="GIMP',
    "<xmp:CreatorTool>",
    "photoshop:DocumentAncestors",
    "DigitalSourceType",
    ' rdf:resource="',
    "AISystemUsed",
    " ",
    "\u00e9",
    "\ufffd",
)
XMP_TEXT = st.lists(st.one_of(st.sampled_from(XMP_TOKENS), st.text(max_size=8)), max_size=400).map("".join)


@MEDIUM
@given(XMP_TEXT, st.booleans())
def test_xmp_reader_never_raises(text, wrapped):
    body = text.encode("utf-8", "surrogatepass") if not wrapped else ("<x:xmpmeta>" + text + "</x:xmpmeta>").encode()
    img = Image.new("RGB", (4, 4))
    img.info["xmp"] = body
    out = within_bound(lambda _d: xmp_reader.read_xmp(img, b""), body)
    assert isinstance(out, dict)
    out = within_bound(lambda d: xmp_reader.read_xmp(Image.new("RGB", (1, 1)), d), b"\xff\xd8" + body + b"\xff\xd9")
    assert isinstance(out, dict)


def _xmp_reader_on(data: bytes) -> dict:
    return xmp_reader.read_xmp(Image.new("RGB", (1, 1)), data)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda n: ("<x:xmpmeta>xmpMM:History<rdf:li>" + "a" * (8 * n) + "</x:xmpmeta>").encode(),
            id="one unclosed li",
        ),
        pytest.param(
            lambda n: ("<x:xmpmeta>" + 'CreatorTool="' * n + "</x:xmpmeta>").encode(), id="unclosed attributes"
        ),
        pytest.param(
            lambda n: ("<x:xmpmeta>xmpMM:History" + "<rdf:li>x " * n + "</x:xmpmeta>").encode(),
            id="many unclosed li",
        ),
    ],
)
def test_xmp_reader_scales_linearly(make):
    assert _scaling(_xmp_reader_on, make, n=1000) < 8


# ---------------------------------------------------------------------------------------------
# IPTC, ICC, PNG text, C2PA


def _app13(blocks: list[tuple[int, bytes, int, bytes]]) -> bytes:
    out = b"Photoshop 3.0\x00"
    for resource, name, size, body in blocks:
        out += b"8BIM" + struct.pack(">H", resource) + bytes([len(name)]) + name + struct.pack(">I", size) + body
    return out


IIM = st.lists(
    st.tuples(st.sampled_from((1, 2, 0xFF)), st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=40)),
    max_size=8,
).map(lambda recs: b"".join(b"\x1c" + bytes([r, d]) + struct.pack(">H", n) + body for r, d, n, body in recs))
APP13 = st.one_of(
    st.lists(
        st.tuples(
            st.sampled_from((0x0404, 0x0404, 0x040C, 0x0422)),
            st.binary(max_size=6),
            st.one_of(st.integers(0, 64), st.integers(0, 2**32 - 1)),
            IIM,
        ),
        max_size=4,
    ).map(_app13),
    st.binary(max_size=600).map(lambda b: b"Photoshop 3.0\x00" + b),
)


@MEDIUM
@given(APP13)
def test_iptc_reader_never_raises(payload):
    data = corpus.after_soi(SMALL_JPEG, corpus.segment(0xED, payload[:65000]))
    img = _open(data)
    if img is not None:
        out = within_bound(lambda _d: embedded.read_iptc(img), data)
        assert isinstance(out, dict)


ICC_SEED = corpus._icc_profile(2048, corpus.random.Random("icc"))


@MEDIUM
@given(st.one_of(st.binary(min_size=1, max_size=2048), mutated([ICC_SEED], head_bias=256)))
def test_icc_description_never_raises(profile):
    img = Image.new("RGB", (2, 2))
    img.info["icc_profile"] = profile
    out = within_bound(lambda _d: embedded.icc_description(img), profile)
    assert out is None or isinstance(out, str)


TEXT_CHUNK = st.one_of(
    st.tuples(st.just(b"tEXt"), st.binary(max_size=200)),
    st.tuples(
        st.just(b"zTXt"),
        st.binary(max_size=60).map(lambda b: b.split(b"\x00")[0][:79] + b"\x00\x00" + zlib.compress(b)),
    ),
    st.tuples(st.just(b"zTXt"), st.binary(max_size=200)),
    st.tuples(st.just(b"iTXt"), st.binary(max_size=200)),
    st.tuples(st.just(b"iTXt"), st.binary(max_size=60).map(lambda b: b"prompt\x00\x01\x00\x00\x00" + zlib.compress(b))),
    st.tuples(st.just(b"eXIf"), st.binary(max_size=120)),
)
VALID_PNG = corpus.encode(corpus.natural(16, 12, corpus.random.Random("png")), "PNG")


@MEDIUM
@given(st.lists(TEXT_CHUNK, max_size=6), st.booleans())
def test_png_text_never_raises_on_decodable_pngs(chunks, before_idat):
    extra = b"".join(corpus.chunk(kind, body) for kind, body in chunks)
    at = 33 if before_idat else len(VALID_PNG) - 12
    data = VALID_PNG[:at] + extra + VALID_PNG[at:]
    img = _open(data)
    if img is not None:
        out = within_bound(lambda _d: embedded.png_text(img), data)
        assert isinstance(out, dict) and all(isinstance(v, str) for v in out.values())


def test_png_text_on_an_undecodable_png():
    img = Image.open(io.BytesIO(corpus.build(corpus.BY_NAME["png_undecodable_with_text"])))
    assert isinstance(embedded.png_text(img), dict)


C2PA_SEEDS = [corpus.build(corpus.BY_NAME["c2pa_junk_jumbf"])]


@SLOW
@given(mutated(C2PA_SEEDS, head_bias=400))
def test_c2pa_reader_never_raises(data):
    out = within_bound(content_credentials.read, data, "image/jpeg")
    assert isinstance(out, dict) and "present" in out
