"""AI-generated image detection by a small ResNet-18 trained in this project, run with onnxruntime.

The network (He et al., CVPR 2016, the first two stages of torchvision's resnet18 layout at a
quarter of its width) looks at the neighbouring-pixel residual of NPR (Tan et al., "Rethinking
the Up-Sampling Operations in CNN-based Generative Network for Generalizable Deepfake
Detection", CVPR 2024): generators build images by up-sampling, which leaves correlations
between neighbouring pixels that cameras do not. The picture is downscaled to a shorter side
of 512 px (the card's ``short_side``), up to nine crops of it are normalised exactly as in
training (``vforensics.analyzers.ai.normalise``), the mean crop logit is calibrated on
left-out generator families (Platt scaling) and reported as ``score`` = the probability, in
percent, that the image is AI-generated.

No pretrained weights exist here: the model was trained by ``training/ai_model/train.py`` on
ten generator families (SD 1.x, 2.x, 3, SDXL, Stable Cascade, Flux.1, GPT-4o and three unnamed
generators) against camera, web and dataset photos, and validated by leaving one family out
at a time; the calibration was fitted on those left-out families, so the probability speaks
for a generator the network has not seen. Its card (``ai_detector.json`` beside the model)
records the data list, seed, command, the families and each left-out family's AUC, which the
interpretation quotes; docs/BENCHMARKS.md has the figures. It is one signal, not proof:
images that were heavily resized or re-compressed lose the traces it reads, and generators
unlike its training families can pass unseen.

The model file is found at ``VF_AI_MODEL`` (the container Lambda sets it), else at
functions/model/ai_detector.onnx of the project. Without onnxruntime or the model file the
analyzer is skipped with the reason; the zip Lambdas never run it.
"""

from __future__ import annotations

import json
import math
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vforensics.analyzers.ai import normalise
from vforensics.analyzers.ai.bands import verdict
from vforensics.analyzers.base import AnalyzerResult, skipped
from vforensics.media.image import Media

NAME = "ai_model"
MODEL_FILE = "ai_detector.onnx"


def model_path() -> Path | None:
    """The ONNX file: ``VF_AI_MODEL``, else functions/model/ in the project folder, else None."""
    if env := os.environ.get("VF_AI_MODEL"):
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "functions" / "model" / MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=2)
def load_detector(path: str, threads: int = 0) -> tuple[Any, dict[str, Any], float]:
    """(onnxruntime session, model card, seconds to load): loaded once per process."""
    import onnxruntime as ort

    started = time.perf_counter()
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    card = json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))
    return session, card, time.perf_counter() - started


def analyze(media: Media) -> AnalyzerResult:
    path = model_path()
    if path is None or not path.is_file():
        return skipped("the AI-detection model file is not installed here (it ships with the model Lambda)")
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return skipped("onnxruntime is not installed here (the model runs in the container Lambda)")
    threads = int(os.environ.get("VF_ONNX_THREADS", "0"))
    session, card, load_seconds = load_detector(str(path), threads)
    rgb = media.rgb
    if min(rgb.shape[:2]) < normalise.CROP:
        return skipped(f"image smaller than the detector's {normalise.CROP} px crops", width=rgb.shape[1])
    started = time.perf_counter()
    batch, positions, factor = normalise.inference_batch(
        rgb, card["input"], card.get("short_side", 0), card.get("reducing_gap")
    )
    outputs = session.run(None, {"input": batch})
    logits = outputs[0].reshape(-1)
    mean_logit = float(logits.mean())
    calibration = card["calibration"]
    likelihood = 100.0 / (1.0 + math.exp(-(calibration["a"] * mean_logit + calibration["b"])))
    crops = [{"x": x, "y": y, "logit": round(float(v), 3)} for (y, x), v in zip(positions, logits, strict=True)]
    band = verdict(likelihood)
    agreeing = int(np.sum(logits > 0))
    details = {
        "ai_likelihood": round(likelihood, 1),
        "verdict": band,
        "mean_logit": round(mean_logit, 3),
        "crops_called_ai": f"{agreeing} of {len(logits)}",
        "crops": crops,
        "crop_size": round(normalise.CROP / factor),
        "downscaled_by": round(factor, 4),
        "model": {
            "architecture": card["model"],
            "input": card["input"],
            "onnx_sha256": card["onnx_sha256"][:16],
            "trained_on": card["data_list"],
            "load_seconds": round(load_seconds, 3),
            "validation": validation_summary(card),
        },
        "inference_ms": round(1000 * (time.perf_counter() - started), 1),
    }
    names = [o.name for o in session.get_outputs()]
    if stats := activation_statistics(dict(zip(names[1:], outputs[1:], strict=True))):
        details["network_features"] = stats
    return AnalyzerResult("ok", likelihood, _interpretation(likelihood, band, agreeing, len(logits), card), details)


def activation_statistics(features: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Sparsity, spread and kurtosis of the network's last two stages' activations, over all crops.

    The second product spec's "deep learning" features (ResNet-18 layer3/layer4 statistics):
    the share of exact zeros after the ReLU, the standard deviation and the excess kurtosis.
    They are reported, not scored: docs/BENCHMARKS.md measures whether they separate AI
    images from real photos beyond the logit.
    """
    out = {}
    for name, values in sorted(features.items()):
        x = values.astype(np.float64).reshape(-1)
        if x.size == 0:
            continue
        std = float(x.std())
        kurtosis = float(((x - x.mean()) ** 4).mean() / std**4 - 3.0) if std > 0 else 0.0
        out[name] = {
            "channels": int(values.shape[1]),
            "sparsity": round(float(np.mean(x == 0.0)), 4),
            "std": round(std, 4),
            "kurtosis": round(kurtosis, 3),
        }
    return out


def validation_summary(card: dict[str, Any]) -> dict[str, Any]:
    """The families the detector was trained on, and its AUC on each family when that family was left out."""
    folds = card.get("leave_one_family_out", {})
    return {
        "trained_on_families": card.get("trained_on_families", []),
        "left_out_family_auc": {f: v["auc_vs_real_test"] for f, v in sorted(folds.items())},
    }


def _interpretation(likelihood: float, band: str, agreeing: int, crops: int, card: dict[str, Any]) -> str:
    summary = validation_summary(card)
    families = summary["trained_on_families"]
    held = summary["left_out_family_auc"]
    weak = sorted(f for f, v in held.items() if v < 0.8)
    validated = (
        f"It was trained on {len(families)} generator families ({', '.join(families)}); trained without one of "
        f"them at a time, it told that family from real photos with AUC {min(held.values()):.2f}-"
        f"{max(held.values()):.2f}" + (f", weakest on {', '.join(weak)}" if weak else "") + " (docs/BENCHMARKS.md). "
        if held and families
        else "Its validation is in docs/BENCHMARKS.md. "
    )
    return (
        f"{band}: the AI-image detector rates the picture {likelihood:.0f}% likely to be AI-generated "
        f"({agreeing} of {crops} crops look generated). {validated}It reads pixel traces that resizing and "
        "heavy re-compression erase, and generators unlike its training data can pass unnoticed. "
        "Treat it as one signal, not proof."
    )
