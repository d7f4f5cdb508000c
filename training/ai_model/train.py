"""Train the AI-image detector (a narrow ResNet-18) and export it to ONNX for the model Lambda.

    make train-model            # = .venv-train/bin/python training/ai_model/train.py

Data (``data_list.csv`` beside this script, written by ``--make-list`` and read through
``vforensics.evaluation.ai_data``; paths relative to
../shared/bench): AI images of four generator families against real photos. The split is by
generator family and by source file:

- seen families, split train / val / test by file: ``sd15`` (Stable Diffusion 1.x, each
  1024 px grid cut into its four 512 px images, all four in the same split) and
  ``ml72-diffusion1``;
- unseen families, test only: ``ml72-diffusion2`` and ``ml72-gan``;
- real: ``camera`` (camera originals) and ``real-web`` (web photos matching ml72's
  subjects), split by file.

Both classes pass through ``vforensics.analyzers.ai.normalise`` (native-resolution crops, the same
JPEG/WebP re-encoding, the NPR residual), so the network cannot tell the classes apart by
format, size or metadata. Each step draws a balanced batch of random crops; the checkpoint
with the best validation AUC is kept; a logistic (Platt) calibration of the image-level
logit is fitted on the validation split. Outputs: ``functions/model/ai_detector.onnx`` and
``ai_detector.json`` (the model card: data list hash, seed, command, validation figures,
calibration). Held-out test figures come from ``python -m vforensics.evaluation.benchmarks.ai_model``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "layers" / "vforensics"))
sys.path.insert(0, str(HERE))

from resnet import ResNet18  # noqa: E402

from vforensics.analyzers.ai import normalise  # noqa: E402
from vforensics.evaluation.ai_data import (  # noqa: E402
    BENCH,
    DATA_LIST,
    load_rgb,
    make_data_list,
    read_data_list,
    write_data_list,
)

OUT = ROOT / "functions" / "model"
#: Share of each class's draws per family while training (the small ml72 family is
#: over-sampled so that photo-like AI images are not drowned by the sd15 grids).
FAMILY_WEIGHTS = {"sd15": 0.75, "ml72-diffusion1": 0.25, "camera": 0.6, "real-web": 0.4}
QUALITY_RANGE = (65, 95)
WEBP_PROBABILITY = 0.3


class CropSampler:
    """Balanced batches of random, identically normalised crops from the training images."""

    def __init__(self, images: list[tuple[np.ndarray, dict]], kind: str, rng: np.random.Generator):
        self.kind, self.rng = kind, rng
        self.pools: dict[int, dict[str, list[np.ndarray]]] = {0: {}, 1: {}}
        for rgb, row in images:
            if min(rgb.shape[:2]) >= normalise.CROP:
                self.pools[row["label"]].setdefault(row["family"], []).append(rgb)

    def crop(self, label: int) -> np.ndarray:
        families = list(self.pools[label])
        weights = np.array([FAMILY_WEIGHTS[f] for f in families])
        family = families[self.rng.choice(len(families), p=weights / weights.sum())]
        pool = self.pools[label][family]
        rgb = pool[self.rng.integers(len(pool))]
        size = normalise.CROP
        y = int(self.rng.integers(0, (rgb.shape[0] - size) // 2 + 1)) * 2
        x = int(self.rng.integers(0, (rgb.shape[1] - size) // 2 + 1)) * 2
        crop = rgb[y : y + size, x : x + size]
        if self.rng.random() < 0.5:
            crop = crop[:, ::-1]
        webp = int(self.rng.integers(70, 96)) if self.rng.random() < WEBP_PROBABILITY else None
        crop = normalise.reencode(np.ascontiguousarray(crop), int(self.rng.integers(*QUALITY_RANGE) + 1), webp)
        return normalise.INPUTS[self.kind](crop)

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = np.array([i % 2 for i in range(size)])
        x = np.stack([self.crop(int(label)) for label in labels])
        return torch.from_numpy(x), torch.from_numpy(labels.astype(np.float32))


def image_logits(model: torch.nn.Module, images: list[tuple[np.ndarray, dict]], kind: str) -> np.ndarray:
    """Mean crop logit per image, exactly as the analyzer computes it."""
    model.eval()
    out = []
    with torch.no_grad():
        for rgb, _ in images:
            batch, _ = normalise.inference_batch(rgb, kind)
            out.append(float(model(torch.from_numpy(batch)).mean()) if len(batch) else 0.0)
    model.train()
    return np.array(out)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def fit_platt(logits: np.ndarray, labels: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """a, b of p = sigmoid(a * logit + b) minimising the log-loss (Platt 1999).

    Smoothed targets as Platt's (1 - e and e, with e = 1 / (N + 2) for the smaller class's
    count N, on both sides so that neither class is favoured) keep the fit finite when the
    validation split is separable; both classes weigh the same, whatever their counts (mostly
    sd15 images there), so the probability assumes even odds before the image is seen.
    """
    n_pos, n_neg = labels.sum(), (1 - labels).sum()
    eps = 1.0 / (min(n_pos, n_neg) + 2)
    target = np.where(labels == 1, 1 - eps, eps)
    weight = np.where(labels == 1, 0.5 / max(1, n_pos), 0.5 / max(1, n_neg))
    x = np.stack([logits, np.ones_like(logits)], axis=1)

    def loss(theta: np.ndarray) -> float:
        z = x @ theta
        return float(np.sum(weight * (np.logaddexp(0, z) - target * z)))

    theta = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ theta)))
        grad = x.T @ (weight * (p - target))
        hess = x.T @ (x * (weight * p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step, scale = np.linalg.solve(hess, grad), 1.0
        while loss(theta - scale * step) > loss(theta) and scale > 1e-4:
            scale /= 2
        theta = theta - scale * step
        if np.abs(scale * step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])


def export_onnx(model: torch.nn.Module, path: Path) -> None:
    model.eval()
    dummy = torch.zeros(1, 3, normalise.CROP, normalise.CROP)
    torch.onnx.export(
        model,
        dummy,
        str(path),
        input_names=["input"],
        output_names=["logit"],
        dynamic_axes={"input": {0: "crops"}, "logit": {0: "crops"}},
        opset_version=17,
        dynamo=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=BENCH)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for ai_detector.onnx and .json")
    parser.add_argument("--make-list", action="store_true", help="(re)write data_list.csv and stop")
    parser.add_argument("--input", choices=sorted(normalise.INPUTS), default="npr")
    parser.add_argument("--width", type=int, default=32, help="channels of the first ResNet stage")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)

    if args.make_list:
        write_data_list(make_data_list(args.bench, args.seed), DATA_LIST)
        print(f"wrote {DATA_LIST}")
        return 0
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = read_data_list(DATA_LIST)
    started = time.perf_counter()
    train = [(load_rgb(args.bench, r), r) for r in rows if r["split"] == "train"]
    val = [(load_rgb(args.bench, r), r) for r in rows if r["split"] == "val"]
    print(f"loaded {len(train)} train / {len(val)} val images in {time.perf_counter() - started:.0f} s", flush=True)
    val_labels = np.array([r["label"] for _, r in val])

    sampler = CropSampler(train, args.input, rng)
    model = ResNet18(args.width)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=args.steps, pct_start=0.1)
    best = (-1.0, None, 0)
    history = []
    train_started = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = sampler.batch(args.batch)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % args.eval_every == 0 or step == args.steps:
            auc = roc_auc(val_labels, image_logits(model, val, args.input))
            history.append({"step": step, "loss": round(loss.item(), 4), "val_auc": round(auc, 4)})
            took = time.perf_counter() - train_started
            print(f"step {step} loss {loss.item():.3f} val AUC {auc:.3f} ({took:.0f} s)", flush=True)
            if auc >= best[0]:
                best = (auc, {k: v.clone() for k, v in model.state_dict().items()}, step)
    model.load_state_dict(best[1])
    val_logits = image_logits(model, val, args.input)
    a, b = fit_platt(val_logits, val_labels)

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "ai_detector.onnx"
    export_onnx(model, onnx_path)
    card = {
        "model": "ResNet-18 layout (He et al. 2016), first-stage width " + str(args.width),
        "parameters": sum(p.numel() for p in model.parameters()),
        "input": args.input,
        "crop": normalise.CROP,
        "inference_quality": normalise.INFERENCE_QUALITY,
        "max_crops": normalise.MAX_CROPS,
        "calibration": {"a": a, "b": b, "fitted_on": f"validation split, {len(val)} images"},
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "data_list": str(DATA_LIST.relative_to(ROOT)),
        "data_list_sha256": hashlib.sha256(DATA_LIST.read_bytes()).hexdigest(),
        "training": {
            "command": "python training/ai_model/train.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "seed": args.seed,
            "steps": args.steps,
            "batch": args.batch,
            "best_step": best[2],
            "lr": args.lr,
            "train_images": len(train),
            "val_images": len(val),
            "seconds": round(time.perf_counter() - started),
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "history": history,
        },
        "val_auc": round(best[0], 4),
    }
    (args.out / "ai_detector.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in card.items() if k != "training"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
