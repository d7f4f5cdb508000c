"""AUC per generator family of any AI-detector model, against real photos that no model of the project trained on.

    VF_AI_MODEL=path/to/ai_detector.onnx .venv/bin/python studies/ai_model_by_family.py

For a before/after of the detector (issue 20): the model as it was before the families of
../shared/bench/ai/SOURCES.csv joined its data (git show 46b7f82:functions/model/ai_detector.onnx,
with its .json beside it) never saw any of those families, so every one of their images is
unseen by it. The negatives are the real photos of the gathered sources' test split (COCO,
OpenImages, Flickr, ADE20K, ImageNet, FFHQ), which neither the old nor the new model trained on.
Both run through the ``ai_model`` analyzer exactly as the pipeline does. Needs the gathered
sources (``make gather-ai``).
"""

from __future__ import annotations

import sys

from vforensics.analyzers.ai import model as ai_model
from vforensics.evaluation.ai_data import DATA_LIST, available, media_of, read_data_list
from vforensics.evaluation.metrics import roc_auc


def main() -> int:
    rows = available(read_data_list(DATA_LIST))
    real = [r for r in rows if r["root"] == "sources" and r["label"] == 0 and r["split"] == "test"]
    ai = [r for r in rows if r["root"] == "sources" and r["label"] == 1]
    if not real:
        raise SystemExit("the gathered sources are not here: make gather-ai")

    def scores(selected: list[dict]) -> list[float]:
        out = []
        for row in selected:
            result = ai_model.analyze(media_of(row))
            if result.status == "ok" and result.score is not None:
                out.append(float(result.score))
        return out

    negatives = scores(real)
    called = sum(v >= 70 for v in negatives)
    print(f"model {ai_model.model_path()}")
    print(f"real test photos of the sources: {len(negatives)}, called Likely/Very Likely AI: {called}")
    print("| family | images | AUC | called AI |")
    print("|---|---|---|---|")
    pooled = []
    for family in sorted({r["family"] for r in ai}):
        values = scores([r for r in ai if r["family"] == family])
        pooled += values
        auc = roc_auc(values, negatives)
        print(f"| {family} | {len(values)} | {auc:.3f} | {sum(v >= 70 for v in values)} |")
    print(f"| all | {len(pooled)} | {roc_auc(pooled, negatives):.3f} | {sum(v >= 70 for v in pooled)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
