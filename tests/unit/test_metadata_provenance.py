"""Provenance evidence: the EXIF thumbnail against the picture, and C2PA Content Credentials."""

import io

import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.metadata import _analyzer as metadata
from vforensics.analyzers.metadata import _content_credentials as content_credentials
from vforensics.evaluation.c2pa_assets import TRAINED_ALGORITHMIC_MEDIA, sign_jpeg
from vforensics.media.image import Media

from .images import encode, natural_rgb, with_exif_thumbnail

pytest.importorskip("c2pa")


def _analyze(data: bytes, name: str = "x.jpg"):
    return metadata.analyze(Media.from_bytes(data, name))


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))


def _camera_file(pixels: np.ndarray, thumbnail_of: np.ndarray) -> bytes:
    thumb = Image.fromarray(thumbnail_of).resize((160, 120), Image.Resampling.LANCZOS)
    return with_exif_thumbnail(encode(pixels, "JPEG", quality=92), encode(thumb, "JPEG", quality=85))


def test_untouched_photo_matches_its_thumbnail(photo):
    result = _analyze(_camera_file(photo, photo))
    t = result.details["thumbnail"]
    assert t["compared"] and t["correlation"] > 0.97 and not t["mismatch"]
    assert "thumbnail_mismatch" not in result.details["flags"]
    assert result.extra_maps["thumbnail_difference"].shape == (120, 160)


def test_pasted_region_after_the_thumbnail_was_written_is_found(photo):
    edited = photo.copy()
    edited[300:540, 420:760] = photo[600:840, 900:1240]  # 6.5% of the picture replaced
    result = _analyze(_camera_file(edited, photo))
    t = result.details["thumbnail"]
    assert "thumbnail_mismatch" in result.details["flags"] and t["mismatch"]
    x, y, w, h = t["largest_differing_region_box"]
    assert abs((x + w / 2) - 590) < 120 and abs((y + h / 2) - 420) < 120  # the region's centre
    diff = result.extra_maps["thumbnail_difference"]
    assert diff[40:65, 55:90].mean() > 3 * diff[80:, :40].mean()
    assert result.score >= metadata.FLAG_POINTS["thumbnail_mismatch"]


def test_crop_after_the_thumbnail_was_written_is_found(photo):
    cropped = np.ascontiguousarray(photo[:, 260:])  # 20% cut from the left, thumbnail kept
    result = _analyze(_camera_file(cropped, photo))
    assert "thumbnail_mismatch" in result.details["flags"]
    assert (
        "framing" in result.details["flag_evidence"]["thumbnail_mismatch"]
        or result.details["thumbnail"]["largest_differing_region_share"] > 0.004
    )


def test_blank_thumbnail_is_not_compared(photo):
    blank = encode(np.zeros((120, 160, 3), np.uint8), "JPEG", quality=85)
    d = _analyze(with_exif_thumbnail(encode(photo, "JPEG", quality=92), blank)).details
    assert d["thumbnail"] == {
        "present": True,
        "source": "EXIF IFD1 thumbnail",
        "compared": False,
        "reason": "blank or undecodable thumbnail",
    }
    assert "thumbnail_mismatch" not in d["flags"]


def test_signed_content_credentials_validate():
    data = sign_jpeg(encode(natural_rgb(), "JPEG", quality=90), generator="Newsroom Camera App")
    result = _analyze(data)
    c = result.details["c2pa"]
    assert c["present"] and c["validated"] and c["state"] == "Valid"
    assert c["signer"] == "VF Test Signer" and c["claim_generator"] == "Newsroom Camera App"
    assert c["actions"] == ["c2pa.created"] and c["digital_source_types"] == ["digitalCapture"]
    assert "c2pa_manifest" in result.details["flags"] and "ai_generator_tag" not in result.details["flags"]
    assert "Valid" in result.details["flag_evidence"]["c2pa_manifest"]
    assert result.score == sum(metadata.FLAG_POINTS[f] for f in result.details["flags"])  # a valid manifest adds 0
    assert "validates" in result.interpretation


def test_ai_source_type_in_content_credentials_is_a_generator_tag():
    data = sign_jpeg(encode(natural_rgb(), "JPEG", quality=90), source_type=TRAINED_ALGORITHMIC_MEDIA)
    d = _analyze(data).details
    assert "trainedAlgorithmicMedia" in d["flag_evidence"]["ai_generator_tag"]
    assert d["c2pa"]["state"] == "Valid"


def test_pixels_changed_after_signing_make_the_manifest_invalid():
    data = bytearray(sign_jpeg(encode(natural_rgb(), "JPEG", quality=90)))
    data[-300] ^= 0x5A  # inside the entropy-coded scan, covered by the data hash
    result = _analyze(bytes(data))
    c = result.details["c2pa"]
    assert c["state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in [f["code"] for f in c["failures"]]
    assert result.score >= metadata.C2PA_INVALID_POINTS and "does NOT validate" in result.interpretation


def test_altered_manifest_makes_the_signature_invalid():
    data = sign_jpeg(encode(natural_rgb(), "JPEG", quality=90), generator="Honest App")
    at = data.find(b"Honest App")
    forged = data[:at] + b"Forged App" + data[at + 10 :]
    c = content_credentials.read(forged, "image/jpeg")
    assert c["state"] == "Invalid" and "claimSignature.mismatch" in [f["code"] for f in c["failures"]]


def test_files_without_a_manifest_report_absence(root):
    assert content_credentials.read((root / "samples" / "iphone4.jpg").read_bytes(), "image/jpeg") == {"present": False}


def test_thumbnail_image_is_a_real_jpeg(photo):
    data = _camera_file(photo, photo)
    assert Image.open(io.BytesIO(data)).getexif()[0x010F] == "Canon"
