"""Images made by the tests themselves (bytes in memory), for formats and edge cases."""

import io

import numpy as np
from PIL import Image


def natural_rgb(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    """A smooth gradient scene with mild sensor-like noise (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([100 + 80 * np.sin(x / 90.0), 120 + 60 * np.cos(y / 70.0), 90 + 0.1 * x], axis=2)
    return np.clip(base + rng.normal(0, 3.0, base.shape), 0, 255).astype(np.uint8)


def encode(img: Image.Image | np.ndarray, fmt: str, **kwargs) -> bytes:
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()
