"""Fit ``overall.ai_likelihood`` on held-out-family evidence: the detector's logit and the signals that earn a place.

    .venv/bin/python -m vforensics.evaluation.fitting.fit_ai_likelihood [--write-report FILE.md] [--write]

The fit must see the detector as it behaves on a generator it does not know, so it never uses
the shipped network's logit on a family that network was trained on. Instead:

- **fit set**: the training-split images of every AI family, each with the logit of the
  leave-one-family-out network that never saw its family (the model card's ``fold_logits``,
  written by ``make train-model``), at most ``PER_FAMILY`` per family (seeded), against the
  real photos of the ``calib`` split with their mean logit over the folds;
- files stored as palette images are left out of both (``palette_stored``: a storage artefact
  of the GPT-4o data that the signals would learn as "AI");
- **test set**: the test split through the shipped model (AI test images, at most
  ``PER_FAMILY`` per family, and the real test photos): the figures.

On the fit set a class-balanced logistic regression starts from the logit alone and adds, one
at a time, the standardised signal of ``ai_frequency`` / ``ai_texture`` / ``ai_srm`` that lowers
the leave-one-out log-loss most, while the gain is at least ``MIN_GAIN`` (forward selection).
Its intercept is then lowered, if need be, until at most 5% of the fit set's real photos reach
"Likely AI" (``bands.false_alarm_shift``, as the detector's own calibration does).
The test split then says what the result is worth, beside the detector alone, the first
spec's threshold rules (the honest baseline) and each signal alone.

``--write`` stores the combination in layers/vforensics/vforensics/scoring/data/ai_likelihood.json,
which the aggregator reads.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers import ANALYZERS
from vforensics.analyzers.ai import model as ai_model
from vforensics.analyzers.ai.bands import CALLED_AI, FALSE_ALARM_SHARE, false_alarm_shift
from vforensics.evaluation.ai_data import DATA_LIST, available, media_of, path_of, read_data_list, scorable
from vforensics.evaluation.metrics import roc_auc
from vforensics.scoring.ai_likelihood import COMBINATION_FILE, SIGNAL_ANALYZERS, combined_likelihood, features

PER_FAMILY = 40  # AI images per family in the fit and in the test (SD 1.x alone has 900 tiles)
MIN_GAIN = 0.005  # leave-one-out log-loss a signal must save to be added (nats per image)
#: Real images the fit set must hold before a selected signal is trusted. The first
#: run selected two signals on its 12 real validation images and they lowered the test AUC on
#: unseen families from 0.96 to 0.70: with so few negatives the selection fits noise. Below
#: this count the combination keeps the detector's logit alone (and the report still shows
#: what the selection would have done).
MIN_REAL_FOR_SELECTION = 50
RIDGE = 1.0  # L2 penalty on the standardised weights
MAX_TERMS = 4


def held_out_logits(card: dict, rows: list[dict]) -> dict[int, float]:
    """Row index -> the logit of a network that did not see the image's family (AI), or the
    mean over the folds (real calib and test photos). The card lists each fold's logits in
    data-list order, leaving out pictures smaller than a crop (``training/ai_model/train.py``)."""
    out: dict[int, float] = {}
    folds = card.get("fold_logits", {})
    real = [i for i, r in enumerate(rows) if r["label"] == 0 and r["split"] in ("calib", "test") and scorable(r)]
    real_calib = [i for i in real if rows[i]["split"] == "calib"]
    real_test = [i for i in real if rows[i]["split"] == "test"]
    sums: dict[int, list[float]] = {}
    for family, fold in folds.items():
        members = [i for i, r in enumerate(rows) if r["family"] == family and scorable(r)]
        if len(members) != len(fold["ai_logits"]) or len(real_calib) != len(fold["real_calib_logits"]):
            raise SystemExit(f"the model card's fold logits do not match {DATA_LIST.name}: retrain the model")
        out.update(zip(members, fold["ai_logits"], strict=True))
        for i, v in zip(real_calib + real_test, fold["real_calib_logits"] + fold["real_test_logits"], strict=True):
            sums.setdefault(i, []).append(v)
    out.update({i: float(np.mean(v)) for i, v in sums.items()})
    return out


def palette_stored(row: dict) -> bool:
    """Files stored as a palette image (most GPT-4o PNGs of the data, by the repository that holds them).

    The signals read the pixels as stored: a 256-colour dithered palette leaves gaps in the
    histogram and changes the noise statistics, and in this data only AI files have it, so a
    fit that kept them would learn "palette = AI" (the first run picked
    ``ai_texture.histogram_gaps`` first: 49-175 gaps on GPT-4o files, 0-8 on everything else).
    They are left out of both the fit and the test here; the detector, which sees normalised
    crops, is measured on them in its own section.
    """
    with Image.open(path_of(row)) as img:
        return img.mode == "P"


def per_family(rows: list[tuple[int, dict]], limit: int = PER_FAMILY, seed: int = 0) -> list[tuple[int, dict]]:
    """At most ``limit`` AI rows per family (seeded choice); every real row."""
    rng = random.Random(seed)
    out: list[tuple[int, dict]] = []
    by_family: dict[str, list[tuple[int, dict]]] = {}
    for item in rows:
        if item[1]["label"] == 0:
            out.append(item)
        else:
            by_family.setdefault(item[1]["family"], []).append(item)
    for _, items in sorted(by_family.items()):
        out += sorted(rng.sample(items, min(limit, len(items))), key=lambda t: t[0])
    return out


def feature_rows(
    rows: list[tuple[int, dict]], logits: dict[int, float] | None = None
) -> tuple[list[dict[str, float]], np.ndarray, list[str]]:
    """Features of each row; ``model_logit`` replaced by ``logits[index]`` when given."""
    feats, labels, families = [], [], []
    for index, row in rows:
        media = media_of(row)
        names = SIGNAL_ANALYZERS if logits is not None else (ai_model.NAME, *SIGNAL_ANALYZERS)
        f = features({n: ANALYZERS[n](media).to_dict() for n in names})
        if logits is not None:
            if index not in logits:
                continue
            f["model_logit"] = logits[index]
        if "model_logit" not in f:
            continue  # too small for the detector
        feats.append(f)
        labels.append(row["label"])
        families.append(row["family"])
    return feats, np.array(labels, float), families


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Class-balanced, L2-penalised (not on the intercept) logistic regression by Newton steps."""
    weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum())) * len(y)
    xb = np.hstack([np.ones((len(x), 1)), x])
    penalty = ridge * np.eye(xb.shape[1])
    penalty[0, 0] = 0
    theta = np.zeros(xb.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(xb @ theta, -50, 50)))
        grad = xb.T @ (weight * (p - y)) + penalty @ theta
        hess = xb.T @ (xb * (weight * p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(xb.shape[1])
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta


def loo_loss(x: np.ndarray, y: np.ndarray) -> float:
    """Class-balanced mean log-loss of leave-one-out predictions."""
    losses = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        theta = fit_logistic(x[keep], y[keep])
        z = theta[0] + x[i] @ theta[1:]
        p = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
        losses.append(-np.log(max(p if y[i] == 1 else 1 - p, 1e-12)))
    loss = np.array(losses)
    return float(0.5 * loss[y == 1].mean() + 0.5 * loss[y == 0].mean())


def select(val: list[dict[str, float]], y: np.ndarray) -> tuple[list[str], list[dict]]:
    names = sorted({k for f in val for k in f} - {"model_logit"})
    names = [n for n in names if all(n in f for f in val)]
    chosen, log = ["model_logit"], []
    current = loo_loss(_matrix(val, chosen)[0], y)
    log.append({"features": list(chosen), "loo_log_loss": round(current, 4)})
    while len(chosen) < MAX_TERMS:
        trials = [(loo_loss(_matrix(val, [*chosen, n])[0], y), n) for n in names if n not in chosen]
        if not trials:
            break
        best_loss, best = min(trials)
        if current - best_loss < MIN_GAIN:
            log.append({"rejected_best": best, "loo_log_loss": round(best_loss, 4)})
            break
        chosen.append(best)
        current = best_loss
        log.append({"features": list(chosen), "loo_log_loss": round(current, 4)})
    return chosen, log


def _matrix(feats: list[dict[str, float]], names: list[str], stats=None):
    raw = np.array([[f[n] for n in names] for f in feats], float)
    if stats is None:
        stats = (raw.mean(axis=0), np.maximum(raw.std(axis=0), 1e-9))
    return (raw - stats[0]) / stats[1], stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"store the combination in {COMBINATION_FILE.name}")
    parser.add_argument("--write-report", type=Path, help="write the Markdown section here")
    args = parser.parse_args(argv)
    results = fit()
    if args.write:
        COMBINATION_FILE.write_text(json.dumps(results["combination"], indent=2) + "\n")
        print(f"wrote {COMBINATION_FILE}")
    text = report_markdown(results)
    print(text)
    if args.write_report:
        args.write_report.write_text(text, encoding="utf-8")
    return 0


def fit() -> dict:
    """The combination fitted on the held-out-family fit set, with the features of both sets
    (JSON-serialisable: ``report_markdown`` renders it, the benchmarks store it)."""
    path = ai_model.model_path()
    if path is None or not path.is_file():
        raise SystemExit("no model: run `make train-model` first")
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    rows = read_data_list(DATA_LIST)
    logits = held_out_logits(card, rows)
    present = {id(r) for r in available(rows)}
    indexed = [(i, r) for i, r in enumerate(rows) if id(r) in present and not palette_stored(r)]
    fit_rows = per_family(
        [(i, r) for i, r in indexed if (r["label"] == 1 and r["split"] == "train") or r["split"] == "calib"]
    )
    test_rows = per_family([(i, r) for i, r in indexed if r["split"] == "test"])
    val, y_val, _ = feature_rows(fit_rows, logits)
    test, y_test, fam_test = feature_rows(test_rows)
    selected, log = select(val, y_val)
    n_real = int((y_val == 0).sum())
    trusted = n_real >= MIN_REAL_FOR_SELECTION
    chosen = selected if trusted else ["model_logit"]
    x_val, (mean, scale) = _matrix(val, chosen)
    theta = fit_logistic(x_val, y_val)
    real_log_odds = theta[0] + x_val[y_val == 0] @ theta[1:]
    shift = false_alarm_shift(real_log_odds)
    target = np.log(CALLED_AI / (100.0 - CALLED_AI))
    combination = {
        "method": f"logistic regression of {', '.join(chosen)} fitted on held-out-family evidence ({len(val)} "
        "images: each AI image with the logit of the network trained without its family, real calibration "
        "photos; classes weighted equally"
        + (
            f"; intercept lowered by {-shift:.3f} so that at most {FALSE_ALARM_SHARE:.0%} of those real photos "
            f"reach {CALLED_AI:.0f}"
            if shift
            else ""
        )
        + "; vforensics.evaluation.fitting.fit_ai_likelihood)",
        "intercept": float(theta[0] + shift),
        "fitted_intercept": float(theta[0]),
        "false_alarm_shift": shift,
        "real_fit_called_ai": {
            "fitted": round(float(np.mean(real_log_odds >= target)), 4),
            "shipped": round(float(np.mean(real_log_odds + shift >= target)), 4),
        },
        "features": [
            {"name": n, "mean": float(m), "scale": float(s), "weight": float(w)}
            for n, m, s, w in zip(chosen, mean, scale, theta[1:], strict=True)
        ],
        "selection": log,
        "selection_used": trusted,
        "selection_note": (
            "forward selection used"
            if trusted
            else f"forward selection not used: {n_real} real fit images, fewer than {MIN_REAL_FOR_SELECTION}"
        ),
    }
    untrusted = None
    if not trusted and selected != chosen:
        x_sel, (m_sel, s_sel) = _matrix(val, selected)
        t_sel = fit_logistic(x_sel, y_val)
        untrusted = {
            "intercept": float(t_sel[0]),
            "features": [
                {"name": n, "mean": float(m), "scale": float(sc), "weight": float(w)}
                for n, m, sc, w in zip(selected, m_sel, s_sel, t_sel[1:], strict=True)
            ],
        }
    return {
        "combination": combination,
        "untrusted": untrusted,
        "val": val,
        "y_val": y_val.tolist(),
        "test": test,
        "y_test": y_test.tolist(),
        "families_test": fam_test,
    }


def report_markdown(results: dict) -> str:
    """The BENCHMARKS.md section of a ``fit()``'s results."""
    r = results
    lines = report(
        r["val"], np.array(r["y_val"], float), r["test"], np.array(r["y_test"], float), r["families_test"],
        r["combination"], r["untrusted"],
    )  # fmt: skip
    return "\n".join(lines) + "\n"


def report(val, y_val, test, y_test, fam_test, combination, untrusted=None) -> list[str]:
    combined = np.array([combined_likelihood(f, combination) for f in test])
    logit = np.array([f["model_logit"] for f in test])
    spec = np.array([f.get("spec_rules_score", 0.0) for f in test])
    real = y_test == 0

    def auc(scores: np.ndarray, labels: np.ndarray = y_test) -> str:
        value = roc_auc(list(scores[labels == 1]), list(scores[labels == 0]))
        return "n/a" if value is None else f"{value:.3f}"

    n_families = len({f for f, y in zip(fam_test, y_test, strict=True) if y == 1})

    def called(scores: np.ndarray) -> str:
        return f"{int(np.sum(scores[real] >= CALLED_AI))}/{int(real.sum())}"

    lines = [
        "### AI likelihood: the detector, the fitted combination and the spec's threshold rules "
        "(`python -m vforensics.evaluation.fitting.fit_ai_likelihood`)",
        "",
        f"Fit set ({len(val)} images: {int(y_val.sum())} AI with held-out-family logits, {int((y_val == 0).sum())} "
        f"real calibration photos); test split ({len(test)}: {int(y_test.sum())} AI of {n_families} "
        f"families, {int(real.sum())} real) for the figures, through the shipped model. {combination['method']}.",
        "",
        "| score | AUC, test split | real test photos called AI (>= 70) |",
        "|---|---|---|",
        f"| detector alone (`ai_model` logit) | {auc(logit)} | (its section above) |",
        f"| fitted combination (`overall.ai_likelihood`) | {auc(combined)} | {called(combined)} |",
        f"| first spec's threshold rules (`ai_frequency` score) | {auc(spec)} | {called(spec)} |",
    ]
    if untrusted:
        alt = np.array([combined_likelihood(f, untrusted) for f in test])
        names = "+".join(t["name"] for t in untrusted["features"])
        lines.append(f"| forward selection, not used ({names}) | {auc(alt)} | {called(alt)} |")
    lines += [
        "",
        f"{combination['selection_note'].capitalize()}.",
        "",
        "Forward selection on the fit set (leave-one-out log-loss): "
        + "; ".join(
            f"{'+'.join(s['features'])} {s['loo_log_loss']}"
            if "features" in s
            else f"best next {s['rejected_best']} {s['loo_log_loss']} (gain too small, stopped)"
            for s in combination["selection"]
        )
        + ".",
        "",
        "Each signal alone, its direction taken from the fit set (AUC 0.5 = chance):",
        "",
        "| signal | direction | AUC fit set | AUC test split |",
        "|---|---|---|---|",
    ]
    signals = sorted({k for f in val for k in f} - {"model_logit"})
    for name in signals:
        if not all(name in f for f in val) or not all(name in f for f in test):
            continue
        v = np.array([f[name] for f in val])
        direction = 1.0 if (roc_auc(list(v[y_val == 1]), list(v[y_val == 0])) or 0.5) >= 0.5 else -1.0
        t = direction * np.array([f[name] for f in test])
        lines.append(
            f"| {name} | {'higher' if direction > 0 else 'lower'} = AI | {auc(direction * v, y_val)} | {auc(t)} |"
        )
    lines.append("")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
