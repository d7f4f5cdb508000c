"""The exiftool_digest benchmark section: ExifTool's JPEGDigest read and scored by the fixed rule."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from vforensics.evaluation.benchmarks import exiftool_digest as peer
from vforensics.evaluation.benchmarks._section import Context

IJG = "Independent JPEG Group library (used by many applications), Quality 85"
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool is not installed")


@pytest.mark.parametrize(
    ("name", "kind", "make"),
    [
        (IJG, "software", ""),
        ("Adobe Photoshop, Quality 10", "software", ""),
        ("Apple QuickTime, Quality 512-563 (50-55%)", "software", ""),  # Apple makes phones too
        ("Canon Digital Photo Professional, Quality 7", "software", ""),  # a camera maker's program
        ("Nikon Capture NX, Quality 90", "software", ""),
        ("PENTAX PHOTO Laboratory, Best", "software", ""),
        ("Canon EOS 20D, Fine", "camera", "canon"),
        ("Pentax K10D (AH)", "camera", "ricoh"),  # normalize_make: Pentax belongs to Ricoh
        ("Konica/Minolta DYNAX 7D, Fine", "camera", "konica minolta"),
        ("Unknown (fdeb175d5accc34d0ec91a7fbe4d362a:221111)", "unknown", ""),
        ("No DQT defined", "unknown", ""),
        (None, "unknown", ""),
    ],
)
def test_digest_names_are_software_cameras_or_unknown(name, kind, make):
    assert peer.digest_kind(name) == (kind, make)


def test_rule_scores_software_and_foreign_cameras_1_unknown_half_own_camera_0():
    assert peer.rule_score(IJG, "Apple") == 1.0
    assert peer.rule_score("Pentax K10D (AH)", "SONY") == 1.0
    assert peer.rule_score("Pentax K10D (AH)", "PENTAX Corporation") == 0.0
    assert peer.rule_score("Panasonic DMC-FZ10, High", "Panasonic") == 0.0
    assert peer.rule_score("Panasonic DMC-FZ10, High", None) == 1.0  # a camera's tables, no make: a mismatch
    assert peer.rule_score("Unknown (abc:221111)", "Apple") == 0.5
    s = peer.scores({"JPEGDigest": IJG, "JPEGQualityEstimate": 85, "Make": "Apple"})
    assert (s["rule"], s["rule_q"], s["quality"]) == (1.0, 0.915, 0.15)
    assert peer.scores({})["rule"] == 0.5 and peer.scores({})["quality"] == 0.5


def test_make_groups_deal_makes_by_count_then_name_round_robin():
    makes = ["sony"] * 3 + ["nikon"] * 2 + ["apple", "casio", "hp", "jvc", "kodak"]
    assert peer.make_groups(makes) == {"sony": 0, "nikon": 1, "apple": 2, "casio": 3, "hp": 4, "jvc": 0, "kodak": 1}


def _resave(src: Path, dst: Path, quality: int) -> None:
    """What the synthetic `resave` cases are: Pillow (libjpeg) at another quality, EXIF kept."""
    with Image.open(src) as im:
        exif = im.info.get("exif", b"")
        im.convert("RGB").save(dst, "JPEG", quality=quality, exif=exif)


def _dqt_md5(data: bytes) -> str:
    """JPEGDigest's MD5 as docs/EXIFTOOL_JPEGDIGEST.md describes it: the DQT segment payloads by the
    index of their first table, joined by a zero byte."""
    segments: dict[int, bytes] = {}
    i = 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if data[i + 1] == 0xDB:
            payload = data[i + 4 : i + 2 + length]
            segments[payload[0] & 0x0F] = payload
        i += 2 + length
    return hashlib.md5(b"\0".join(segments[k] for k in sorted(segments))).hexdigest()


@needs_exiftool
def test_exiftool_output_is_parsed_and_scored_on_real_images(bench, tmp_path):
    camera = bench / "camera"
    files = {
        "own.jpg": camera / "mdx__Panasonic_FZ5.jpg",  # Panasonic's own tables, named as a Panasonic
        "ijg422.jpg": camera / "mdx__Sony_Cybershot_(8).jpg",  # IJG Q88 in one DQT segment, 4:2:2
        "unknown.jpg": camera / "mdx__Apple_iPhone_4.jpg",  # Apple's own tables, not in the list
    }
    for name, src in files.items():
        shutil.copyfile(src, tmp_path / name)
    _resave(camera / "mdx__Apple_iPhone_4.jpg", tmp_path / "resave.jpg", 85)
    (tmp_path / "cases.csv").write_text("file\n" + "\n".join([*files, "resave.jpg", "missing.jpg"]) + "\n")
    out = tmp_path / "tags.json"
    subprocess.run([sys.executable, peer.RUN_EXIFTOOL, tmp_path / "cases.csv", out], check=True)
    tags = json.loads(out.read_text())

    got = {f: peer.scores(t) for f, t in tags.items()}
    assert (got["own.jpg"]["kind"], got["own.jpg"]["digest_make"], got["own.jpg"]["rule"]) == ("camera", "panasonic", 0)
    assert got["ijg422.jpg"]["digest"] == "Pentax K10D (AH)" and got["ijg422.jpg"]["rule"] == 1.0
    assert got["ijg422.jpg"]["digest_key"].endswith(":211111")  # not found by MD5 alone
    assert got["unknown.jpg"]["digest"].startswith("Unknown (") and got["unknown.jpg"]["rule"] == 0.5
    assert got["resave.jpg"]["digest"] == IJG and got["resave.jpg"]["quality_estimate"] == 85
    assert got["resave.jpg"]["exif_make"] == "Apple" and got["resave.jpg"]["rule"] == 1.0
    assert got["missing.jpg"]["error"] == "no such file" and got["missing.jpg"]["rule"] == 0.5
    # the raw key is the MD5 of the DQT segments, with the subsampling only when that alone is unknown
    for name in ("resave.jpg", "ijg422.jpg", "unknown.jpg"):
        assert got[name]["digest_key"].split(":")[0] == _dqt_md5((tmp_path / name).read_bytes())
    assert ":" not in got["resave.jpg"]["digest_key"]


@pytest.mark.slow
@needs_exiftool
def test_section_scores_a_small_synthetic_set(bench, tmp_path):
    synth = tmp_path / "synth"
    (synth / "images").mkdir(parents=True)
    rows = []
    for src in ("mdx__Apple_iPhone_4.jpg", "mdx__Panasonic_FZ5.jpg"):
        shutil.copyfile(bench / "camera" / src, synth / "images" / f"o_{src}")
        _resave(bench / "camera" / src, synth / "images" / f"r_{src}", 80)
        rows += [f"images/o_{src},original,,{src},,", f"images/r_{src},resave,,{src},80,"]
    (synth / "cases.csv").write_text("file,class,mask,source,quality,params\n" + "\n".join(rows) + "\n")

    results = peer.run(Context(work=tmp_path / "work", bench=bench), synth=synth)
    assert results["exiftool"] and results["camera"]["n"] >= 90
    # re-saves named IJG (1) against an unknown (0.5) and an own-camera (0) original
    assert results["auc"]["rule"]["resave"] == {
        "pooled": 1.0, "groups": {"0": 1.0, "1": 1.0}, "mean": 1.0, "min": 1.0, "n_pos": 2, "n_neg": 2
    }  # fmt: skip
    assert results["cases"]["images/r_mdx__Panasonic_FZ5.jpg"]["synth_quality"] == "80"
    assert results["groups"] == {"0": ["apple"], "1": ["panasonic"], "2": [], "3": [], "4": []}
    text = peer.to_markdown(results)
    assert "| `resave` | 2 |" in text and "camera originals" in text
    assert peer.to_markdown({"exiftool": None}) == ""


def test_without_exiftool_the_section_does_nothing(tmp_path):
    assert peer.run(Context(work=tmp_path), skip_peers=True) == {"exiftool": None}
    assert peer.to_markdown({"exiftool": None}) == ""


def test_parsing_of_exiftool_long_json(tmp_path):
    sys.path.insert(0, str(peer.RUN_EXIFTOOL.parent))
    try:
        import run_exiftool  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    entry = json.load(
        io.StringIO(
            '{"JPEGDigest": {"desc": "JPEG Digest", "num": "ab:221111", "val": "Unknown (ab:221111)"},'
            ' "JPEGQualityEstimate": {"desc": "JPEG Quality Estimate", "val": 96},'
            ' "Software": {"desc": "Software", "val": "1.00"}}'
        ),
        parse_float=str,
    )
    assert run_exiftool._values(entry) == {
        "JPEGDigest": "Unknown (ab:221111)",
        "JPEGDigest#": "ab:221111",
        "JPEGQualityEstimate": 96,
        "Software": "1.00",
    }
