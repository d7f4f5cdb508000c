"""What the metadata analyzer reads besides EXIF: structure, XMP, IPTC, ICC, strings, ExifTool,
and metadata broken the ways real files break it."""

import shutil
import struct

import pytest
from PIL import Image, PngImagePlugin

from vforensics.analyzers.metadata import _analyzer as metadata
from vforensics.analyzers.metadata import _embedded as embedded
from vforensics.analyzers.metadata import _exiftool as exiftool
from vforensics.analyzers.metadata import _xmp as xmp_reader
from vforensics.media import file_structure
from vforensics.media.image import Media

from .images import encode, natural_rgb


def _analyze(data: bytes, name: str = "x.jpg"):
    return metadata.analyze(Media.from_bytes(data, name))


def test_jpeg_segments_have_offsets_sizes_and_identifiers(root):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    s = _analyze(data).details["structure"]
    segments = s["segments"]
    assert segments[0] == {"marker": "SOI", "offset": 0, "size": 2}
    assert segments[-1]["marker"] == "EOI" and s["end_of_image_offset"] == len(data) == segments[-1]["offset"] + 2
    for before, after in zip(segments[:-1], segments[1:], strict=True):  # no gaps, no overlaps
        assert after["offset"] == before["offset"] + before["size"] + before.get("scan_bytes", 0)
    assert {"Exif", "ICC_PROFILE"} <= {seg.get("identifier") for seg in segments}
    assert s["segment_counts"]["SOS"] == 1 and s["trailing_bytes"] == 0 and not s["problems"]


def test_data_after_the_end_marker_is_reported(root):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    hidden = encode(natural_rgb(64, 48), "JPEG", quality=80)
    s = _analyze(data + hidden).details["structure"]
    assert s["trailing_bytes"] == len(hidden)
    assert s["trailing_kind"].startswith("another JPEG")
    assert {"where": "after EOI", "offset": len(data)} in s["embedded_jpegs"]


def test_truncated_and_garbled_jpeg_structure_is_described_not_fatal(root):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    cut = file_structure.jpeg_structure(data[: len(data) // 2])
    assert cut["end_of_image_offset"] is None and "truncated" in cut["problems"][0]
    exif_end = 2 + int.from_bytes(data[4:6], "big") + 2
    garbled = data[:exif_end] + b"ab" + data[exif_end:]  # libjpeg: "2 extraneous bytes before marker"
    s = file_structure.jpeg_structure(garbled)
    assert s["problems"] == [f"2 extraneous bytes before the marker at offset {exif_end + 2}"]
    assert s["end_of_image_offset"] == len(garbled)


def test_png_chunks_text_keywords_and_bad_crc():
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GIMP 2.10")
    data = encode(natural_rgb(120, 80), "PNG", pnginfo=info)
    s = file_structure.describe(data, "PNG")
    assert [c["chunk"] for c in s["chunks"]][:1] == ["IHDR"] and s["chunks"][-1]["chunk"] == "IEND"
    assert s["text_keywords"] == ["Software"] and not s["problems"] and s["trailing_bytes"] == 0
    at = data.find(b"tEXt")
    corrupt = data[: at + 6] + b"X" + data[at + 7 :]
    assert any("bad CRC in tEXt" in p for p in file_structure.describe(corrupt, "PNG")["problems"])


def test_webp_chunks():
    data = encode(natural_rgb(120, 80), "WEBP", quality=80, exif=Image.Exif().tobytes())
    s = _analyze(data, "x.webp").details["structure"]
    assert s["container"] == "RIFF" and s["chunks"][0]["chunk"] == "VP8X" and "EXIF" in s["chunk_counts"]


def test_strings_come_from_metadata_not_pixels(root):
    strings = _analyze((root / "samples" / "iphone4.jpg").read_bytes()).details["strings"]
    assert "iPhone 4" in strings and "2011:01:13 14:33:39" in strings
    assert all(len(s) >= 8 or s == "iPhone 4" for s in strings)


def test_xmp_history_events_ancestors_and_dates():
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="Adobe Photoshop 25.0"'
        b' xmp:ModifyDate="2024-03-02T10:00:00">'
        b"<photoshop:DocumentAncestors><rdf:Bag><rdf:li>xmp.did:1</rdf:li><rdf:li>xmp.did:2</rdf:li></rdf:Bag>"
        b"</photoshop:DocumentAncestors><xmpMM:History><rdf:Seq>"
        b'<rdf:li stEvt:action="created" stEvt:when="2024-03-01T09:00:00" stEvt:softwareAgent="Adobe Photoshop 25.0"/>'
        b'<rdf:li stEvt:action="saved" stEvt:when="2024-03-02T10:00:00" stEvt:softwareAgent="Adobe Photoshop 25.0"/>'
        b"</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    d = _analyze(encode(natural_rgb(), "JPEG", quality=90, xmp=xmp)).details
    assert d["xmp"]["history_events"] == [
        {"action": "created", "software": "Adobe Photoshop 25.0", "when": "2024-03-01T09:00:00"},
        {"action": "saved", "software": "Adobe Photoshop 25.0", "when": "2024-03-02T10:00:00"},
    ]
    assert d["xmp"]["document_ancestors"] == 2 and d["xmp"]["modify_date"] == "2024-03-02T10:00:00"
    assert {"xmp_edit_history", "editing_software"} <= set(d["flags"])


def test_iptc_and_icc_profile_are_read():
    iptc = b"".join(
        b"\x1c\x02" + bytes([tag]) + len(v).to_bytes(2, "big") + v
        for tag, v in ((80, b"Jane Reporter"), (110, b"Agency"), (120, b"A caption"))
    )
    resource = b"8BIM\x04\x04\x00\x00" + len(iptc).to_bytes(4, "big") + iptc + b"\x00" * (len(iptc) % 2)
    app13 = b"Photoshop 3.0\x00" + resource
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    base = encode(natural_rgb(), "JPEG", quality=90, icc_profile=icc)
    data = base[:2] + b"\xff\xed" + (len(app13) + 2).to_bytes(2, "big") + app13 + base[2:]
    d = _analyze(data).details
    assert d["iptc"] == {"byline": "Jane Reporter", "credit": "Agency", "caption": "A caption"}
    assert "sRGB" in d["icc_profile"]


def test_huge_xmp_is_read_within_a_cap():
    info = PngImagePlugin.PngInfo()
    filler = b"<rdf:li>x</rdf:li>" * 300_000  # 5.4 MB of XMP
    info.add_itxt("XML:com.adobe.xmp", (b'<x:xmpmeta xmp:CreatorTool="GIMP 2.10">' + filler + b"</x:xmpmeta>").decode())
    d = _analyze(encode(natural_rgb(200, 100), "PNG", pnginfo=info), "x.png").details
    assert d["xmp"]["bytes"] > 5_000_000 and d["xmp"]["truncated_at"] == 2_000_000
    assert d["xmp"]["creator_tool"] == "GIMP 2.10" and "editing_software" in d["flags"]


@pytest.mark.timeout(30)  # a hang guard: the regular-expression reader took minutes on these
@pytest.mark.parametrize("where", ["app1", "after_eoi"])
def test_unclosed_xmp_tags_cost_a_linear_parse_not_minutes(where):
    head = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="GIMP 2.10">'
    packet = head + b"<xmpMM:History><rdf:Seq>" + b"<rdf:li>" * 120_000 + b"</x:xmpmeta>"  # ~1 MB
    if where == "app1":
        d = _analyze(encode(natural_rgb(96, 64), "JPEG", quality=90, xmp=packet[:60_000])).details
        assert d["xmp"]["malformed"].startswith("not well-formed XML at line 1")
    else:
        d = _analyze(encode(natural_rgb(96, 64), "JPEG", quality=90) + packet).details
        assert d["xmp"]["bytes"] == len(packet) and "malformed" in d["xmp"]
    assert d["xmp"]["creator_tool"] == "GIMP 2.10"  # what was read before the break is kept


def test_xmp_with_a_dtd_or_entities_is_not_expanded():
    packet = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "' + b"A" * 1000 + b'">]><x:xmpmeta xmp:CreatorTool="&a;"/>'
    img = Image.new("RGB", (8, 8))
    img.info["xmp"] = packet
    out = xmp_reader.read_xmp(img, b"")
    assert out["malformed"].startswith("a DTD, entity") and "creator_tool" not in out


def test_png_text_of_an_undecodable_png_keeps_the_chunks_before_the_pixels():
    # Prepare refuses such a file (CORRUPT_FILE), but the reader must not depend on that
    import io
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"parameters\x00a cat, Steps: 20")
        + chunk(b"IDAT", b"not zlib data" * 8)
        + chunk(b"IEND", b"")
    )
    assert embedded.png_text(Image.open(io.BytesIO(png))) == {"parameters": "a cat, Steps: 20"}


def test_an_exif_tag_pillow_lists_but_cannot_read_is_skipped_not_fatal():
    # found by tools/fuzz/fuzz_exif.py: IFD0 lists PhotometricInterpretation as SRATIONAL x 6 at offset 0
    tiff = bytes.fromhex(
        "49492a000800000002002f2f49492a00080000000a00"
        "06010a00060000000000000000ffff0400000043616d"
        "0069260400090000000100000000006d0069262e0000"
    )
    base = encode(natural_rgb(96, 64), "JPEG", quality=90)
    app1 = b"Exif\x00\x00" + tiff
    data = base[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + base[2:]
    d = _analyze(data).details
    assert "PhotometricInterpretation" not in d["exif_all"]


def test_a_jpeg_with_more_segments_than_the_dump_keeps_is_still_analysed():
    from vforensics.analyzers import jpeg

    base = encode(natural_rgb(96, 64), "JPEG", quality=90)
    data = base[:2] + b"\xff\xe1\x00\x02" * 250 + base[2:]
    assert file_structure.jpeg_structure(data)["segments"][-1].keys() == {"omitted"}
    assert jpeg.analyze(Media.from_bytes(data)).status == "ok"


def _tiff_exif(entries: list[tuple[int, int, int, bytes]], gps: list[tuple[int, int, int, bytes]]) -> bytes:
    """A little-endian EXIF block with IFD0 entries and a GPS IFD; values stored after the IFDs."""
    out = bytearray(b"II*\x00\x08\x00\x00\x00")
    ifd0 = entries + [(0x8825, 4, 1, b"")]
    gps_at = 8 + 2 + 12 * len(ifd0) + 4
    data_at = gps_at + 2 + 12 * len(gps) + 4
    blobs = bytearray()

    def ifd(items, next_value=None):
        nonlocal blobs
        body = struct.pack("<H", len(items))
        for tag, kind, count, value in items:
            if tag == 0x8825:
                body += struct.pack("<HHII", tag, kind, 1, gps_at)
            elif len(value) <= 4:
                body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
            else:
                body += struct.pack("<HHII", tag, kind, count, data_at + len(blobs))
                blobs += value
        return body + b"\x00\x00\x00\x00"

    out += ifd(ifd0) + ifd(gps) + blobs
    return b"Exif\x00\x00" + bytes(out)


def test_invalid_gps_rationals_and_non_utf8_strings_are_not_fatal():
    zero_denominators = struct.pack("<6I", 10, 0, 20, 0, 30, 0)
    exif = _tiff_exif(
        [(0x010F, 2, 6, b"Canon\x00"), (0x0131, 2, 8, b"\xff\xfe\xfd\x00abc\x00")],
        [(1, 2, 2, b"N\x00"), (2, 5, 3, zero_denominators), (3, 2, 2, b"E\x00"), (4, 5, 3, zero_denominators)],
    )
    base = encode(natural_rgb(), "JPEG", quality=90)
    data = base[:2] + b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif + base[2:]
    result = _analyze(data)
    assert result.status == "ok"
    assert result.details["exif"]["Make"] == "Canon"
    assert result.details["gps"] is None and "gps_present" not in result.details["flags"]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool is not installed on this machine")
def test_exiftool_dump_is_added_when_installed(root, monkeypatch):
    monkeypatch.setenv("VF_EXIFTOOL", "auto")
    d = _analyze((root / "samples" / "iphone4.jpg").read_bytes()).details
    assert d["readers"][-1].startswith("exiftool ")
    assert d["exiftool"]["tags"]["IFD0:Model"] == "iPhone 4"
    assert d["exiftool"]["tag_count"] > 50


def test_without_exiftool_the_pure_python_path_says_so(root, monkeypatch):
    monkeypatch.setenv("VF_EXIFTOOL", "off")
    assert exiftool.read(b"") is None
    d = _analyze((root / "samples" / "iphone4.jpg").read_bytes()).details
    assert d["readers"] == ["pillow", "byte parser"] and "exiftool" not in d


def test_png_without_iend_is_truncated():
    data = encode(natural_rgb(64, 48), "PNG")
    s = file_structure.png_structure(data[:-12])
    assert s["end_of_image_offset"] is None and "truncated" in s["problems"][0]
