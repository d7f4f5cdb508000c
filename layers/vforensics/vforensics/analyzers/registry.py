"""Every analyzer, declared once: what it is, what it applies to and how it is deployed.

The pipeline runs an analyzer by its name (:func:`get_analyzer`); ``tools/generate_deployment.py``
writes from these declarations the state machine's Analyze branches, the analyzer functions,
log groups, substitutions and invoke policies of template.yaml, and ``events/analyzer-*.json``;
the embedded engine deploys the same functions (``vforensics.local.deployment``). A test
fails when a generated file is out of date. docs/ADDING_AN_ANALYZER.md gives the steps.

An analyzer's module is imported only when it is first run, so each Lambda function loads
just its own analyzer (and, for ``ai_model``, onnxruntime only where it is installed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from vforensics.analyzers.base import AnalyzerResult
    from vforensics.media.image import Media

MediaKind = Literal["image", "video"]
Package = Literal["zip", "image"]
Analyze = Callable[["Media"], "AnalyzerResult"]

#: The shared library layer and the C2PA layer, by their template.yaml logical ids.
LIBRARY_LAYER = "VForensicsLayer"
C2PA_LAYER = "C2paLayer"


@dataclass(frozen=True)
class ContainerImage:
    """How a container-image function is built (SAM ``Metadata``)."""

    dockerfile: str  # relative to the repository root, the Docker context
    tag: str


@dataclass(frozen=True)
class AnalyzerSpec:
    """One analyzer: its stable name, its code, the media it applies to and its Lambda settings."""

    name: str  # report.json key, map file names, the state machine's payload
    module: str  # the module whose ``analyze(media) -> AnalyzerResult`` runs it
    description: str  # one line: the Lambda function's description
    kinds: tuple[MediaKind, ...] = ("image",)
    package: Package = "zip"
    memory_mb: int = 1024  # >= 1.2x the peak measured at the accepted limits (tests/infra/test_memory_at_limits.py)
    timeout_s: int = 120
    layers: tuple[str, ...] = (LIBRARY_LAYER,)  # zip functions only; an image carries its own
    localises: bool = False  # writes a suspicion map
    scores: bool = True  # gives a 0-100 score; False: statistics or views for people only
    image: ContainerImage | None = None  # for package "image"
    comment: str = ""  # why it is deployed as it is, written above it in template.yaml

    @property
    def logical_id(self) -> str:
        """``ela`` -> ``AnalyzerElaFunction``; ``copy_move`` -> ``AnalyzerCopyMoveFunction``."""
        return "Analyzer" + "".join(part.title() for part in self.name.split("_")) + "Function"

    @property
    def state_name(self) -> str:
        """The state machine's Task state: ``copy_move`` -> ``AnalyzeCopyMove``."""
        return "Analyze" + self.logical_id.removeprefix("Analyzer").removesuffix("Function")

    def load(self) -> Analyze:
        analyze: Analyze = importlib.import_module(self.module).analyze
        return analyze


ANALYZER_SPECS: tuple[AnalyzerSpec, ...] = (
    AnalyzerSpec(
        "metadata",
        "vforensics.analyzers.metadata",
        "Metadata analyzer (EXIF/XMP/IPTC/C2PA, thumbnail, structure, flags)",
        memory_mb=1536,
        layers=(LIBRARY_LAYER, C2PA_LAYER),
        localises=True,
        comment="The only function with the C2PA layer (c2pa-python): beside the library layer it "
        "would leave the other functions too little room.",
    ),
    AnalyzerSpec(
        "ela",
        "vforensics.analyzers.ela",
        "Error level analysis (ELA) analyzer",
        memory_mb=2048,
        localises=True,
    ),
    AnalyzerSpec(
        "noise",
        "vforensics.analyzers.noise",
        "Noise residual inconsistency analyzer",
        memory_mb=2048,
        localises=True,
    ),
    AnalyzerSpec(
        "jpeg",
        "vforensics.analyzers.jpeg",
        "JPEG compression-history analyzer (tables, grid, double compression, ghost)",
        memory_mb=2048,
        localises=True,
    ),
    AnalyzerSpec(
        "copy_move",
        "vforensics.analyzers.copy_move",
        "Copy-move (cloned region) analyzer",
        memory_mb=2048,
        localises=True,
    ),
    AnalyzerSpec(
        "cfa",
        "vforensics.analyzers.cfa",
        "Demosaicing (CFA) trace consistency analyzer",
        memory_mb=1536,
        localises=True,
    ),
    AnalyzerSpec(
        "enhance",
        "vforensics.analyzers.enhance",
        "Enhancement views for people (equalised, edges, gradient, PCA, DCT); never scored",
        memory_mb=1792,
        scores=False,
    ),
    AnalyzerSpec(
        "ai_model",
        "vforensics.analyzers.ai.model",
        "AI-generated image detector (ResNet-18, ONNX Runtime) in a container image",
        package="image",
        memory_mb=2048,
        layers=(),
        image=ContainerImage("functions/model/Dockerfile", "python3.12-v1"),
        comment="A container image (functions/model/Dockerfile) because onnxruntime does not fit beside "
        "OpenCV in a zip function; it runs the same generic analyzer handler, with the ONNX model "
        "baked into the image.",
    ),
    AnalyzerSpec(
        "ai_frequency",
        "vforensics.analyzers.ai.frequency",
        "AI-generation signals: spectrum statistics and the first spec's threshold rules",
        memory_mb=1536,
        localises=True,
    ),
    AnalyzerSpec(
        "ai_texture",
        "vforensics.analyzers.ai.texture",
        "AI-generation signals: texture, colour and pixel statistics (not scored)",
        memory_mb=1536,
        scores=False,
    ),
    AnalyzerSpec(
        "ai_srm",
        "vforensics.analyzers.ai.srm",
        "AI-generation signals: noise residual and SRM statistics (not scored)",
        memory_mb=1536,
        scores=False,
    ),
)

SPECS: dict[str, AnalyzerSpec] = {spec.name: spec for spec in ANALYZER_SPECS}


def spec_of(name: str) -> AnalyzerSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown analyzer {name!r}; known: {', '.join(sorted(SPECS))}") from None


def get_analyzer(name: str) -> Analyze:
    """The ``analyze`` function of analyzer ``name`` (its module imported on first use)."""
    return spec_of(name).load()


def names_for(kind: MediaKind) -> tuple[str, ...]:
    """The analyzers that run on media of ``kind``, in declaration order."""
    return tuple(spec.name for spec in ANALYZER_SPECS if kind in spec.kinds)
