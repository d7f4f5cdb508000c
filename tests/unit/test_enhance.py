"""Enhancement views: present, shaped for people, never scored; the histogram summary."""

import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers import enhance
from vforensics.media.image import Media

from .images import encode, natural_rgb


@pytest.fixture(scope="module")
def photo_result(root):
    return enhance.analyze(Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes()))


def test_a_photo_gets_every_view_and_no_score(photo_result):
    r = photo_result
    assert r.status == "ok" and r.score is None and r.map is None
    assert set(r.views) == {"equalized", "edges", "gradient", "pca", "dct"} == set(r.details["views"])
    w, h = r.details["view_size"]
    for name in ("equalized", "gradient", "pca"):
        assert r.views[name].shape == (h, w, 3) and r.views[name].dtype == np.uint8, name
    assert r.views["edges"].shape == (h, w) and set(np.unique(r.views["edges"])) <= {0, 255}
    assert r.views["dct"].shape == tuple(reversed(r.details["dct_crop"])) == (968, 1024)
    assert r.details["histogram"]["outside_normal"] == []
    assert "do not count towards the score" in r.interpretation


def test_views_carry_contrast(photo_result):
    for name, view in photo_result.views.items():
        assert float(view.std()) > 10, name


def test_a_tone_stretch_leaves_a_comb_in_the_histogram(root):
    gray = np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("L"))
    stretched = np.clip((gray.astype(np.float32) - 40) * 1.6, 0, 255).astype(np.uint8)  # a levels adjustment
    plain, comb = (enhance.histogram_summary(g) for g in (gray, stretched))
    assert plain["empty_levels_in_range"] == 0
    assert comb["empty_levels_in_range"] > 50 and any("comb" in n for n in comb["outside_normal"])


def test_a_screenshot_like_image_is_flat_or_graphic_and_a_photo_is_not(photo_result):
    assert photo_result.details["content"]["flat_or_graphic"] is False
    screen = np.full((600, 800, 3), 245, np.uint8)
    screen[40:80, :] = (30, 60, 140)  # a title bar
    for y in range(120, 560, 24):
        screen[y : y + 10, 40 : 40 + (y * 7) % 600] = 20  # lines of "text"
    result = enhance.analyze(Media.from_bytes(encode(screen, "PNG")))
    content = result.details["content"]
    assert content["flat_or_graphic"] and content["flat_block_share"] > 0.6
    assert content["distinct_colours_in_sample"] <= 4


def test_histogram_peaks_are_counted_by_prominence():
    two_modes = np.concatenate([np.full(5000, 60), np.full(5000, 190)]).astype(np.uint8).reshape(100, 100)
    rng = np.random.default_rng(0)
    noisy = np.clip(two_modes + rng.normal(0, 6, two_modes.shape), 0, 255).astype(np.uint8)
    assert enhance.histogram_summary(noisy)["peak_count"] == 2


def test_the_dct_view_shows_the_jpeg_grid():
    """8x8 blocking marks the DCT spectrum at multiples of 1/8 cycle per pixel (index 128 of a
    512-sample DCT-II); an image never JPEG-compressed has no such lines."""

    def grid_contrast(data: bytes) -> float:
        dct = enhance.analyze(Media.from_bytes(data)).views["dct"].astype(np.float32)
        return abs(float(dct[128::128].mean() - dct[64::128].mean()))

    rgb = natural_rgb(512, 512)
    assert grid_contrast(encode(rgb, "JPEG", quality=30)) > 10
    assert grid_contrast(encode(rgb, "PNG")) < 3


@pytest.mark.parametrize(
    ("width", "height", "status"), [(1, 1, "skipped"), (7, 300, "skipped"), (20000, 8, "ok"), (8, 8, "ok")]
)
def test_tiny_and_extreme_shapes(width, height, status):
    media = Media.from_bytes(encode(natural_rgb(width, height), "PNG"))
    result = enhance.analyze(media)
    assert result.status == status
    if status == "ok":
        assert all(v.size > 0 for v in result.views.values())


@pytest.mark.parametrize("mode", ["I;16", "CMYK", "L", "RGBA"])
def test_unusual_pixel_formats_get_views(mode):
    base = Image.fromarray(natural_rgb(320, 240))
    if mode == "I;16":
        img = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
        data = encode(img, "PNG")
    else:
        data = encode(base.convert(mode), "JPEG" if mode in ("CMYK", "L") else "PNG")
    result = enhance.analyze(Media.from_bytes(data))
    assert result.status == "ok" and result.views["pca"].shape[2] == 3
