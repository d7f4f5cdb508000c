"""Fixtures shared by the unit tests: the project's sample photo (samples/iphone4.jpg).

Modules that define a fixture of the same name use their own."""

import io

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def photo_bytes(root) -> bytes:
    return (root / "samples" / "iphone4.jpg").read_bytes()


@pytest.fixture(scope="module")
def photo(photo_bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(photo_bytes)).convert("RGB"))
