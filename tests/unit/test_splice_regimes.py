"""The splice_regimes benchmark section: splice maps scored per compression regime."""

from __future__ import annotations

import json

import cv2
import numpy as np

from vforensics.evaluation.benchmarks import splice_regimes as regimes


def _case(work, name: str, last_quality: int, host_quality: int, jpeg_map: np.ndarray | None, mask: np.ndarray):
    cv2.imwrite(str(work / "synth" / "masks" / f"{name}.png"), mask)
    maps = work / "eval-synth" / "outputs" / f"images__splice__{name}" / "maps"
    maps.mkdir(parents=True)
    if jpeg_map is not None:
        cv2.imwrite(str(maps / "jpeg.png"), jpeg_map)
    cv2.imwrite(str(maps / "noise.png"), 255 - mask)  # marks everything but the region: F1 0
    params = json.dumps({"source_quality": host_quality}).replace('"', '""')
    return f'images/splice/{name}.jpg,splice,masks/{name}.png,{name}.jpg,{last_quality},"{params}",\n'


def test_maps_are_scored_per_regime_from_stored_outputs(tmp_path):
    (tmp_path / "synth" / "masks").mkdir(parents=True)
    mask = np.zeros((64, 96), np.uint8)
    mask[16:40, 20:60] = 255
    rows = [
        _case(tmp_path, "finer", 92, 85, mask, mask),  # the map is the mask: F1 1
        _case(tmp_path, "coarser", 80, 95, None, mask),  # no jpeg map: counts 0
    ]
    header = "file,class,mask,source,quality,params,expected_flags\n"
    (tmp_path / "synth" / "cases.csv").write_text(header + "".join(rows))

    scores = regimes.case_scores(tmp_path)
    assert [(r, round(s["jpeg"], 2), round(s["noise"], 2)) for r, s in scores] == [
        (regimes.REGIMES[0], 1.0, 0.0),
        (regimes.REGIMES[1], 0.0, 0.0),
    ]
    table = regimes.to_markdown({"scores": scores})
    assert f"| {regimes.REGIMES[0]} | 1 | 1.00 |" in table
    assert "| all splices | 2 | 0.50 |" in table
