"""The metadata analyzer on real camera files and on files edited the way people edit them."""

import hashlib
import io

import pytest
from PIL import Image, PngImagePlugin

from vforensics.analyzers.metadata import _analyzer as metadata
from vforensics.media.image import Media

from .images import encode, natural_rgb


def _analyze(data: bytes, name: str = "x.jpg"):
    return metadata.analyze(Media.from_bytes(data, name))


def test_camera_original_facts_exif_and_hashes(root):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    result = _analyze(data, "iphone4.jpg")
    d = result.details
    assert result.status == "ok" and result.score == 0
    assert d["file"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert d["file"]["md5"] == hashlib.md5(data).hexdigest()
    assert (d["file"]["width"], d["file"]["height"], d["file"]["format"]) == (1296, 968, "JPEG")
    assert d["exif"]["Make"] == "Apple" and d["exif"]["Model"] == "iPhone 4"
    assert d["exif"]["DateTimeOriginal"] == "2011:01:13 14:33:39"
    assert d["file"]["timestamps"]["captured"] == "2011:01:13 14:33:39"
    assert d["file"]["megabytes"] == round(len(data) / 1e6, 3) and d["file"]["color_mode"] == "RGB"
    assert d["exif"]["ShutterSpeed"].startswith("1/")
    assert d["flags"] == [] or d["flags"] == ["gps_present"]


@pytest.mark.slow
def test_gps_is_decimal_degrees_with_a_map_link(bench):
    with_gps = [
        p
        for p in sorted((bench / "camera").glob("*.jpg"))
        if "gps_present" in _analyze(p.read_bytes()).details["flags"]
    ]
    assert with_gps, "the bench has photos with GPS"
    gps = _analyze(with_gps[0].read_bytes()).details["gps"]
    assert -90 <= gps["latitude"] <= 90 and -180 <= gps["longitude"] <= 180
    assert "openstreetmap.org" in gps["map_url"]


def _resave(data: bytes, **exif_changes) -> bytes:
    img = Image.open(io.BytesIO(data))
    exif = img.getexif()
    for tag, value in exif_changes.items():
        exif[{"Software": 0x0131, "DateTime": 0x0132}[tag]] = value
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def test_editing_software_is_flagged_with_evidence(root):
    data = _resave((root / "samples" / "iphone4.jpg").read_bytes(), Software="Adobe Photoshop 25.0 (Windows)")
    result = _analyze(data)
    assert "editing_software" in result.details["flags"]
    assert "Photoshop" in result.details["flag_evidence"]["editing_software"]
    assert result.score >= metadata.FLAG_POINTS["editing_software"]
    assert "editing software" in result.interpretation


def test_phone_firmware_versions_are_not_editors(root):
    data = _resave((root / "samples" / "iphone4.jpg").read_bytes(), Software="17.1.2")
    assert "editing_software" not in _analyze(data).details["flags"]


def test_modified_after_capture_is_a_date_inconsistency(root):
    data = _resave((root / "samples" / "iphone4.jpg").read_bytes(), DateTime="2024:05:01 10:00:00")
    result = _analyze(data)
    assert "date_inconsistent" in result.details["flags"]


def test_a_date_shift_by_whole_days_is_named_as_such(root):
    shifted = _resave((root / "samples" / "iphone4.jpg").read_bytes(), DateTime="2011:01:16 14:33:39")
    evidence = _analyze(shifted).details["flag_evidence"]["date_inconsistent"]
    assert "exactly 3 days" in evidence
    later = _resave((root / "samples" / "iphone4.jpg").read_bytes(), DateTime="2011:01:16 09:00:00")
    assert "exactly" not in _analyze(later).details["flag_evidence"]["date_inconsistent"]


def test_a_clock_set_back_is_not_an_edit(root):
    data = _resave((root / "samples" / "iphone4.jpg").read_bytes(), DateTime="2009:02:01 10:00:00")
    assert "date_inconsistent" not in _analyze(data).details["flags"]


def test_generator_names_must_be_whole_words(root):
    def flags(software: str) -> list[str]:
        return _analyze(_resave((root / "samples" / "iphone4.jpg").read_bytes(), Software=software)).details["flags"]

    assert "ai_generator_tag" in flags("Midjourney v6.1")
    assert "ai_generator_tag" in flags("DALL-E 3")
    assert "ai_generator_tag" not in flags("Gemini11 firmware 1.0")


def test_stripped_jpeg_is_metadata_missing(root):
    img = Image.open(root / "samples" / "iphone4.jpg")
    stripped = encode(img, "JPEG", quality=90)
    result = _analyze(stripped)
    assert result.details["flags"] == ["metadata_missing"]
    assert result.details["exif"] == {}


def test_png_without_exif_is_not_flagged_missing():
    assert _analyze(encode(natural_rgb(), "PNG"), "x.png").details["flags"] == []


def test_stable_diffusion_png_parameters_are_a_generator_tag():
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat, Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Model: sd15")
    result = _analyze(encode(natural_rgb(), "PNG", pnginfo=info), "x.png")
    assert "ai_generator_tag" in result.details["flags"]
    assert result.score == 0  # generator tags inform the AI assessment, not the tampering score


def test_xmp_history_is_flagged():
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="Adobe Photoshop 24.1">'
        b'<xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop 24.1"/>'
        b"</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    data = encode(natural_rgb(), "JPEG", quality=90, xmp=xmp)
    result = _analyze(data)
    assert {"xmp_edit_history", "editing_software"} <= set(result.details["flags"])


def test_exif_offsets_pointing_outside_the_block_are_not_fatal():
    good = encode(natural_rgb(), "JPEG", quality=90)
    # IFD0 says 2 entries; the second's value offset (and the next-IFD offset) point far past the block
    tiff = b"II*\x00\x08\x00\x00\x00" + b"\x02\x00"
    tiff += b"\x0f\x01\x02\x00\x06\x00\x00\x00\x00\x00\xff\x7f"  # Make, 6 chars at offset 0x7fff0000
    tiff += b"\x31\x01\x02\x00\x04\x00\x00\x00GIMP"  # Software inline
    tiff += b"\x00\x00\x00\x10"  # next IFD at 0x10000000
    app1 = b"Exif\x00\x00" + tiff
    broken = good[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + good[2:]
    result = _analyze(broken)
    assert result.status == "ok" and "Make" not in result.details["exif"]


def test_malformed_exif_is_reported_not_fatal():
    good = encode(natural_rgb(), "JPEG", quality=90)
    # an APP1 Exif segment whose TIFF header is garbage
    app1 = b"Exif\x00\x00" + b"II*\x00\xff\xff\xff\x7f" + b"\x13" * 40
    broken = good[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + good[2:]
    result = _analyze(broken)
    assert result.status == "ok"
    assert result.details["file"]["format"] == "JPEG"


@pytest.mark.parametrize(
    "flag",
    [
        "editing_software",
        "metadata_missing",
        "gps_present",
        "date_inconsistent",
        "xmp_edit_history",
        "ai_generator_tag",
        "c2pa_manifest",
        "thumbnail_mismatch",
    ],
)
def test_flags_are_the_stable_names_of_the_design(flag):
    assert flag in metadata.CHECKS_RUN
