"""Run ExifTool (Phil Harvey; peer metadata tool) on every benchmark case in one batched call.

    python3 tools/peers/run_exiftool.py CASES_CSV OUT_JSON

Standard library only; needs ``exiftool`` on PATH (tools/peers/setup.sh installs Debian's
libimage-exiftool-perl). CASES_CSV has the header ``file,class,mask,source,quality,params``
(extra columns ignored), ``file`` relative to the CSV's folder. OUT_JSON is
``{file: {tag: value, ...}}`` keyed by the CSV's ``file``, with the tags ExifTool found among:

- ``JPEGQualityEstimate``: composite tag, an IJG-style quality (1-100) estimated from the JPEG
  quantization tables;
- ``JPEGDigest``: names the encoder whose quantization tables (and subsampling) the file uses,
  e.g. "Adobe Photoshop, Quality 8", or "Unknown (md5:subsampling)";
- ``JPEGDigest#``: the same tag unconverted, the key ExifTool looks up: the MD5 of the DQT
  tables, followed by ``:`` and the subsampling string of the frame header (e.g. ``221111``)
  unless the MD5 alone is in its list;
- ``YCbCrSubSampling``: the chroma subsampling of the frame header (File group, not EXIF's);
- ``Software``, ``Make``, ``Model``: as written in EXIF/XMP, always as JSON strings.

Both JPEG tags come out of ExifTool 12.57 when named, with no ``-api`` option. A file ExifTool
cannot read gets an ``Error`` (or ``Warning``) entry; a file missing from disk gets
``{"Error": "no such file"}``.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

TAGS = ["JPEGQualityEstimate", "JPEGDigest", "File:YCbCrSubSampling", "Software", "Make", "Model"]
TEXT_TAGS = {"Software", "Make", "Model"}
RAW_TAGS = {"JPEGDigest"}  # also kept unconverted, as "TAG#"


def _values(entry: dict) -> dict:
    """One file of ``exiftool -j -l`` (``{tag: {"desc", "val"[, "num"]}}``) as ``{tag: value}``."""
    out = {}
    for tag, item in entry.items():
        val = item.get("val") if isinstance(item, dict) else item
        out[tag] = str(val) if tag in TEXT_TAGS else val
        if tag in RAW_TAGS and isinstance(item, dict):
            out[f"{tag}#"] = item.get("num", val)  # no "num" when the value has no conversion
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    cases_csv, out_json = Path(argv[0]), Path(argv[1])
    base = cases_csv.resolve().parent
    with cases_csv.open(newline="", encoding="utf-8") as fh:
        files = list(dict.fromkeys(row["file"] for row in csv.DictReader(fh) if row.get("file")))

    result: dict[str, dict] = {f: {"Error": "no such file"} for f in files if not (base / f).is_file()}
    by_path = {str((base / f).resolve()): f for f in files if f not in result}
    if by_path:
        # One exiftool process for all files; paths go through an argument file (-@), so any
        # number of files and any characters in names work.
        with tempfile.NamedTemporaryFile("w", suffix=".args", encoding="utf-8", delete=False) as args:
            args.write("\n".join(by_path) + "\n")
        try:
            # -l: the converted and the raw value of each tag (the digest's MD5 is only in the raw one)
            cmd = ["exiftool", "-j", "-l", "-charset", "filename=utf8", *(f"-{t}" for t in TAGS), "-@", args.name]
            proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
        finally:
            Path(args.name).unlink()
        if not proc.stdout.strip():  # exit status 1 only means "some file failed"
            print(f"exiftool failed ({proc.returncode}): {proc.stderr.strip()}", file=sys.stderr)
            return 1
        # exiftool -j prints number-like text as JSON numbers (Software "1.00" -> 1.00): keep text.
        for entry in json.loads(proc.stdout, parse_float=str):
            path = str(Path(entry.pop("SourceFile")).resolve())
            result[by_path[path]] = _values(entry)

    out_json.parent.mkdir(parents=True, exist_ok=True)
    ordered = {f: result.get(f, {"Error": "not reported by exiftool"}) for f in files}
    out_json.write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"exiftool {len(files)} files -> {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
