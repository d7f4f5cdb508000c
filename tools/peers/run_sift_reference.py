"""Amerini-style SIFT copy-move reference (peer) on benchmark cases; one PNG map and a score per case.

Python re-implementation of I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo & G. Serra, "A
SIFT-Based Forensic Method for Copy-Move Attack Detection and Transformation Recovery", IEEE
Transactions on Information Forensics and Security 6(3), 2011, following the paper and the
authors' published MATLAB code (github.com/lambertoballan/sift-forensic: process_image.m,
match_features.m, ransacfithomography2.m). Runs inside .venv-peers (numpy, scipy, cv2, Pillow);
never imports our ``vforensics`` package.

    .venv-peers/bin/python tools/peers/run_sift_reference.py CASES_CSV OUT_DIR \
        [--timeout-s 300] [--limit N]

CASES_CSV has the header ``file,class,mask,source,quality,params`` (extra columns are ignored),
``file`` relative to the CSV's folder. For each case it writes ``OUT_DIR/<case_id>/SIFT.png``
and ``OUT_DIR/<case_id>/scores.json``::

    {"SIFT": {"score": float|null, "seconds": float, "status": "ok"|"error",
              "error": str|null, "map_scale": "absolute"}}

plus ``OUT_DIR/<case_id>/SIFT.details.json`` (keypoint, match and cluster counts; per forgery
cluster pair the match rows, distinct pairs, RANSAC inliers and the recovered affine transform).
``case_id`` is ``file`` with '/' replaced by '__' and the extension dropped. Cases whose
scores.json already holds SIFT are skipped (resume).

Method (parameters are the paper's / the authors' code defaults):
1. Grayscale with Pillow ``convert("L")`` in stored orientation (EXIF Orientation not applied);
   SIFT keypoints and descriptors with OpenCV ``SIFT_create()`` defaults (3 layers per octave,
   contrast threshold 0.04, edge threshold 10, sigma 1.6, image doubled for the first octave).
2. g2NN among all keypoints of the image: descriptors L2-normalised, distance = angle
   ``acos(d_i . d_j)`` (as in the authors' code); for each keypoint the sorted distances to all
   other keypoints d_1 <= d_2 <= ... are scanned while d_k / d_(k+1) < 0.5; the keypoints at
   d_1 .. d_k are its matches. Matches whose keypoints lie 10 px or less apart are dropped and
   duplicate (x1, y1, x2, y2) rows removed (authors' code). Matches are directed: a->b and b->a
   are two rows, as in the authors' code.
3. Agglomerative hierarchical clustering of the coordinates of all matched points (both ends):
   scipy ``linkage(..., "ward")``, flat clusters with the inconsistency criterion, cutoff
   Th = 2.2, depth 4 (MATLAB ``cluster(Z, 'cutoff', 2.2, 'depth', 4)``).
4. For every pair of distinct clusters, the matches linking them; a pair with more than 3 such
   match rows (authors' ``min_cluster_pts = 3``, ``size(z1,1) > min_cluster_pts``) goes to RANSAC
   for an affine transform (points normalised per side to centroid 0 and mean distance sqrt(2);
   3-point minimal samples, samples with collinear or coincident points rejected; inlier if the
   symmetric transfer error is below beta = 0.05; adaptive trial count for p = 0.99, at most 1000
   trials; numpy generator seeded with 0, so runs repeat exactly; final gold-standard affine
   fit on the inliers). A cluster pair for which RANSAC finds a transform is a forgery pair;
   the image is a forgery if there is at least one.

Outputs:
- Map (``absolute``): the filled convex hull of all matched points of each cluster that belongs
  to a forgery pair (a cluster of collinear points gives a line), 255 inside, 0 elsewhere, at the
  image's stored pixel size; all 0 if no forgery. Points, not regions, so it covers only the
  part of a copied region that carries matched keypoints.
- Score = number of distinct matched keypoint pairs (a->b and b->a counted once) linking the
  clusters of the forgery pairs; 0 if none. Unbounded, >= 3 for a detection.
- ``seconds``: wall time from opening the image to the finished map (not the PNG writing). For
  a timeout or crash: time until it was stopped. Each case runs in a forked child (crash or
  timeout recorded as ``status: "error"``, the run goes on). Single-threaded (OpenCV and
  OpenBLAS limited to one thread), so one run uses one core.

Deviations from the paper / authors' code:
- OpenCV SIFT instead of R. Hess's SIFT library (``siftfeat``), which the authors call without
  image doubling (``-d``) when the image is larger than 1000 px in either side; OpenCV always
  doubles, so large images give more (small-scale) keypoints and take longer.
- RANSAC estimates the affine transform of the paper with 3-point samples; the released code
  samples 4 points for a homography and refits an affine on the inliers.
- The map (the paper only gives matched points and the transform; the authors' later
  ``tampering_localization.m`` uses ZNCC after warping) is the convex-hull rendering above.
- Images whose g2NN yields more than 20000 matched points stop with an error (the clustering
  holds all pairwise distances: 1.6 GB at that size).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

# One thread per run: OpenBLAS reads these when numpy loads (OpenCV is set in the child).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


sys.path.insert(0, str(Path(__file__).resolve().parent))  # peer_common, beside this script
import numpy as np
from peer_common import case_id, read_cases, run_in_child  # noqa: E402

METHOD = "SIFT"
G2NN_RATIO = 0.5  # paper and match_features.m (dr2)
MIN_MATCH_DIST = 10.0  # px, match_features.m
LINKAGE = "ward"  # paper's choice; process_image.m default
CUTOFF = 2.2  # Th, inconsistency coefficient; process_image.m default
DEPTH = 4  # process_image.m: cluster(Z, 'cutoff', thc, 'depth', 4)
MIN_CLUSTER_PTS = 3  # process_image.m: a cluster pair needs more than this many match rows
RANSAC_T = 0.05  # beta: symmetric transfer error threshold on normalised points
RANSAC_P = 0.99
RANSAC_MAX_TRIALS = 1000
RANSAC_MAX_DATA_TRIALS = 100
MAX_POINTS = 20000  # matched points (2 per match row) the clustering accepts


# --- 1-2. SIFT and g2NN ------------------------------------------------------------------------


def g2nn_matches(pts: np.ndarray, desc: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Directed g2NN matches as unique rows (x1, y1, x2, y2), keypoints more than 10 px apart."""
    n = len(desc)
    if n < 3:  # the test needs a second neighbour
        return np.empty((0, 4))
    d = desc.astype(np.float64)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
    d32 = d.astype(np.float32)
    pairs: list[tuple[int, int]] = []
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows = np.arange(stop - start)
        sim = d32[start:stop] @ d32.T
        sim[rows, start + rows] = -np.inf  # not the keypoint itself
        # The two nearest neighbours decide whether the scan goes on at all (most rows stop).
        i1 = sim.argmax(axis=1)
        v1 = sim[rows, i1].copy()
        sim[rows, i1] = -np.inf
        i2 = sim.argmax(axis=1)
        sim[rows, i1] = v1
        own = d[start:stop]
        t1 = np.arccos(np.clip(np.einsum("ij,ij->i", own, d[i1]), -1.0, 1.0))
        t2 = np.arccos(np.clip(np.einsum("ij,ij->i", own, d[i2]), -1.0, 1.0))
        for r in np.flatnonzero(t1 < G2NN_RATIO * t2):
            i = start + int(r)
            for j in _g2nn_row(d, sim[r], i):
                pairs.append((i, j))
    if not pairs:
        return np.empty((0, 4))
    ij = np.asarray(pairs)
    a, b = pts[ij[:, 0]], pts[ij[:, 1]]
    keep = np.hypot(*(a - b).T) > MIN_MATCH_DIST
    return np.unique(np.hstack([a[keep], b[keep]]), axis=0)


def _g2nn_row(d: np.ndarray, sim_row: np.ndarray, i: int) -> np.ndarray:
    """Generalised 2NN scan for keypoint i: neighbours before the first ratio >= 0.5."""
    n_other = len(d) - 1
    k = min(64, n_other)
    while True:
        cand = np.argpartition(-sim_row, k - 1)[:k] if k < len(sim_row) else np.arange(len(sim_row))
        cand = cand[cand != i]
        ang = np.arccos(np.clip(d[cand] @ d[i], -1.0, 1.0))
        order = np.argsort(ang, kind="stable")
        cand, ang = cand[order], ang[order]
        m = 0
        while m + 1 < len(ang) and ang[m] < G2NN_RATIO * ang[m + 1]:
            m += 1
        if m + 1 < len(ang) or k >= n_other:
            return cand[:m]
        k = n_other  # every candidate passed: scan the whole row


# --- 4. RANSAC affine ----------------------------------------------------------------------------


def _normalise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Centroid to 0, mean distance sqrt(2) (Hartley); returns points and the 3x3 transform."""
    c = x.mean(axis=0)
    mean_dist = np.hypot(*(x - c).T).mean()
    if not mean_dist > 1e-9:
        return None
    s = np.sqrt(2) / mean_dist
    T = np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1]])
    return (x - c) * s, T


def _collinear(p: np.ndarray) -> bool:
    u, v = p[1] - p[0], p[2] - p[0]
    return abs(u[0] * v[1] - u[1] * v[0]) < 1e-9


def _affine_exact(x1: np.ndarray, x2: np.ndarray) -> np.ndarray | None:
    """3x3 affine A with x2 = A x1 from three point pairs."""
    src = np.hstack([x1, np.ones((3, 1))])
    try:
        sol = np.linalg.solve(src, x2)  # 3x2
    except np.linalg.LinAlgError:
        return None
    A = np.vstack([sol.T, [0, 0, 1]])
    return A if abs(np.linalg.det(A[:2, :2])) > 1e-12 else None


def _affine_gold(x1: np.ndarray, x2: np.ndarray) -> np.ndarray | None:
    """Gold-standard (ML) affine from n >= 3 pairs, Hartley & Zisserman alg. 4.7."""
    c1, c2 = x1.mean(axis=0), x2.mean(axis=0)
    _, _, vt = np.linalg.svd(np.hstack([x1 - c1, x2 - c2]))
    V = vt[:2].T  # 4x2: first two right singular vectors
    B, C = V[:2], V[2:]
    if abs(np.linalg.det(B)) < 1e-12:
        return None
    M = C @ np.linalg.inv(B)
    if abs(np.linalg.det(M)) < 1e-12:
        return None
    A = np.eye(3)
    A[:2, :2] = M
    A[:2, 2] = c2 - M @ c1
    return A


def _transfer_error(A: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Symmetric transfer error |x1 - A^-1 x2|^2 + |x2 - A x1|^2 (ransacfithomography2.m)."""
    Ai = np.linalg.inv(A)
    fwd = x1 @ A[:2, :2].T + A[:2, 2]
    back = x2 @ Ai[:2, :2].T + Ai[:2, 2]
    return ((x1 - back) ** 2).sum(axis=1) + ((x2 - fwd) ** 2).sum(axis=1)


def ransac_affine(z1: np.ndarray, z2: np.ndarray, rng: np.random.Generator):
    """Affine z1 -> z2 by RANSAC (P. Kovesi's ransac.m loop); (3x3 in pixels, inlier mask) or None."""
    n1, n2 = _normalise(z1), _normalise(z2)
    if n1 is None or n2 is None or len(z1) < 3:
        return None
    (x1, T1), (x2, T2) = n1, n2
    best, best_in, best_score = None, None, 0
    trials, needed = 0, 1.0
    while needed > trials:
        model = None
        for _ in range(RANSAC_MAX_DATA_TRIALS):
            ind = rng.choice(len(x1), 3, replace=False)
            if _collinear(x1[ind]) or _collinear(x2[ind]):
                continue
            model = _affine_exact(x1[ind], x2[ind])
            if model is not None:
                break
        if model is None:  # no non-degenerate sample
            break
        inl = _transfer_error(model, x1, x2) < RANSAC_T
        if inl.sum() > best_score:
            best, best_in, best_score = model, inl, int(inl.sum())
            no_outliers = min(max(1 - (best_score / len(x1)) ** 3, np.finfo(float).eps), 1 - np.finfo(float).eps)
            needed = np.log(1 - RANSAC_P) / np.log(no_outliers)
        trials += 1
        if trials > RANSAC_MAX_TRIALS:
            break
    if best is None:
        return None
    if best_score > 3:
        refit = _affine_gold(x1[best_in], x2[best_in])
        best = refit if refit is not None else best
    return np.linalg.inv(T2) @ best @ T1, best_in


# --- 3-4. clusters and forgery pairs ---------------------------------------------------------------


def detect(gray: np.ndarray) -> dict:
    """Run the whole method on an 8-bit grayscale image; returns map, score and details."""
    import cv2
    from scipy.cluster.hierarchy import fcluster, linkage

    h, w = gray.shape
    kps, desc = cv2.SIFT_create().detectAndCompute(gray, None)
    info: dict = {"keypoints": len(kps), "match_rows": 0, "clusters": 0, "forgery_pairs": []}
    out_map = np.zeros((h, w), np.uint8)
    if desc is None or len(kps) < 3:
        return {"map": out_map, "score": 0.0, "details": info}
    pts = np.array([kp.pt for kp in kps], dtype=np.float64)
    rows = g2nn_matches(pts, desc)
    info["match_rows"] = int(len(rows))
    if len(rows) == 0:
        return {"map": out_map, "score": 0.0, "details": info}
    if 2 * len(rows) > MAX_POINTS:
        raise RuntimeError(f"{2 * len(rows)} matched points, more than {MAX_POINTS} for the clustering")
    p1, p2 = rows[:, :2], rows[:, 2:]
    points = np.vstack([p1, p2])
    c = fcluster(linkage(points, method=LINKAGE), t=CUTOFF, criterion="inconsistent", depth=DEPTH)
    c1, c2 = c[: len(rows)], c[len(rows) :]
    info["clusters"] = int(c.max())
    rng = np.random.default_rng(0)
    linking: set[tuple] = set()
    forged: set[int] = set()
    lo, hi = np.minimum(c1, c2), np.maximum(c1, c2)
    for k, j in sorted({(int(a), int(b)) for a, b in zip(lo, hi, strict=True) if a != b}):
        fwd, rev = (c1 == k) & (c2 == j), (c1 == j) & (c2 == k)
        z1 = np.vstack([p1[fwd], p2[rev]])  # ends in cluster k
        z2 = np.vstack([p2[fwd], p1[rev]])  # ends in cluster j
        if len(z1) <= MIN_CLUSTER_PTS:
            continue
        fit = ransac_affine(z1, z2, rng)
        if fit is None:
            continue
        A, inl = fit
        distinct = {tuple(sorted((tuple(a), tuple(b)))) for a, b in zip(z1, z2, strict=True)}
        linking |= distinct
        forged |= {k, j}
        lin = A[:2, :2]
        info["forgery_pairs"].append(
            {
                "clusters": [k, j],
                "match_rows": int(len(z1)),
                "pairs": len(distinct),
                "inliers": int(inl.sum()),
                "affine": np.round(A[:2], 6).tolist(),  # [x2, y2] = affine @ [x1, y1, 1]
                "rotation_deg": round(float(np.degrees(np.arctan2(lin[1, 0], lin[0, 0]))), 3),
                "scale": round(float(np.sqrt(abs(np.linalg.det(lin)))), 4),
                "centre_1": np.round(z1.mean(axis=0), 1).tolist(),
                "centre_2": np.round(z2.mean(axis=0), 1).tolist(),
            }
        )
    for k in sorted(forged):  # map: convex hull of every matched point of each forged cluster
        hull = cv2.convexHull(np.round(points[c == k]).astype(np.int32))
        cv2.fillConvexPoly(out_map, hull, 255)
    info["forged_clusters"] = len(forged)
    return {"map": out_map, "score": float(len(linking)), "details": info}


# --- runner --------------------------------------------------------------------------------------


def _child(image: str, png: str, conn) -> None:
    """Run the detector in a forked process and send back a small result dict."""
    warnings.filterwarnings("ignore")
    out: dict = {}
    try:
        import cv2
        from PIL import Image

        cv2.setNumThreads(1)
        t0 = time.perf_counter()
        with Image.open(image) as im:  # stored orientation: EXIF Orientation is not applied
            gray = np.asarray(im.convert("L"))
        res = detect(gray)
        out["seconds"] = time.perf_counter() - t0
        if not cv2.imwrite(png, res["map"]):
            raise RuntimeError(f"could not write {png}")
        out.update(status="ok", score=res["score"], details=res["details"] | {"size": [gray.shape[1], gray.shape[0]]})
    except Exception as exc:  # recorded, never raised
        out.update(status="error", error=f"{type(exc).__name__}: {exc}")
    conn.send(out)
    conn.close()


def run_case(image: Path, png: Path, timeout_s: float) -> tuple[dict, dict | None]:
    """The detector on one image in a child process; returns the scores.json entry and details."""
    res, failure, wall = run_in_child(_child, (str(image.resolve()), str(png.resolve())), timeout_s)
    entry = {"score": None, "seconds": round(wall, 3), "status": "error", "error": failure, "map_scale": "absolute"}
    if res is None:
        return entry, None
    if res["status"] == "ok":
        entry.update(score=res["score"], seconds=round(res["seconds"], 3), status="ok")
        return entry, res["details"]
    entry.update(error=res["error"], seconds=round(res.get("seconds", wall), 3))
    return entry, None


def _write_json(path: Path, data) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases_csv", type=Path, metavar="CASES_CSV")
    ap.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    ap.add_argument("--timeout-s", type=float, default=300.0, help="per image (default 300)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N cases")
    args = ap.parse_args(argv)

    cases = read_cases(args.cases_csv)[: args.limit]
    base = args.cases_csv.resolve().parent
    # Import once here; forked children inherit the modules, so timings exclude imports.
    import cv2  # noqa: F401
    import PIL.Image  # noqa: F401
    import scipy.cluster.hierarchy  # noqa: F401

    n_run = 0
    for i, case in enumerate(cases, 1):
        cid = case_id(case["file"])
        case_dir = args.out_dir / cid
        scores_path = case_dir / "scores.json"
        scores = json.loads(scores_path.read_text()) if scores_path.exists() else {}
        if METHOD in scores:
            print(f"[{i}/{len(cases)}] {cid}: done already", flush=True)
            continue
        image = base / case["file"]
        case_dir.mkdir(parents=True, exist_ok=True)
        details = None
        if image.is_file():
            entry, details = run_case(image, case_dir / f"{METHOD}.png", args.timeout_s)
        else:
            entry = {
                "score": None,
                "seconds": 0.0,
                "status": "error",
                "error": f"no such file: {image}",
                "map_scale": "absolute",
            }
        if details is not None:
            _write_json(case_dir / f"{METHOD}.details.json", details)
        scores[METHOD] = entry
        _write_json(scores_path, scores)
        n_run += 1
        if entry["status"] == "ok":
            info = details or {}
            detail = (
                f"score={entry['score']:g} keypoints={info.get('keypoints')} match_rows={info.get('match_rows')}"
                f" clusters={info.get('clusters')} forgery_pairs={len(info.get('forgery_pairs', []))}"
            )
        else:
            detail = entry["error"]
        print(f"[{i}/{len(cases)}] {cid} {METHOD}: {entry['status']} {entry['seconds']:.2f}s {detail}", flush=True)
    print(f"done: {len(cases)} cases, {n_run} run, output in {args.out_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
