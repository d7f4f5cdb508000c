"""Regenerate the JPEG quantization-table database of the ``jpeg`` analyzer.

Writes layers/vforensics/vforensics/media/data/jpeg_tables.json from

- the IJG (libjpeg) tables at qualities 1-100, colour (luma + chroma) and grayscale: what
  libjpeg, libjpeg-turbo and everything built on them write (Pillow, OpenCV, GIMP,
  ImageMagick, most web software);
- the camera originals of ../shared/bench/camera (MANIFEST.csv gives make and model):
  one entry per distinct (tables, make, model).

Usage: .venv/bin/python tools/build_jpeg_table_db.py [--camera DIR] [--out FILE]

The output is deterministic (sorted, no timestamps), so a re-run on the same inputs gives
the same bytes. Camera entries that are exactly IJG tables are kept with their
``ijg_quality``: many cameras (Sony, Nikon compacts, HTC ...) use the IJG scaling.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "vforensics"))

from vforensics.media.jpeg_tables import (  # noqa: E402
    estimate_quality,
    ijg_quality_of,
    ijg_tables_for,
    tables_hash,
)

DEFAULT_CAMERA = ROOT.parent / "shared" / "bench" / "camera"
DEFAULT_OUT = ROOT / "layers" / "vforensics" / "vforensics" / "media" / "data" / "jpeg_tables.json"
IJG_SOFTWARE = "IJG libjpeg / libjpeg-turbo (Pillow, OpenCV, GIMP, ImageMagick, most web software)"

DESCRIPTION = (
    "Quantization-table fingerprints for the jpeg analyzer (vforensics.media.jpeg_tables). "
    "hash = first 16 hex digits of SHA-1 over the ASCII prefix '<number of tables>:' followed by each "
    "table (in table-id order) as 64 big-endian uint16 values in natural (row-major) order, i.e. "
    "jpeg_tables.tables_hash(Image.quantization). kind = 'ijg' (libjpeg quality scaling of the ITU-T T.81 "
    "Annex K tables) or 'camera' (seen in a camera-original file). ijg_quality is set when the tables are "
    "exactly IJG tables; luma_quality/chroma_quality are the nearest IJG qualities. The camera part is "
    "small (one benchmark's originals): 'unknown' tables are common and mean nothing by themselves. "
    "Regenerate with tools/build_jpeg_table_db.py."
)


def ijg_entries() -> list[dict]:
    entries = []
    for n_tables, label in ((2, "colour"), (1, "grayscale")):
        for q in range(1, 101):
            entries.append(
                {
                    "hash": tables_hash(ijg_tables_for(q, n_tables)),
                    "kind": "ijg",
                    "software": IJG_SOFTWARE,
                    "ijg_quality": q,
                    "components": label,
                    "source": "computed: libjpeg jpeg_quality_scaling of ITU-T T.81 Annex K tables",
                }
            )
    return entries


def camera_entries(camera_dir: Path) -> list[dict]:
    rows = list(csv.DictReader((camera_dir / "MANIFEST.csv").open(encoding="utf-8")))
    seen: dict[tuple[str, str, str], dict] = {}
    for row in rows:
        path = camera_dir / row["file"]
        if not path.is_file():
            continue
        try:
            with Image.open(path) as img:
                if img.format != "JPEG":
                    continue
                quantization = {k: list(v) for k, v in img.quantization.items()}
        except OSError:
            continue
        make, model = row.get("make", "").strip(), row.get("model", "").strip()
        if not make:
            continue
        digest = tables_hash(quantization)
        key = (digest, make, model)
        if key in seen:
            seen[key]["files"].append(row["file"])
            continue
        keys = sorted(quantization)
        luma = estimate_quality(quantization[keys[0]])
        chroma = estimate_quality(quantization[keys[1]], chroma=True) if len(keys) > 1 else None
        seen[key] = {
            "hash": digest,
            "kind": "camera",
            "make": make,
            "model": model,
            "software": row.get("software", "").strip(),
            "ijg_quality": ijg_quality_of(quantization),
            "luma_quality": luma.quality,
            "chroma_quality": chroma.quality if chroma else None,
            "tables": len(keys),
            "source": f"{row.get('source_repo', '').strip()}: {row.get('source_path', '').strip()}",
            "files": [row["file"]],
        }
    return sorted(seen.values(), key=lambda e: (e["make"].lower(), e["model"].lower(), e["hash"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camera", type=Path, default=DEFAULT_CAMERA, help="folder with MANIFEST.csv and JPEGs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    cameras = camera_entries(args.camera) if (args.camera / "MANIFEST.csv").is_file() else []
    if not cameras:
        print(f"warning: no camera originals under {args.camera}; writing IJG entries only", file=sys.stderr)
    db = {
        "version": 1,
        "description": DESCRIPTION,
        "sources": [
            "IJG libjpeg jcparam.c (jpeg_quality_scaling, std_luminance_quant_tbl, std_chrominance_quant_tbl)",
            "camera originals: ../shared/bench/camera (metadata-extractor-images, exif-samples), see MANIFEST.csv",
        ],
        "entries": ijg_entries() + cameras,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(db, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    n_cam_tables = len({e["hash"] for e in cameras})
    print(f"wrote {args.out}: {len(db['entries'])} entries ({len(cameras)} camera, {n_cam_tables} distinct tables)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
