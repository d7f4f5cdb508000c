"""The test images: the bench camera JPEG resized to the sizes measured, or a synthetic scene."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vforensics.evaluation.perf._common import REPO, Log, _stderr

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.

DEFAULT_IMAGE = REPO.parent / "shared" / "bench" / "camera" / "mdx__Nikon_D90.jpg"
DEFAULT_MEGAPIXELS = (1.0, 12.0, 24.0)
JPEG_QUALITY = 90  # re-encoding quality of the resized test images


def synthetic_rgb(width: int, height: int, seed: int = 0):
    """A natural-looking test scene: smooth gradients, soft shapes, texture and sensor-like noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 90 + 70 * np.sin(6.0 * x + 1.0) * np.cos(3.0 * y)
    img[..., 1] = 110 + 60 * np.cos(5.0 * y + 0.5) + 20 * x
    img[..., 2] = 80 + 90 * y * (1 - x) + 30 * np.sin(20.0 * x * y)
    for _ in range(12):  # soft-edged discs, drawn inside their bounding boxes only
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.03, 0.15)
        x0, x1 = max(0, int((cx - r) * width)), min(width, int((cx + r) * width) + 1)
        y0, y1 = (
            max(0, int((cy - r * width / height) * height)),
            min(height, int((cy + r * width / height) * height) + 1),
        )
        xs, ys = x[:, x0:x1], y[y0:y1, :]
        disc = np.clip((r - np.sqrt((xs - cx) ** 2 + ((ys - cy) * height / width) ** 2)) * 200, 0, 1)
        img[y0:y1, x0:x1] += disc[..., None] * rng.uniform(-60, 60, 3).astype(np.float32)
    img += 8 * np.sin(np.float32(250.0) * x + np.float32(40.0) * y)[..., None]  # fine texture
    img += rng.normal(0.0, 2.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _jpeg_bytes(rgb, quality: int = JPEG_QUALITY, exif: bytes | None = None) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    kwargs: dict[str, Any] = {"quality": quality}
    if exif:
        kwargs["exif"] = exif
    Image.fromarray(rgb).save(buf, format="JPEG", **kwargs)
    return buf.getvalue()


def prepare_images(
    images: Sequence[Path] | None,
    workdir: Path,
    megapixels: Sequence[float] = DEFAULT_MEGAPIXELS,
    log: Log = _stderr,
) -> list[dict[str, Any]]:
    """The test images: ``images`` as they are, or about ``megapixels`` MP made from the
    12 MP Nikon D90 JPEG of ../shared/bench (a synthetic scene when that is absent), resized
    (INTER_AREA down, INTER_CUBIC up) and re-encoded as JPEG q=90 with the source's EXIF."""
    import cv2
    from PIL import Image

    if images:
        out = []
        for path in images:
            with Image.open(path) as im:
                w, h = im.size
            out.append(_image_entry(Path(path), w, h, "as given"))
        return out

    if DEFAULT_IMAGE.is_file():
        source_path, note = DEFAULT_IMAGE, f"camera JPEG {DEFAULT_IMAGE.name} (../shared/bench)"
        with Image.open(source_path) as im:
            exif = im.info.get("exif")
            rgb = _pil_rgb(im)
    else:
        log(f"{DEFAULT_IMAGE} not found: using a synthetic 4288x2848 scene (gradients, shapes, noise)")
        rgb, exif = synthetic_rgb(4288, 2848, seed=12), None
        source_path = workdir / "synthetic_12mp.jpg"
        source_path.write_bytes(_jpeg_bytes(rgb))
        note = "synthetic scene (../shared/bench absent), JPEG q=90"
    h0, w0 = rgb.shape[:2]
    mp0 = w0 * h0 / 1e6
    out = []
    for target in megapixels:
        if abs(target - mp0) / mp0 < 0.1:
            out.append(_image_entry(source_path, w0, h0, note))
            continue
        scale = math.sqrt(target * 1e6 / (w0 * h0))
        w, h = max(16, round(w0 * scale)), max(16, round(h0 * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        path = workdir / f"{source_path.stem}_{target:g}mp.jpg"
        path.write_bytes(_jpeg_bytes(cv2.resize(rgb, (w, h), interpolation=interp), exif=exif))
        how = "downsampled (INTER_AREA)" if scale < 1 else "UPSAMPLED (INTER_CUBIC; no real detail beyond the source)"
        out.append(_image_entry(path, w, h, f"{how} from {w0}x{h0}, JPEG q={JPEG_QUALITY}; {note}"))
    return out


def _pil_rgb(im):
    import numpy as np

    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _image_entry(path: Path, width: int, height: int, note: str) -> dict[str, Any]:
    return {
        "path": str(path),
        "file_name": path.name,
        "width": width,
        "height": height,
        "megapixels": round(width * height / 1e6, 2),
        "bytes": path.stat().st_size,
        "note": note,
    }
