"""Every analyzer function's MemorySize holds its peak at the accepted limits (100 MB, 100 MP).

Each analyzer runs in a fresh interpreter, as its Lambda does: decode a 99.5-megapixel JPEG
(the largest image accepted), analyse, draw its maps, and report the process's peak resident
memory, which must stay under the function's ``memory_mb``. The decode of the formats that
expand most (RGBA and 16-bit PNG) is held to the smallest MemorySize of a decoding function.
This measures memory, not time: nothing here is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from cfnlint.decode import decode_str
from PIL import Image

from vforensics.analyzers.registry import ANALYZER_SPECS, SPECS

pytestmark = pytest.mark.slow

WIDTH, HEIGHT = 12_230, 8_135  # 99.5 MP, under the 100 MP limit

_CHILD = """
import json, resource, sys
from vforensics.media.image import Media, inspect_image
from vforensics.report import maps
data = open(sys.argv[1], "rb").read()
media = Media(data, inspect_image(data), "limit")
if sys.argv[2] != "-":
    from vforensics.analyzers.registry import spec_of
    result = spec_of(sys.argv[2]).load()(media)
    if result.map is not None:
        maps.gray_png(result.map, media.info.width, media.info.height)
        maps.heatmap_png(result.map, media.rgb)
else:
    media.rgb
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _textured(channels: int) -> np.ndarray:
    """Random 8x8 blocks: every block differs, so no analyzer takes a flat-image shortcut."""
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 256, (HEIGHT // 8 + 1, WIDTH // 8 + 1, channels), dtype=np.uint8)
    return np.kron(blocks, np.ones((8, 8, 1), np.uint8))[:HEIGHT, :WIDTH]


@pytest.fixture(scope="module")
def limit_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    rgb = _textured(3)
    Image.fromarray(rgb).save(folder / "limit.jpg", quality=90)
    Image.fromarray(np.dstack([rgb, rgb[:, :, :1]])).save(folder / "rgba.png", compress_level=1)
    Image.fromarray(rgb[:, :, 0].astype(np.uint16) * 257).save(folder / "gray16.png", compress_level=1)
    return folder


def _peak_mb(path, analyzer: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), analyzer],
        capture_output=True,
        text=True,
        timeout=600,
        env={"VF_EXIFTOOL": "off", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"]


@pytest.mark.parametrize("name", [spec.name for spec in ANALYZER_SPECS])
def test_each_analyzer_fits_its_memory_size_at_100_megapixels(limit_files, name):
    peak = _peak_mb(limit_files / "limit.jpg", name)
    assert peak < SPECS[name].memory_mb, f"{name}: {peak:.0f} MB at 99.5 MP, MemorySize {SPECS[name].memory_mb} MB"


@pytest.mark.parametrize("file_name", ["rgba.png", "gray16.png"])
def test_the_most_expanding_formats_decode_within_the_smallest_memory_size(limit_files, file_name):
    smallest = min(spec.memory_mb for spec in ANALYZER_SPECS)
    peak = _peak_mb(limit_files / file_name, "-")
    assert peak < smallest, f"{file_name}: {peak:.0f} MB to decode at 99.5 MP, smallest MemorySize {smallest} MB"


_API_CHILD = """
import json, resource, sys
from vforensics.media.image import Media
from vforensics.report.comparison import compare
from vforensics.report.metadata import metadata_report
data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "compare":
    compare(Media.from_bytes(data, "a"), Media.from_bytes(data, "b"))
else:
    assert "error" not in metadata_report(data, "limit")
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.mark.parametrize("file_name", ["limit.jpg", "rgba.png"])
@pytest.mark.parametrize("route", ["compare", "metadata"])
def test_the_api_synchronous_routes_fit_the_api_memory_size_at_100_megapixels(limit_files, root, route, file_name):
    """POST /compare (both files at the limit) and POST /metadata run inside ApiFunction."""
    template, _ = decode_str((root / "template.yaml").read_text())
    memory_mb = template["Resources"]["ApiFunction"]["Properties"]["MemorySize"]
    done = subprocess.run(
        [sys.executable, "-c", _API_CHILD, str(limit_files / file_name), route],
        capture_output=True,
        text=True,
        timeout=600,
        env={"VF_EXIFTOOL": "off", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak = json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"]
    assert peak < memory_mb, f"/{route} on {file_name}: {peak:.0f} MB at 99.5 MP, ApiFunction has {memory_mb} MB"
