"""Benchmark of the AI-image detector on its held-out files: accuracy, false alarms, speed, image.

    .venv/bin/python -m vforensics.evaluation.benchmarks.ai_model [--write FILE.md] [--json FILE.json]

Runs the ``ai_model`` analyzer exactly as the pipeline does (Media from the file's bytes;
the 512 px images cut from the sd15 grids are handed over as lossless PNG) on the test
split of training/ai_model/data_list.csv, never seen in training or model selection:

- seen families: held-out files of the families trained on (sd15, ml72-diffusion1);
- unseen families: ml72-diffusion2 and ml72-gan, never trained on;
- real: held-out camera originals and web photos.

It also reruns the real test photos saved as WebP (sd15 arrived as WebP, so a detector
that learned "WebP" would fire here), and the AI test images downscaled to half size (the
known way to erase up-sampling traces), and times the model on one core.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers.ai import model as ai_model
from vforensics.evaluation.ai_data import BENCH, DATA_LIST, UNSEEN_AI, media_of, read_data_list
from vforensics.evaluation.benchmarks._section import REPO, Context, section_main
from vforensics.evaluation.metrics import roc_auc
from vforensics.media.image import Media

NAME = "ai-model"
ISOLATED = True  # times the model, and sets VF_ONNX_THREADS

LIKELY_AI = 70.0  # "Likely AI" and "Very Likely AI"
#: More real photos the detector never saw (published forgery sets' untouched images).
EXTRA_REAL = {
    "CASIA v1 authentic (384x256 PNG, downscaled)": ("forgeries", "*-casia1-samples/authentic/*"),
    "NoSo originals (1024x768 PNG)": ("forgeries", "copymove-noso/[0-9][0-9].png"),
}
LATENCY_IMAGE = BENCH / "camera" / "mdx__Nikon_D90.jpg"


def _encode(rgb: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **options)
    return buf.getvalue()


SKIPPED: list[str] = []


def score(media: Media) -> float | None:
    result = ai_model.analyze(media)
    if result.status != "ok":
        SKIPPED.append(f"{media.filename} ({result.interpretation})")
        return None
    assert result.score is not None  # the detector scores every image it analyses
    return float(result.score)


def evaluate(rows: list[dict]) -> dict[str, list[float]]:
    """AI likelihood per test image, by family; plus the two stress variants."""
    out: dict[str, list[float]] = {}
    for row in rows:
        media = media_of(row)
        if (value := score(media)) is None:
            continue
        out.setdefault(row["family"], []).append(value)
        if row["label"] == 0:
            webp = Media.from_bytes(_encode(media.rgb, "WEBP", quality=80), "as.webp")
            out.setdefault(f"{row['family']} as WebP q80", []).append(score(webp) or 0.0)
        else:
            h, w = media.rgb.shape[:2]
            half = np.asarray(Image.fromarray(media.rgb).resize((w // 2, h // 2), Image.Resampling.LANCZOS))
            if min(half.shape[:2]) >= 128:
                small = Media.from_bytes(_encode(half, "PNG"), "half.png")
                out.setdefault("AI downscaled 50%", []).append(score(small) or 0.0)
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

    batch, _ = normalise.inference_batch(rgb, card["input"])
    run_ms, prep_ms, whole_ms = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        b, _ = normalise.inference_batch(rgb, card["input"])
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


def section(
    scores: dict[str, list[float]],
    card: dict,
    lat: dict,
    cold: dict,
    model_bytes: int,
    extra: dict[str, list[float]],
    skipped: list[str],
    cores: int | None,
) -> list[str]:
    real = scores.get("camera", []) + scores.get("real-web", [])
    real_webp = scores.get("camera as WebP q80", []) + scores.get("real-web as WebP q80", [])
    seen = scores.get("sd15", []) + scores.get("ml72-diffusion1", [])
    unseen = [v for f in UNSEEN_AI for v in scores.get(f, [])]
    t = card["training"]
    lines = [
        "## AI-generated image detector (`python -m vforensics.evaluation.benchmarks.ai_model`)",
        "",
        f"The `ai_model` analyzer ({card['model']}, {card['parameters'] / 1e6:.1f} M parameters, input "
        f"`{card['input']}`, up to {card['max_crops']} crops of {card['crop']} px, JPEG q{card['inference_quality']} "
        f"normalisation) on the test split of `{card['data_list']}`: files never used in training or model "
        f"selection. Trained by `{t['command'].strip()}` (seed {t['seed']}, {t['steps']} steps, best at "
        f"{t['best_step']}, {t['seconds']} s on {t['threads']} CPU threads, torch {t['torch']}); validation AUC "
        f"{card['val_auc']:.3f}. Score = calibrated probability x 100; 'called AI' = Likely AI or Very Likely AI "
        f"(>= {LIKELY_AI:.0f}).",
        "",
        "| AI test images | n | real test images | n | ROC AUC | AI called AI |",
        "|---|---|---|---|---|---|",
        f"| seen families (sd15, ml72-diffusion1) | {len(seen)} | camera + real-web | {len(real)} | "
        f"{_auc(seen, real)} | {_rate(seen)} |",
    ]
    for family in UNSEEN_AI:
        fam = scores.get(family, [])
        lines.append(
            f"| unseen: {family} | {len(fam)} | camera + real-web | {len(real)} | {_auc(fam, real)} | {_rate(fam)} |"
        )
    web = scores.get("real-web", [])
    small = scores.get("AI downscaled 50%", [])
    lines += [
        f"| unseen: both ml72 families | {len(unseen)} | camera + real-web | {len(real)} | {_auc(unseen, real)} | "
        f"{_rate(unseen)} |",
        f"| unseen: both ml72 families | {len(unseen)} | real-web only (same subjects) | {len(web)} | "
        f"{_auc(unseen, web)} | |",
        f"| seen families | {len(seen)} | real test photos saved as WebP q80 | {len(real_webp)} | "
        f"{_auc(seen, real_webp)} | |",
        f"| all AI test images downscaled to 50% | {len(small)} | camera + real-web | {len(real)} | "
        f"{_auc(small, real)} | {_rate(small)} |",
        "",
        f"Not scored (smaller than a crop): {'; '.join(skipped) or 'none'}.",
        "",
        f"Real photos called AI: camera test originals {_rate(scores.get('camera', []))}, web photos "
        f"{_rate(web)}, the same saved as WebP q80: {_rate(real_webp)}. Other real photos it never saw: "
        + "; ".join(
            f"{label} {_rate(values)}, AUC against the seen families {_auc(seen, values)}"
            for label, values in extra.items()
        )
        + ".",
        "",
        f"Speed, one thread ({cores} cores on the machine), {lat['image']} ({lat['size']}, "
        f"{lat['megapixels']} MP, decode not included): the model on its {lat['crops']} crops "
        f"{lat['model_ms']:.0f} ms (median of 15), the crops' normalisation {lat['normalise_ms']:.0f} ms, the "
        f"whole analyzer {lat['analyzer_ms']:.0f} ms. Cold start in a fresh interpreter: `import onnxruntime` "
        f"{1000 * cold['import_s']:.0f} ms, session load {1000 * cold['load_s']:.0f} ms (medians of 5). "
        f"Model file {model_bytes / 1e6:.1f} MB.",
        "",
    ]
    return lines


def add_arguments(parser) -> None:
    parser.add_argument("--model", type=Path, help="ONNX file to measure (default: the pipeline's)")
    parser.add_argument("--no-image", action="store_true", help="skip the image-contents table (needs PyPI)")


def run(context: Context, model: Path | None = None, no_image: bool = False) -> dict:
    """Scores of the held-out files and their variants, speed, cold start, and the image's contents."""
    if model:
        os.environ["VF_AI_MODEL"] = str(model.resolve())
    path = ai_model.model_path()
    if path is None or not path.is_file():
        raise SystemExit("no model: run `make train-model` first")
    card = json.loads(path.with_suffix(".json").read_text())
    rows = [r for r in read_data_list(DATA_LIST) if r["split"] == "test"]
    started = time.perf_counter()
    scores = evaluate(rows)
    print(f"scored {len(rows)} test images and their variants in {time.perf_counter() - started:.0f} s")
    return {
        "scores": scores,
        "card": card,
        "latency": latency(),
        "cold_start": cold_start(),
        "model_bytes": path.stat().st_size,
        "extra_real": extra_real(),
        "skipped": list(SKIPPED),
        "cores": os.cpu_count(),
        "image_sizes": None if no_image else image_sizes(),
    }


def to_markdown(results: dict) -> str:
    r = results
    lines = section(
        r["scores"],
        r["card"],
        r["latency"],
        r["cold_start"],
        r["model_bytes"],
        r["extra_real"],
        r["skipped"],
        r["cores"],
    )
    if r["image_sizes"] is not None:
        lines += image_contents(r["image_sizes"])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
