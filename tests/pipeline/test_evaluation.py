"""`vforensics eval` on cases a user could make, the published layouts, and a peer's outputs."""

import csv
import io
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.evaluation.cases import case_id, prepare_published, read_cases

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them


def test_published_layouts_are_read_with_their_masks(bench, tmp_path):
    cases = read_cases(prepare_published(bench / "forgeries", tmp_path))
    by_set = {}
    for c in cases:
        by_set.setdefault(c.dataset, set()).add(c.label)
        assert c.path.is_file()
        assert (c.mask_path is not None) == c.manipulated
        if c.mask_path:
            assert c.mask_path.is_file()
    assert by_set["splicing-casia1-samples"] == {"original", "splice"}
    assert by_set["copymove-noso"] == {"original", "copy_move"}
    assert by_set["splicing-casia2-samples"] == {"splice", "copy_move"}
    assert case_id("data/copymove-noso/01_mod.png") == "data__copymove-noso__01_mod"


def _jpeg(arr: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="module")
def tiny_cases(root, tmp_path_factory):
    """Two untouched photos and two with a pasted square (exact masks)."""
    folder = tmp_path_factory.mktemp("cases")
    photo = np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))
    rows = []
    for i, (y, x) in enumerate([(100, 200), (500, 700)]):
        crop = photo[i * 40 : i * 40 + 900, i * 64 : i * 64 + 1200]
        (folder / f"orig{i}.jpg").write_bytes(_jpeg(crop))
        rows.append({"file": f"orig{i}.jpg", "class": "original"})
        edited = crop.copy()
        patch = cv2.resize(crop[300:500, 300:500], (250, 250))[:, :, ::-1]
        edited[y : y + 250, x : x + 250] = patch
        mask = np.zeros(crop.shape[:2], np.uint8)
        mask[y : y + 250, x : x + 250] = 255
        (folder / f"edit{i}.jpg").write_bytes(_jpeg(edited))
        cv2.imwrite(str(folder / f"edit{i}_gt.png"), mask)
        rows.append({"file": f"edit{i}.jpg", "class": "splice", "mask": f"edit{i}_gt.png"})
    with (folder / "cases.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "class", "mask", "source", "quality", "params"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _eval(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "vforensics.cli", "eval", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_eval_runs_the_pipeline_and_scores_it(tiny_cases, tmp_path):
    done = _eval(tiny_cases, "--out", tmp_path / "res", "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "res" / "results.json").read_text())
    d = results["datasets"][tiny_cases.name]
    assert d["cases"] == {"original": 2, "splice": 2}
    assert d["originals_flagged"]["n"] == 2
    splice = d["classes"]["splice"]
    assert set(splice["auc"]) >= {"overall", "ela", "noise", "metadata"}
    assert splice["auc"]["overall"]["n_pos"] == 2 and splice["auc"]["overall"]["n_neg"] == 2
    assert 0 <= splice["auc"]["overall"]["auc"] <= 1
    ela = splice["pixel"]["ela"]
    assert ela["n"] == 2 and ela["coverage"] == 1.0 and 0 <= ela["f1_best"] <= 1 and -1 <= ela["mcc_best"] <= 1
    share = 250 * 250 / (900 * 1200)
    assert splice["pixel"]["(all pixels)"]["f1_best"] == pytest.approx(2 * share / (1 + share), abs=1e-3)
    assert "image-level ROC AUC" in done.stdout
    assert (tmp_path / "res" / "plots" / f"{tiny_cases.name}-roc.png").is_file()
    for case in ("orig0", "edit1"):
        assert (tmp_path / "res" / "outputs" / case / "report.json").is_file()

    # a second evaluation reuses the outputs; a peer's outputs are scored beside ours
    peer = tmp_path / "peer"
    for i in range(2):
        for name, score in ((f"orig{i}", 10.0), (f"edit{i}", 90.0)):
            (peer / name).mkdir(parents=True)
            (peer / name / "scores.json").write_text(
                json.dumps({"M": {"score": score, "seconds": 1.0, "status": "ok"}})
            )
            perfect = cv2.imread(str(tiny_cases / f"{name}_gt.png"), cv2.IMREAD_GRAYSCALE) if "edit" in name else None
            cv2.imwrite(str(peer / name / "M.png"), perfect if perfect is not None else np.zeros((900, 1200), np.uint8))
    again = _eval(tiny_cases, "--out", tmp_path / "res", "--no-run", "--peer", f"toy={peer}", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    d = json.loads((tmp_path / "res" / "results.json").read_text())["datasets"][tiny_cases.name]
    assert d["classes"]["splice"]["auc"]["toy:M"]["auc"] == 1.0
    perfect = d["classes"]["splice"]["pixel"]["toy:M"]
    assert (perfect["f1_fixed"], perfect["mcc_fixed"], perfect["f1_best"]) == (1.0, 1.0, 1.0)

    # --rescore recomputes the combined map from the analyzers' maps, as the aggregate step does
    combined = tmp_path / "res" / "outputs" / "edit0" / "maps" / "combined.png"
    produced = cv2.imread(str(combined), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(combined), np.zeros_like(produced))
    rescored = _eval(tiny_cases, "--out", tmp_path / "res", "--no-run", "--rescore", cwd=tmp_path)
    assert rescored.returncode == 0, rescored.stderr
    assert np.array_equal(cv2.imread(str(combined), cv2.IMREAD_GRAYSCALE), produced)


def test_ai_vs_real_is_measured_by_the_ai_likelihood_of_the_reports(bench, tmp_path):
    ai, real = tmp_path / "ai", tmp_path / "real"
    for folder, source in ((ai, bench / "ai" / "ml72"), (real, bench / "real-web")):
        folder.mkdir()
        for path in sorted(source.glob("*.jpg"))[:2]:
            (folder / path.name).write_bytes(path.read_bytes())
    done = _eval("--ai", ai, "--real", real, "--out", tmp_path / "res", "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    d = json.loads((tmp_path / "res" / "results.json").read_text())["datasets"]["ai-vs-real"]
    assert d["cases"] == {"ai_generated": 2, "real": 2}
    assert d["classes"] == {}  # real web photos are not tampering negatives, AI images not forgeries
    assert (d["ai"]["n_pos"], d["ai"]["n_neg"]) == (2, 2) and 0.0 <= d["ai"]["auc"] <= 1.0
    assert "note" not in d["ai"]
    assert _eval("--ai", ai, cwd=tmp_path).returncode == 2
