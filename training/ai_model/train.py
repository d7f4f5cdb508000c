"""Train the AI-image detector (a narrow ResNet-18) by leave-one-family-out, and export it to ONNX.

    make train-model            # = .venv-train/bin/python training/ai_model/train.py
    .venv-train/bin/python training/ai_model/train.py --make-list     # rewrite data_list.csv

Data: ``data_list.csv`` beside this script (``vforensics.evaluation.ai_data`` documents its
families, groups and splits): ten AI generator families (SD 1.x, 2.x, 3, SDXL, Stable Cascade,
Flux.1, GPT-4o and three unnamed ml72 generators) against camera originals, web photos, COCO,
OpenImages, Flickr, ADE20K, ImageNet and FFHQ photos. It needs ../shared/bench and the
gathered sources (``make gather-ai``).

What one run does, the same bytes for the same seed:

1. training crops of every image, downscaled as the analyzer does (``--short-side``, recorded in
   the card) and augmented alike for both classes (``crops.py``);
2. **one fold per AI family**: a network trained on the training split of every *other*
   family, which then scores every image of the left-out family and the real photos of the
   calibration and test splits. Its AUC is that family's leave-one-family-out figure: what
   to expect of the next generator. The folds train exactly as the final model does;
3. the **final model** on the training split of all families (fixed schedule, the last
   weights: no choice of checkpoint on data that is reported);
4. the **calibration** (Platt's logistic) of the final model's image logit, fitted on the
   folds' logits of the left-out families' images against the real calibration photos, each
   family weighing the same: the probability says what the score means for a generator the
   network has not seen, not for its training families. If more than 5% of the real
   calibration photos' fold scores would then reach "Likely AI", the intercept is lowered
   until they do not (``bands.false_alarm_shift``; the test split takes no part).

Outputs: ``functions/model/ai_detector.onnx`` and ``ai_detector.json`` (the model card: data
list hash, seed, command, the per-family leave-one-out AUCs and logits' summary, calibration,
the families it was trained on). The final model's test-split figures, the robustness rows and
the speed come from ``python -m vforensics.evaluation.benchmarks.ai_model``.
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

import crops as crop_pool  # noqa: E402
from resnet import ResNet18  # noqa: E402

from vforensics.analyzers.ai import bands, normalise  # noqa: E402
from vforensics.evaluation.ai_data import (  # noqa: E402
    BENCH,
    DATA_LIST,
    ai_families,
    make_data_list,
    read_data_list,
    write_data_list,
)

OUT = ROOT / "functions" / "model"


class CropSampler:
    """Balanced batches of the training crops: half AI, half real; inside a class, a family's
    share grows with the square root of its image count (so that 900 SD 1.x tiles do not drown
    three SDXL images, nor three images get drawn 300 times more often than one tile)."""

    def __init__(self, pools: list[np.ndarray], rows: list[dict], kind: str, rng: np.random.Generator):
        self.kind, self.rng = kind, rng
        self.by_label: dict[int, list[tuple[float, list[np.ndarray]]]] = {0: [], 1: []}
        families: dict[tuple[int, str], list[np.ndarray]] = {}
        for pool, row in zip(pools, rows, strict=True):
            if len(pool):
                families.setdefault((row["label"], row["family"]), []).append(pool)
        for (label, _), images in sorted(families.items()):
            self.by_label[label].append((float(np.sqrt(len(images))), images))

    def crop(self, label: int) -> np.ndarray:
        entries = self.by_label[label]
        weights = np.array([w for w, _ in entries])
        images = entries[self.rng.choice(len(entries), p=weights / weights.sum())][1]
        pool = images[self.rng.integers(len(images))]
        return normalise.INPUTS[self.kind](pool[self.rng.integers(len(pool))])

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = np.array([i % 2 for i in range(size)])
        x = np.stack([self.crop(int(label)) for label in labels])
        return torch.from_numpy(x), torch.from_numpy(labels.astype(np.float32))


def train_network(sampler: CropSampler, args: argparse.Namespace, label: str) -> torch.nn.Module:
    """The network after the fixed schedule (AdamW, one-cycle learning rate), last weights."""
    torch.manual_seed(args.seed)
    model = ResNet18(args.width, stages=args.stages)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=args.steps, pct_start=0.1)
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = sampler.batch(args.batch)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == args.steps:
            print(f"  [{label}] step {step} loss {loss.item():.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
    model.eval()
    return model


def image_logits(model: torch.nn.Module, crops: list[np.ndarray], kind: str) -> np.ndarray:
    """Mean crop logit per image (the analyzer's crops, as the analyzer computes it); NaN if none."""
    out = []
    with torch.no_grad():
        for image in crops:
            if not len(image):
                out.append(float("nan"))
                continue
            batch = np.stack([normalise.INPUTS[kind](c) for c in image])
            out.append(float(model(torch.from_numpy(batch)).mean()))
    return np.array(out)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def fit_platt(logits: np.ndarray, labels: np.ndarray, weight: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """a, b of p = sigmoid(a * logit + b) minimising the weighted log-loss (Platt 1999).

    Platt's smoothed targets (1 - e and e, e = 1 / (N + 2) for the smaller class's count N)
    keep the fit finite when the classes separate; ``weight`` sums to one per class, so the
    probability assumes even odds before the image is seen.
    """
    n_pos, n_neg = labels.sum(), (1 - labels).sum()
    eps = 1.0 / (min(n_pos, n_neg) + 2)
    target = np.where(labels == 1, 1 - eps, eps)
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
    add_feature_outputs(path)


#: Graph outputs beside the logit: the activations of the network's last two stages, whose
#: statistics the analyzer reports (the second spec's "deep learning" features).
FEATURE_OUTPUTS = ("features_penultimate", "features_last")
FEATURE_SHAPE = ["crops", "channels", "height", "width"]


def add_feature_outputs(path: Path) -> None:
    """Expose the outputs of the last two ResNet stages (after their final ReLU) as graph outputs."""
    import onnx

    model = onnx.load(str(path))
    stage_ends = sorted(
        (
            node.output[0]
            for node in model.graph.node
            if node.op_type == "Relu" and node.name.endswith(".1/relu_1/Relu")
        ),
        key=lambda name: int(name.split("/")[2].split(".")[1]),
    )
    present = {o.name for o in model.graph.output}
    for alias, tensor in zip(FEATURE_OUTPUTS, stage_ends[-2:], strict=True):
        if alias in present:
            continue
        model.graph.node.append(onnx.helper.make_node("Identity", [tensor], [alias], name=alias))
        model.graph.output.append(onnx.helper.make_tensor_value_info(alias, onnx.TensorProto.FLOAT, FEATURE_SHAPE))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def leave_one_family_out(
    rows: list[dict], pools: list[np.ndarray], eval_crops: dict[int, np.ndarray], families: list[str], args
) -> dict[str, dict]:
    """Per left-out family: the logits of its images and of the real calib/test photos, and the AUC."""
    real_idx = [i for i in eval_crops if rows[i]["label"] == 0]
    folds = {}
    for family in families:
        started = time.perf_counter()
        keep = [i for i, r in enumerate(rows) if r["split"] == "train" and r["family"] != family]
        sampler = CropSampler(
            [pools[i] for i in keep], [rows[i] for i in keep], args.input, np.random.default_rng(args.seed)
        )
        model = train_network(sampler, args, f"without {family}")
        ai_idx = [i for i in eval_crops if rows[i]["family"] == family]
        ai = image_logits(model, [eval_crops[i] for i in ai_idx], args.input)
        real = image_logits(model, [eval_crops[i] for i in real_idx], args.input)
        test = np.array([rows[i]["split"] == "test" for i in real_idx])
        ai_ok, real_ok = ~np.isnan(ai), ~np.isnan(real)
        labels = np.r_[np.ones(int(ai_ok.sum())), np.zeros(int((real_ok & test).sum()))]
        auc = roc_auc(labels, np.r_[ai[ai_ok], real[real_ok & test]])
        folds[family] = {
            "images": int(ai_ok.sum()),
            "auc_vs_real_test": round(auc, 4),
            "ai_logits": [round(float(v), 4) for v in ai[ai_ok]],
            "real_calib_logits": [round(float(v), 4) for v in real[real_ok & ~test]],
            "real_test_logits": [round(float(v), 4) for v in real[real_ok & test]],
            "seconds": round(time.perf_counter() - started),
        }
        by_source = {}  # the same AUC against each kind of real photo: sizes (hence any resize) differ by kind
        for source in sorted({rows[i]["family"] for i in real_idx}):
            mine = real_ok & test & np.array([rows[i]["family"] == source for i in real_idx])
            if mine.any():
                pair = np.r_[np.ones(int(ai_ok.sum())), np.zeros(int(mine.sum()))]
                by_source[source] = f"{roc_auc(pair, np.r_[ai[ai_ok], real[mine]]):.2f} ({int(mine.sum())})"
        print(
            f"left out {family}: {folds[family]['images']} images, AUC {auc:.3f} against "
            f"{int((real_ok & test).sum())} real test photos; by kind of real photo: {by_source}",
            flush=True,
        )
    return folds


def held_out_calibration(folds: dict[str, dict]) -> tuple[float, float, dict]:
    """Platt's a, b on the left-out families' logits against the real calibration photos (each
    fold's), b then lowered as far as the false-alarm bound on those real photos asks."""
    logits, labels, weight = [], [], []
    for fold in folds.values():
        ai, real = fold["ai_logits"], fold["real_calib_logits"]
        logits += ai + real
        labels += [1] * len(ai) + [0] * len(real)
        weight += [1.0 / (len(folds) * max(1, len(ai)))] * len(ai) + [1.0 / (len(folds) * max(1, len(real)))] * len(
            real
        )
    a, platt_b = fit_platt(np.array(logits), np.array(labels, float), np.array(weight))
    real_calib = np.array([v for fold in folds.values() for v in fold["real_calib_logits"]])
    shift = bands.false_alarm_shift(a * real_calib + platt_b)
    b = platt_b + shift
    target = np.log(bands.CALLED_AI / (100.0 - bands.CALLED_AI))

    def called(intercept: float) -> float:
        return round(float(np.mean(a * real_calib + intercept >= target)), 4) if len(real_calib) else 0.0

    return (
        a,
        b,
        {
            "ai_images": sum(f["images"] for f in folds.values()),
            "real_calib_scores": len(real_calib),
            "platt_b": platt_b,
            "false_alarm_shift": shift,
            "real_calib_called_ai": {"platt": called(platt_b), "shipped": called(b)},
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=BENCH)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for ai_detector.onnx and .json")
    parser.add_argument("--make-list", action="store_true", help="(re)write data_list.csv and stop")
    parser.add_argument("--input", choices=sorted(normalise.INPUTS), default="npr")
    parser.add_argument("--width", type=int, default=16, help="channels of the first ResNet stage")
    parser.add_argument("--stages", type=int, default=2, help="ResNet stages kept (4: the whole ResNet-18)")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--palette-p", type=float, default=crop_pool.PALETTE_P, help="share of crops palette-quantised")
    parser.add_argument("--blur-p", type=float, default=0.0, help="share of crops Gaussian-blurred (an ablation)")
    parser.add_argument(
        "--short-side",
        type=int,
        default=normalise.SHORT_SIDE,
        help="downscale larger images to this shorter side before their crops, as the analyzer does (0: native)",
    )
    parser.add_argument(
        "--reducing-gap",
        type=float,
        default=normalise.REDUCING_GAP,
        help="Pillow's reducing_gap of that downscale (0: the fair bicubic)",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes that cut the crops")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the bytes may depend on it)")
    parser.add_argument("--families", nargs="*", help="leave out only these families (default: every AI family)")
    parser.add_argument("--folds-only", action="store_true", help="report the folds, train and export nothing else")
    args = parser.parse_args(argv)

    if args.make_list:
        rows, check = make_data_list(args.bench, args.seed)
        write_data_list(rows, DATA_LIST)
        print(f"wrote {DATA_LIST}: {len(rows)} rows; near-duplicate check: {json.dumps(check)}")
        return 0
    reducing_gap = args.reducing_gap or None
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rows = read_data_list(DATA_LIST)
    started = time.perf_counter()
    train_idx = [i for i, r in enumerate(rows) if r["split"] == "train"]
    pools_train = crop_pool.training_crops(
        [(i, rows[i]) for i in train_idx],
        args.seed,
        args.workers,
        args.palette_p,
        args.short_side,
        reducing_gap,
        args.blur_p,
    )
    pools: list[np.ndarray] = [np.zeros((0,), np.uint8)] * len(rows)
    for i, pool in zip(train_idx, pools_train, strict=True):
        pools[i] = pool
    eval_idx = [i for i, r in enumerate(rows) if r["label"] == 1 or r["split"] in ("calib", "test")]
    eval_crops = dict(
        zip(
            eval_idx,
            crop_pool.inference_crops([rows[i] for i in eval_idx], args.workers, args.short_side, reducing_gap),
            strict=True,
        )
    )
    crops_seconds = round(time.perf_counter() - started)
    print(
        f"cut {sum(len(p) for p in pools)} training crops of {len(train_idx)} images and the analyzer's "
        f"crops of {len(eval_idx)} images in {crops_seconds} s",
        flush=True,
    )

    families = args.families or ai_families(rows)
    folds = leave_one_family_out(rows, pools, eval_crops, families, args)
    lofo = {f: folds[f]["auc_vs_real_test"] for f in families}
    print(json.dumps({"leave_one_family_out_auc": lofo}, indent=2))
    if args.folds_only:
        return 0
    final_started = time.perf_counter()
    sampler = CropSampler(
        [pools[i] for i in train_idx], [rows[i] for i in train_idx], args.input, np.random.default_rng(args.seed)
    )
    model = train_network(sampler, args, "final")
    final_seconds = round(time.perf_counter() - final_started)
    a, b, calibrated_on = held_out_calibration(folds)

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "ai_detector.onnx"
    export_onnx(model, onnx_path)
    trained = sorted({rows[i]["family"] for i in train_idx if rows[i]["label"] == 1})
    card = {
        "model": f"ResNet-18 layout (He et al. 2016), first-stage width {args.width}, {args.stages} stages",
        "parameters": sum(p.numel() for p in model.parameters()),
        "input": args.input,
        "crop": normalise.CROP,
        "short_side": args.short_side,
        "reducing_gap": reducing_gap,
        "inference_quality": normalise.INFERENCE_QUALITY,
        "max_crops": normalise.MAX_CROPS,
        "calibration": {
            "a": a,
            "b": b,
            "fitted_on": (
                f"leave-one-family-out logits of {calibrated_on['ai_images']} AI images (each scored by the fold "
                f"that never saw its family, families weighted equally) against {calibrated_on['real_calib_scores']} "
                "fold scores of the real calibration photos"
                + (
                    f"; intercept lowered by {-calibrated_on['false_alarm_shift']:.3f} so that at most "
                    f"{bands.FALSE_ALARM_SHARE:.0%} of those real scores reach {bands.CALLED_AI:.0f}"
                    if calibrated_on["false_alarm_shift"]
                    else ""
                )
            ),
            "platt_b": calibrated_on["platt_b"],
            "false_alarm_shift": calibrated_on["false_alarm_shift"],
            "real_calib_called_ai": calibrated_on["real_calib_called_ai"],
        },
        "trained_on_families": trained,
        "leave_one_family_out": {
            f: {k: v for k, v in fold.items() if not k.endswith("_logits")} for f, fold in folds.items()
        },
        "fold_logits": {f: {k: v for k, v in fold.items() if k.endswith("_logits")} for f, fold in folds.items()},
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "data_list": str(DATA_LIST.relative_to(ROOT)),
        "data_list_sha256": hashlib.sha256(DATA_LIST.read_bytes()).hexdigest(),
        "training": {
            "command": "python training/ai_model/train.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "seed": args.seed,
            "steps": args.steps,
            "batch": args.batch,
            "lr": args.lr,
            "crops_per_image": crop_pool.CROPS_PER_IMAGE,
            "palette_p": args.palette_p,
            "blur_p": args.blur_p,
            "train_images": len(train_idx),
            "crops_seconds": crops_seconds,
            "final_seconds": final_seconds,
            "seconds": round(time.perf_counter() - started),
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
    }
    (args.out / "ai_detector.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in card.items() if k not in ("training", "fold_logits")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
