"""Benchmark of the AI-image detector by generator family: held-out families, false alarms, robustness, speed.

    .venv/bin/python -m vforensics.evaluation.benchmarks.ai_model [--write FILE.md] [--json FILE.json]

Two figures per AI family (``vforensics.evaluation.ai_data`` lists the families and splits):

- **left out**: the AUC of the network that ``make train-model`` trained without that family,
  on every image of the family against the real test photos (from the model card: the folds
  are trained there, exactly as the final model). This is the number that predicts the next,
  unknown generator;
- **in distribution**: the shipped model through the ``ai_model`` analyzer exactly as the
  pipeline runs it (Media from the file's bytes; the 512 px tiles of the sd15 grids as lossless
  PNG) on the family's test split, never trained on, against the real test photos.

Real test photos called Likely/Very Likely AI are counted per source, with two more sets the
detector never saw (CASIA and NoSo originals). Robustness rows put the test images of both
classes alike through a 50% downscale, a JPEG q70 and a WebP q80 save, and a 256-colour
dithered palette (as most GPT-4o PNGs of the data were stored). The first spec's
threshold rules (``ai_frequency``'s ``spec_rules``) are scored on the same images as the
baseline. The model is timed on one core. Needs the gathered sources (``make gather-ai``);
without them only the bench families are measured, and the table says so.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers.ai import frequency as ai_frequency
from vforensics.analyzers.ai import model as ai_model
from vforensics.analyzers.ai import normalise
from vforensics.analyzers.ai.bands import CALLED_AI
from vforensics.evaluation.ai_data import (
    BENCH,
    DATA_LIST,
    available,
    load_rgb,
    media_of,
    read_data_list,
    sources_available,
)
from vforensics.evaluation.benchmarks._section import REPO, Context, section_main
from vforensics.evaluation.metrics import roc_auc
from vforensics.media.image import Media

NAME = "ai-model"
ISOLATED = True  # times the model, and sets VF_ONNX_THREADS

LIKELY_AI = CALLED_AI  # "Likely AI" and "Very Likely AI"
#: More real photos the detector never saw (published forgery sets' untouched images).
EXTRA_REAL = {
    "CASIA v1 authentic (384x256 PNG, downscaled)": ("forgeries", "*-casia1-samples/authentic/*"),
    "NoSo originals (1024x768 PNG)": ("forgeries", "copymove-noso/[0-9][0-9].png"),
}
LATENCY_IMAGE = BENCH / "camera" / "mdx__Nikon_D90.jpg"
#: The post-processing of the robustness rows, applied to both classes alike.
VARIANTS = ("resized x0.5", "JPEG q70", "WebP q80", "palette 256")


def _encode(rgb: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **options)
    return buf.getvalue()


def variant(rgb: np.ndarray, name: str) -> Media | None:
    if name == "resized x0.5":
        h, w = rgb.shape[:2]
        if min(h, w) // 2 < 128:
            return None
        half = np.asarray(Image.fromarray(rgb).resize((w // 2, h // 2), Image.Resampling.LANCZOS))
        return Media.from_bytes(_encode(half, "PNG"), "half.png")
    if name == "palette 256":  # as most GPT-4o PNGs of the data were stored: 256 colours, dithered
        quantised = Image.fromarray(rgb).quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
        buf = io.BytesIO()
        quantised.save(buf, "PNG")
        return Media.from_bytes(buf.getvalue(), "palette.png")
    if name == "JPEG q70":
        return Media.from_bytes(_encode(rgb, "JPEG", quality=70), "q70.jpg")
    return Media.from_bytes(_encode(rgb, "WEBP", quality=80), "q80.webp")


SKIPPED: list[str] = []


def score(media: Media, features: dict[str, float] | None = None) -> float | None:
    """The detector's likelihood; ``features`` receives its activation statistics when given."""
    result = ai_model.analyze(media)
    if result.status != "ok":
        SKIPPED.append(f"{media.filename} ({result.interpretation})")
        return None
    assert result.score is not None  # the detector scores every image it analyses
    if features is not None:
        for stage, stats in result.details.get("network_features", {}).items():
            features.update({f"{stage}.{k}": float(v) for k, v in stats.items() if k != "channels"})
    return float(result.score)


def spec_rules_score(media: Media) -> float | None:
    result = ai_frequency.analyze(media)
    return None if result.status != "ok" else float(result.details["spec_rules"]["ai_generation_score"])


def evaluate(rows: list[dict]) -> dict[str, dict[str, list[float]]]:
    """Per test image's family: the detector's likelihood, the spec rules' score, and each variant's likelihood."""
    out: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        media = media_of(row)
        stats: dict[str, float] = {}
        if (value := score(media, stats)) is None:
            continue
        fam = out.setdefault(row["family"], {})
        fam.setdefault("detector", []).append(value)
        for name, stat in stats.items():
            fam.setdefault(f"feature:{name}", []).append(stat)
        fam.setdefault("spec_rules", []).append(spec_rules_score(media) or 0.0)
        for name in VARIANTS:
            if (other := variant(media.rgb, name)) is not None and (changed := score(other)) is not None:
                fam.setdefault(name, []).append(changed)
    return out


def extra_real() -> dict[str, list[float]]:
    out = {}
    for label, (folder, pattern) in EXTRA_REAL.items():
        values = [score(Media.from_bytes(p.read_bytes(), p.name)) for p in sorted((BENCH / folder).glob(pattern))]
        out[label] = [v for v in values if v is not None]
    return out


def _auc(pos: list[float], neg: list[float]) -> str:
    value = roc_auc(pos, neg)
    return "n/a" if value is None else f"{value:.3f}"


def _rate(values: list[float]) -> str:
    n = sum(v >= LIKELY_AI for v in values)
    return f"{n}/{len(values)} ({100 * n / max(1, len(values)):.1f}%)"


def latency(repeats: int = 15) -> dict[str, float]:
    """Milliseconds on one thread: model only (session.run on the crops), and the whole analyzer."""
    os.environ["VF_ONNX_THREADS"] = "1"
    media = Media.from_bytes(LATENCY_IMAGE.read_bytes(), LATENCY_IMAGE.name)
    rgb = media.rgb
    session, card, _ = ai_model.load_detector(str(ai_model.model_path()), 1)
    from vforensics.analyzers.ai import normalise

    batch, _, _ = normalise.inference_batch(rgb, card["input"], card.get("short_side", 0), card.get("reducing_gap"))
    run_ms, prep_ms, whole_ms = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        normalise.inference_batch(rgb, card["input"], card.get("short_side", 0), card.get("reducing_gap"))
        t1 = time.perf_counter()
        session.run(None, {"input": batch})
        t2 = time.perf_counter()
        ai_model.analyze(media)
        t3 = time.perf_counter()
        prep_ms.append(1000 * (t1 - t0))
        run_ms.append(1000 * (t2 - t1))
        whole_ms.append(1000 * (t3 - t2))
    return {
        "image": LATENCY_IMAGE.name,
        "crops": len(batch),
        "megapixels": round(rgb.shape[0] * rgb.shape[1] / 1e6, 1),
        "size": f"{rgb.shape[1]}x{rgb.shape[0]}",
        "model_ms": statistics.median(run_ms),
        "normalise_ms": statistics.median(prep_ms),
        "analyzer_ms": statistics.median(whole_ms),
    }


def _whole_downscale_crops(rgb: np.ndarray, card: dict) -> list[np.ndarray]:
    """The grid's crops cut from the whole downscaled picture, as the detector was trained."""
    scaled = normalise.downscale(rgb, card.get("short_side", 0), card.get("reducing_gap"))
    positions = normalise.grid_positions(*scaled.shape[:2])
    return [scaled[y : y + normalise.CROP, x : x + normalise.CROP] for y, x in positions]


def crop_agreement(rows: list[dict], card: dict) -> dict[str, float]:
    """The analyzer's crops (``normalise.downscaled_crop``, each from just the pixels it reads)
    against the same crops cut from the whole downscaled picture, on every test image and camera
    original larger than the short side: values that differ, and what it does to the likelihood."""
    session, _, _ = ai_model.load_detector(str(ai_model.model_path()), 1)
    short_side, gap = card.get("short_side", 0), card.get("reducing_gap")
    cameras = sorted((BENCH / "camera").glob("*.jpg"))
    pictures = itertools.chain((load_rgb(r) for r in rows), (np.asarray(Image.open(p).convert("RGB")) for p in cameras))
    differing = values = worst = verdicts = 0
    moved: list[float] = []
    for rgb in pictures:
        if not short_side or min(rgb.shape[:2]) <= short_side or min(rgb.shape[:2]) < normalise.CROP:
            continue
        size = normalise.downscaled_size(rgb.shape[0], rgb.shape[1], short_side)
        whole = _whole_downscale_crops(rgb, card)
        own = [normalise.downscaled_crop(rgb, size, y, x, gap) for y, x in normalise.grid_positions(size[1], size[0])]
        for a, b in zip(whole, own, strict=True):
            d = np.abs(a.astype(np.int16) - b)
            differing, values, worst = differing + int(np.count_nonzero(d)), values + d.size, max(worst, int(d.max()))
        pair = []
        for crops in (whole, own):
            batch = np.stack(
                [normalise.INPUTS[card["input"]](normalise.reencode(c, normalise.INFERENCE_QUALITY)) for c in crops]
            )
            pair.append(_calibrated([float(session.run(None, {"input": batch})[0].mean())], card)[0])
        moved.append(abs(pair[0] - pair[1]))
        verdicts += (pair[0] >= LIKELY_AI) != (pair[1] >= LIKELY_AI)
    return {
        "images": len(moved),
        "differing": differing,
        "values": values,
        "max_grey_levels": worst,
        "median_points": statistics.median(moved) if moved else 0.0,
        "max_points": max(moved, default=0.0),
        "called_ai_changed": verdicts,
    }


_COLD = """
import json, time
t0 = time.perf_counter()
import onnxruntime as ort
t1 = time.perf_counter()
o = ort.SessionOptions(); o.intra_op_num_threads = 1
s = ort.InferenceSession({path!r}, o, providers=["CPUExecutionProvider"])
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1}}))
"""


def cold_start(runs: int = 5) -> dict[str, float]:
    """Import of onnxruntime and session creation, each in a fresh interpreter (median)."""
    code = _COLD.format(path=str(ai_model.model_path()))
    samples = [json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(runs)]
    return {k: statistics.median(s[k] for s in samples) for k in ("import_s", "load_s")}


def image_sizes() -> list[tuple[str, int]]:
    """The model Lambda's image contents (functions/model/Dockerfile followed without Docker)."""
    import tempfile

    sys.path.insert(0, str(REPO))  # tools/ is a package of the repository checkout, not of the library
    from tools import stage_model_image

    with tempfile.TemporaryDirectory() as tmp:
        stage_model_image.stage(Path(tmp))
        return stage_model_image.sizes(Path(tmp))


def image_contents(rows: list[tuple[str, int]]) -> list[str]:
    total = sum(b for _, b in rows)
    lines = [
        "Container image of `AnalyzerAiModelFunction` on top of `public.ecr.aws/lambda/python:3.12`, laid out "
        "by `tools/stage_model_image.py` from functions/model/Dockerfile (Docker is not available here):",
        "",
        "| path in the image | MB |",
        "|---|---|",
    ]
    lines += [f"| {name} | {size / 1e6:.1f} |" for name, size in rows]
    lines += [f"| **in all** | **{total / 1e6:.1f}** |", ""]
    return lines


def _calibrated(logits: list[float], card: dict) -> list[float]:
    a, b = card["calibration"]["a"], card["calibration"]["b"]
    return [100.0 / (1.0 + math.exp(-max(-50.0, min(50.0, a * v + b)))) for v in logits]


def _pooled(scores: dict[str, dict[str, list[float]]], families: list[str], key: str) -> list[float]:
    return [v for f in families for v in scores.get(f, {}).get(key, [])]


def family_table(scores: dict, card: dict, ai: list[str], real: list[str]) -> list[str]:
    real_test, real_rules = _pooled(scores, real, "detector"), _pooled(scores, real, "spec_rules")
    lofo = card.get("leave_one_family_out", {})
    folds = card.get("fold_logits", {})
    lines = [
        "| AI family | images | **left out**: AUC | left out: called AI | test images | in distribution: AUC | "
        "called AI | spec rules AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    held = []
    for family in ai:
        fold = lofo.get(family)
        fam = scores.get(family, {})
        left = "not trained" if fold is None else f"**{fold['auc_vs_real_test']:.3f}**"
        called = "" if fold is None else _rate(_calibrated(folds[family]["ai_logits"], card))
        if fold is not None:
            held.append(fold["auc_vs_real_test"])
        lines.append(
            f"| {family} | {'' if fold is None else fold['images']} | {left} | {called} | "
            f"{len(fam.get('detector', []))} | {_auc(fam.get('detector', []), real_test)} | "
            f"{_rate(fam.get('detector', []))} | {_auc(fam.get('spec_rules', []), real_rules)} |"
        )
    everything = _pooled(scores, ai, "detector")
    lines.append(
        f"| **all families** | | mean {statistics.mean(held):.3f}, worst {min(held):.3f} | | {len(everything)} | "
        f"{_auc(everything, real_test)} | {_rate(everything)} | "
        f"{_auc(_pooled(scores, ai, 'spec_rules'), _pooled(scores, real, 'spec_rules'))} |"
        if held
        else "| **all families** | | | | | | | |"
    )
    return lines


def real_table(scores: dict, card: dict, real: list[str], extra: dict[str, list[float]]) -> list[str]:
    folds = card.get("fold_logits", {})
    fold_real = [v for f in folds.values() for v in _calibrated(f["real_test_logits"], card)]
    lines = ["| real photos (test split) | n | called Likely/Very Likely AI |", "|---|---|---|"]
    for family in real:
        values = scores.get(family, {}).get("detector", [])
        lines.append(f"| {family} | {len(values)} | {_rate(values)} |")
    lines.append(
        f"| **all real test photos** | {len(_pooled(scores, real, 'detector'))} | "
        f"**{_rate(_pooled(scores, real, 'detector'))}** |"
    )
    for label, values in extra.items():
        lines.append(f"| never seen: {label} | {len(values)} | {_rate(values)} |")
    if fold_real:
        lines.append(
            f"| the real test photos under the {len(folds)} folds' networks (each without one family) | "
            f"{len(fold_real)} scores | {_rate(fold_real)} |"
        )
    return lines


def robustness_table(scores: dict, ai: list[str], real: list[str]) -> list[str]:
    lines = [
        "| AI family (test split) | as uploaded | " + " | ".join(VARIANTS) + " |",
        "|---|---|" + "---|" * len(VARIANTS),
    ]
    for family in ai + ["all families"]:
        fams = ai if family == "all families" else [family]
        cells = [_auc(_pooled(scores, fams, key), _pooled(scores, real, key)) for key in ("detector", *VARIANTS)]
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return lines


def feature_table(scores: dict, ai: list[str], real: list[str]) -> list[str]:
    """AUC of each activation statistic alone (higher = AI; 0.5 = chance, < 0.5 = lower = AI)."""
    names = sorted({k for fam in scores.values() for k in fam if k.startswith("feature:")})
    if not names:
        return []
    lines = [
        "The network's activation statistics (the second spec's ResNet-18 features: the last two stages' "
        "share of zeros, standard deviation and excess kurtosis, in `details.network_features`), each alone on "
        "the test split, all families against the real test photos; higher = AI, so an AUC under 0.5 means "
        "lower = AI. They are reported, not scored:",
        "",
        "| statistic | AUC alone |",
        "|---|---|",
    ]
    lines += [
        f"| {n.removeprefix('feature:')} | {_auc(_pooled(scores, ai, n), _pooled(scores, real, n))} |" for n in names
    ]
    detector = _auc(_pooled(scores, ai, "detector"), _pooled(scores, real, "detector"))
    lines.append(f"| (the detector's likelihood, for scale) | {detector} |")
    return lines + [""]


def section(results: dict) -> list[str]:
    r = results
    scores, card, lat, cold = r["scores"], r["card"], r["latency"], r["cold_start"]
    ai, real = r["ai_families"], r["real_families"]
    t = card["training"]
    lines = [
        "## AI-generated image detector by generator family (`python -m vforensics.evaluation.benchmarks.ai_model`)",
        "",
        f"The `ai_model` analyzer ({card['model']}, {card['parameters'] / 1e6:.2f} M parameters, input "
        f"`{card['input']}`, up to {card['max_crops']} crops of {card['crop']} px "
        + (
            f"of the picture downscaled to a {card['short_side']} px shorter side"
            if card.get("short_side")
            else "at native resolution"
        )
        + f", JPEG q{card['inference_quality']} normalisation), trained by `{t['command'].strip()}` "
        f"(`make train-model`: seed {t['seed']}, {t['steps']} steps per network, "
        f"{t['train_images']} training images, {t['seconds']} s in all on {t['threads']} CPU "
        f"thread(s), torch {t['torch']}) on `{card['data_list']}`. Families trained on: "
        f"{', '.join(card.get('trained_on_families', []))}. Calibration: {card['calibration']['fitted_on']}.",
        "",
        "**Left out** = the AUC of a network trained by the same recipe on every other family, on all images of "
        "this family, against the real test photos: what to expect of a generator the detector has not seen. "
        "**In distribution** = the shipped model on the family's test split (never trained on). 'Called AI' = "
        f"Likely AI or Very Likely AI (>= {LIKELY_AI:.0f}) after the shipped calibration. Spec rules = the first "
        "spec's six threshold rules (`ai_frequency`) on the same test images, the baseline. Families with fewer "
        "than ~10 images give coarse AUCs: read them with their counts.",
        "",
    ]
    if not r["sources"]:
        lines += [
            "**The gathered sources were not present (`make gather-ai`): only the bench families are measured.**",
            "",
        ]
    lines += family_table(scores, card, ai, real) + [""]
    lines += real_table(scores, card, real, r["extra_real"]) + [""]
    lines += ["Robustness: the test images of both classes through the same post-processing (AUC):", ""]
    lines += robustness_table(scores, ai, real) + [""]
    lines += feature_table(scores, ai, real)
    lines += [
        f"Not scored (smaller than a crop): {'; '.join(r['skipped']) or 'none'}.",
        "",
        f"Speed, one thread ({r['cores']} cores on the machine), {lat['image']} ({lat['size']}, "
        f"{lat['megapixels']} MP, decode not included): the model on its {lat['crops']} crops "
        f"{lat['model_ms']:.0f} ms (median of 15), the crops' normalisation {lat['normalise_ms']:.0f} ms, the "
        f"whole analyzer {lat['analyzer_ms']:.0f} ms. Cold start in a fresh interpreter: `import onnxruntime` "
        f"{1000 * cold['import_s']:.0f} ms, session load {1000 * cold['load_s']:.0f} ms (medians of 5). "
        f"Model file {r['model_bytes'] / 1e6:.1f} MB.",
        "",
    ]
    if agree := r.get("crop_agreement"):
        share = agree["differing"] / max(1, agree["values"])
        lines += [
            "The analyzer computes each crop from just the pixels its filters read (`normalise.downscaled_crop`); "
            f"against the same crops cut from the whole downscaled picture, as the detector was trained, on the "
            f"{agree['images']} test images and camera originals larger than the short side: "
            f"{agree['differing']:,} of {agree['values']:,} values differ ({100 * share:.4f}%), by at most "
            f"{agree['max_grey_levels']} grey level(s); the likelihood moves by {agree['median_points']:.4f} points "
            f"(median), {agree['max_points']:.2f} at most, and {agree['called_ai_changed']} image(s) change sides of "
            f"Likely AI.",
            "",
        ]
    return lines


def add_arguments(parser) -> None:
    parser.add_argument("--model", type=Path, help="ONNX file to measure (default: the pipeline's)")
    parser.add_argument("--no-image", action="store_true", help="skip the image-contents table (needs PyPI)")


def run(context: Context, model: Path | None = None, no_image: bool = False) -> dict:
    """Scores of the test split and its variants, speed, cold start, and the image's contents."""
    if model:
        os.environ["VF_AI_MODEL"] = str(model.resolve())
    path = ai_model.model_path()
    if path is None or not path.is_file():
        raise SystemExit("no model: run `make train-model` first")
    card = json.loads(path.with_suffix(".json").read_text())
    rows = [r for r in available(read_data_list(DATA_LIST)) if r["split"] == "test"]
    started = time.perf_counter()
    scores = evaluate(rows)
    print(f"scored {len(rows)} test images and their variants in {time.perf_counter() - started:.0f} s")
    return {
        "scores": scores,
        "ai_families": sorted({r["family"] for r in rows if r["label"] == 1}),
        "real_families": sorted({r["family"] for r in rows if r["label"] == 0}),
        "sources": sources_available(),
        "card": card,
        "latency": latency(),
        "crop_agreement": crop_agreement(rows, card),
        "cold_start": cold_start(),
        "model_bytes": path.stat().st_size,
        "extra_real": extra_real(),
        "skipped": list(SKIPPED),
        "cores": os.cpu_count(),
        "image_sizes": None if no_image else image_sizes(),
    }


def to_markdown(results: dict) -> str:
    lines = section(results)
    if results["image_sizes"] is not None:
        lines += image_contents(results["image_sizes"])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
