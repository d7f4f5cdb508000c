"""Run pyIFD (peer image-forensics toolbox) on benchmark cases; one PNG map and a score per method.

Runs inside .venv-peers (see tools/peers/setup.sh); uses only the standard library, numpy and
what pyIFD itself needs (cv2, Pillow), never our ``vforensics`` package.

    .venv-peers/bin/python tools/peers/run_pyifd.py CASES_CSV OUT_DIR \
        [--methods ADQ2,NOI1,CAGI,ELA,BLK,CFA1] [--timeout-s 120] [--limit N]

CASES_CSV has the header ``file,class,mask,source,quality,params`` (extra columns are ignored),
``file`` relative to the CSV's folder. For each case and method it writes
``OUT_DIR/<case_id>/<METHOD>.png`` and ``OUT_DIR/<case_id>/scores.json``::

    {"METHOD": {"score": float|null, "seconds": float, "status": "ok"|"error",
                "error": str|null, "map_scale": "absolute"|"per-image"}}

``case_id`` is ``file`` with '/' replaced by '__' and the extension dropped. Cases whose
scores.json already holds every requested method are skipped (resume); a partial one gets the
missing methods added.

Maps: 8-bit grayscale PNG at the image's stored pixel size (EXIF Orientation not applied, as in
vforensics), 255 = most suspicious; block maps are enlarged with nearest-neighbour.

- ``absolute`` methods keep the method's own scale: the tampering probabilities of ADQ1, ADQ2 and
  CFA1 map [0, 1] to [0, 255]; ELA and NOI4 are already 0-255 display residuals (pyIFD's
  multipliers 15 and 10), clipped at 255. Score = 99th percentile of the map on that scale / 255,
  i.e. in [0, 1], comparable across images.
- ``per-image`` methods have no common scale: the map is clipped to its 1st-99th percentiles and
  min-max stretched to 0-255. Score = robust outlier score of the raw map,
  (p99 - median) / (1.4826 * MAD) (falls back to the standard deviation if MAD is 0; 0 for a flat
  map): how far the top 1 % stands out from the bulk; unbounded, >= 0 in practice.

``seconds`` is the wall time of the pyIFD call alone (not import, normalising or PNG writing);
for a timeout or crash it is the time until the run was stopped. Each method runs in a forked
child process (a crash or timeout is recorded and the run goes on), in its own temporary
working directory (pyIFD ELA writes tmpResave.jpg to the current directory).

Work-arounds, all in this runner (pyIFD's files are untouched):
- pyIFD's JPEG methods (ADQ1/2/3, DCT, NADQ) only take a path ending in ".jpg"; the child links
  the input as ``input.jpg`` when the file starts with a JPEG SOI marker.
- pyIFD reads pixels with ``cv2.imread``, which applies EXIF Orientation, while jpegio reads
  coefficients in stored order; the child makes ``cv2.imread`` default to
  IMREAD_IGNORE_ORIENTATION so that every map is in the stored orientation.
- NOI2 uses a random orthonormal filter bank from numpy's global generator; the child seeds it
  with 0, so runs are repeatable.
- pyIFD ADQ1's detectDQ returns [map, features, coefficients]; the coefficient array points into
  freed jpegio memory (touching it segfaults), so only the map is read.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # peer_common, beside this script
import numpy as np
from peer_common import case_id, read_cases, run_in_child  # noqa: E402

DEFAULT_METHODS = "ADQ2,NOI1,CAGI,ELA,BLK,CFA1"


def _first(r):
    return r[0]


def _neg(r):
    return -np.asarray(r, dtype=np.float64)


# name -> (pyIFD module, function, output -> 2-D map with high = suspicious, scale).
# Papers as cited in pyIFD's module docstrings; what the map holds after the colon.
METHODS = {
    # Lin, He, Tang & Tang, Pattern Recognition 42(11), 2009: P(tampered) per 8x8 block
    "ADQ1": ("ADQ1", "detectDQ", _first, "absolute"),
    # Bianchi, De Rosa & Piva, ICASSP 2011: P(tampered) per 8x8 block
    "ADQ2": ("ADQ2", "getJmap", _first, "absolute"),
    # Amerini, Becarelli, Caldelli & Del Mastio, WIFS 2014: SVM decision per 8-px step
    "ADQ3": ("ADQ3", "BenfordDQ", None, "per-image"),
    # Li, Yuan & Yu, Signal Processing 89(9), 2009: block-artifact-grid value per 8x8 block
    "BLK": ("BLK", "GetBlockGrid", _first, "per-image"),
    # Iakovidou, Zampoglou, Papadopoulos & Kompatsiaris, JVCIR 54, 2018: grid-inconsistency map
    "CAGI": ("CAGI", "CAGI", _first, "per-image"),
    # Ferrara, Bianchi, De Rosa & Piva, IEEE TIFS 7(5), 2012: P(no CFA traces) per 8x8 block
    "CFA1": ("CFA1", "CFA1", None, "absolute"),
    # Dirik & Memon, ICIP 2009: CFA interpolation-error share per 16x16 block
    "CFA2": ("CFA2", "CFA2", None, "per-image"),
    # Ye, Sun & Chang, ICME 2007: blocking-artifact measure per 8x8 block (pyIFD casts it to uint8)
    "DCT": ("DCT", "DCT", None, "per-image"),
    # Krawetz, "A Picture's Worth", 2007: 15 x |image - image resaved at quality 90|
    "ELA": ("ELA", "ELA", None, "absolute"),
    # Bianchi & Piva, IEEE TIFS 7(3), 2012: minus the log-likelihood of double compression
    "NADQ": ("NADQ", "NADQ", _neg, "per-image"),
    # Mahdian & Saic, Image and Vision Computing 27(10), 2009: wavelet noise sigma per 16-px cell
    "NOI1": ("NOI1", "GetNoiseMap", None, "per-image"),
    # Lyu, Pan & Zhang, IJCV 110(2), 2014: local noise variance
    "NOI2": ("NOI2", "GetNoiseMaps", None, "per-image"),
    # 29a.ch noise analysis, 2015: 10 x |image - 3x3 median|
    "NOI4": ("NOI4", "MedFiltForensics", None, "absolute"),
    # Zeng, Zhan, Kang & Lin, Multimedia Tools and Applications 76(4), 2017: PCA noise level
    "NOI5": ("NOI5", "PCANoise", _first, "per-image"),
}
# Absolute maps that are 0-255 display values rather than probabilities.
_DISPLAY_255 = {"ELA", "NOI4"}


def is_jpeg(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\xff\xd8"


def to_unit(method: str, raw: np.ndarray) -> np.ndarray:
    """Map to [0, 1] by the method's rule (module docstring); NaN becomes 0."""
    raw = np.where(np.isfinite(raw), raw, np.nan)
    if METHODS[method][3] == "absolute":
        unit = raw / 255.0 if method in _DISPLAY_255 else raw
    else:
        lo, hi = np.nanpercentile(raw, [1, 99])
        unit = (raw - lo) / (hi - lo) if hi > lo else np.zeros_like(raw)
    return np.nan_to_num(np.clip(unit, 0.0, 1.0), nan=0.0)


def score(method: str, raw: np.ndarray, unit: np.ndarray) -> float:
    """Image-level score by the method's rule (module docstring)."""
    if METHODS[method][3] == "absolute":
        return float(np.percentile(unit, 99))
    v = raw[np.isfinite(raw)]
    if v.size == 0:
        return 0.0
    med = np.median(v)
    spread = 1.4826 * np.median(np.abs(v - med)) or float(np.std(v))
    return float((np.percentile(v, 99) - med) / spread) if spread > 0 else 0.0


def _child(method: str, image: str, png: str, conn) -> None:
    """Run one method in a forked process and send back a small result dict."""
    warnings.filterwarnings("ignore")
    np.seterr(all="ignore")
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="pyifd-") as tmp, contextlib.redirect_stdout(io.StringIO()) as said:
        try:
            import cv2
            from PIL import Image

            os.chdir(tmp)
            link = os.path.join(tmp, "input.jpg" if is_jpeg(Path(image)) else "input" + Path(image).suffix)
            os.symlink(image, link)
            orig_imread = cv2.imread
            cv2.imread = lambda p, flags=cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION: orig_imread(p, flags)
            with Image.open(image) as im:
                width, height = im.size  # stored size, EXIF Orientation not applied

            module, func, extract, _ = METHODS[method]
            fn = getattr(__import__("pyIFD." + module, fromlist=[func]), func)
            np.random.seed(0)  # NOI2's 'rand' filter bank draws from numpy's global generator
            t0 = time.perf_counter()
            result = fn(link)
            out["seconds"] = time.perf_counter() - t0
            if result is None or (isinstance(result, (int, float)) and not isinstance(result, bool)):
                msg = said.getvalue().strip() or "no map (JPEG-only method, or image too small)"
                raise RuntimeError(f"pyIFD returned {result!r}: {msg}")
            raw = np.asarray(extract(result) if extract else result, dtype=np.float64)
            if raw.ndim != 2 or raw.size == 0:
                raise RuntimeError(f"unexpected map shape {raw.shape}")
            unit = to_unit(method, raw)
            gray = np.round(unit * 255).astype(np.uint8)
            if gray.shape != (height, width):
                gray = cv2.resize(gray, (width, height), interpolation=cv2.INTER_NEAREST)
            if not cv2.imwrite(png, gray):
                raise RuntimeError(f"could not write {png}")
            out.update(status="ok", score=score(method, raw, unit))
        except Exception as exc:  # recorded, never raised
            out.update(status="error", error=f"{type(exc).__name__}: {exc}")
    conn.send(out)
    conn.close()


def run_method(method: str, image: Path, png: Path, timeout_s: float) -> dict:
    """One method on one image in a child process; returns the scores.json entry."""
    res, failure, wall = run_in_child(_child, (method, str(image.resolve()), str(png.resolve())), timeout_s)
    entry = {
        "score": None,
        "seconds": round(wall, 3),
        "status": "error",
        "error": failure,
        "map_scale": METHODS[method][3],
    }
    if res is None:
        return entry
    if res["status"] == "ok":
        entry.update(score=round(res["score"], 6), seconds=round(res["seconds"], 3), status="ok")
    else:
        entry.update(error=res["error"], seconds=round(res.get("seconds", wall), 3))
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases_csv", type=Path, metavar="CASES_CSV")
    ap.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    ap.add_argument(
        "--methods",
        default=DEFAULT_METHODS,
        help=f"comma-separated, default {DEFAULT_METHODS}; known: {','.join(METHODS)}",
    )
    ap.add_argument("--timeout-s", type=float, default=120.0, help="per method and image (default 120)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N cases")
    args = ap.parse_args(argv)

    methods = [m.strip().upper() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        ap.error(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    cases = read_cases(args.cases_csv)[: args.limit]
    base = args.cases_csv.resolve().parent
    # Import pyIFD once here; forked children inherit it, so per-method timings exclude imports.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in methods:
            __import__("pyIFD." + METHODS[m][0])

    n_run = 0
    for i, case in enumerate(cases, 1):
        cid = case_id(case["file"])
        case_dir = args.out_dir / cid
        scores_path = case_dir / "scores.json"
        scores = json.loads(scores_path.read_text()) if scores_path.exists() else {}
        todo = [m for m in methods if m not in scores]
        if not todo:
            print(f"[{i}/{len(cases)}] {cid}: done already", flush=True)
            continue
        image = base / case["file"]
        case_dir.mkdir(parents=True, exist_ok=True)
        for m in todo:
            if image.is_file():
                entry = run_method(m, image, case_dir / f"{m}.png", args.timeout_s)
            else:
                entry = {
                    "score": None,
                    "seconds": 0.0,
                    "status": "error",
                    "error": f"no such file: {image}",
                    "map_scale": METHODS[m][3],
                }
            scores[m] = entry
            tmp = scores_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(scores, indent=1, sort_keys=True) + "\n")
            tmp.replace(scores_path)  # after every method, so an interrupted run resumes
            n_run += 1
            detail = f"score={entry['score']:.4g}" if entry["status"] == "ok" else entry["error"]
            print(f"[{i}/{len(cases)}] {cid} {m}: {entry['status']} {entry['seconds']:.2f}s {detail}", flush=True)
    print(f"done: {len(cases)} cases, {n_run} method runs, output in {args.out_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
