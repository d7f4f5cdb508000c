"""Which AI generator made a file, where the file itself says so: the ``ai_generator_tag`` evidence.

Sources, in the order they are trusted (the first that speaks wins):

- ``c2pa``: a C2PA manifest whose ``c2pa.actions`` declare the IPTC digital source type
  ``trainedAlgorithmicMedia`` (or ``compositeWithTrainedAlgorithmicMedia``, AI edits of other
  media); the generator is the action's ``softwareAgent`` (e.g. "GPT-4o", "DALL·E"), else the
  claim generator. A manifest without such an action is a tag only when its claim generator or
  an action's software agent names a known generator.
- ``png_text``: ComfyUI's ``prompt`` (the API graph: checkpoint / UNet loader nodes name the
  model file) or, without it, ``workflow`` (the UI graph); Automatic1111-style ``parameters``
  (Forge, SD.Next and Civitai write the same settings line, ``Steps: ..., Model: ...``) or the
  JSON ``parameters`` of SwarmUI and Fooocus; InvokeAI's ``invokeai_metadata`` / ``sd-metadata`` /
  ``Dream``.
- ``exif_comment``: Automatic1111-style parameters in the EXIF UserComment (its JPEG and WebP output).
- ``iptc``: XMP ``Iptc4xmpExt:DigitalSourceType`` ``trainedAlgorithmicMedia`` (IPTC NewsCodes);
  the generator is ``Iptc4xmpExt:AISystemUsed`` (IPTC 2025.1) or a software field, when given.
- ``software``: EXIF Software / Artist / Make / Model, XMP CreatorTool or PNG ``Software`` text
  naming a generator (whole words: a "Gemini11" camera model is not Google Gemini).
- last, the digital source type's name anywhere in the first bytes (a C2PA manifest that
  c2pa-python could not read, an XMP packet the reader missed): ``iptc`` without a generator.

The model file named by a workflow is mapped to its family ("Flux.1", "SD3", "SD3.5", "SDXL",
"Stable Cascade", "SD 1.x", "SD 2.x", ...) only where the name follows the base model's release
naming (``flux1-dev``, ``sd_xl_base_1.0``, ``v1-5-pruned-emaonly``) or the loader's config names
the architecture (``v1-inference.yaml``); a fine-tune's own name (``Anything-V3.0``) is reported
as the file name, family unknown. A name is what the file says, not proof: metadata can be
forged or copied onto any picture.

Everything read here is untrusted: texts over ``MAX_TEXT_CHARS`` are skipped (and reported), JSON
is parsed by the json module only, walks are bounded (``MAX_NODES``), and no regular expression
with nested quantifiers touches the texts (the one pattern, ``GENERATORS``, runs on fields cut
to ``MAX_FIELD_CHARS``). Names copied into sentences are cut and stripped of non-printable
characters.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from vforensics.analyzers.metadata._content_credentials import AI_SOURCE_TYPES

#: Texts longer than this (characters; a large ComfyUI workflow is a few hundred kB) are not parsed.
MAX_TEXT_CHARS = 4_000_000
#: Nodes of a ComfyUI graph looked at, models reported, characters of a name or field kept.
MAX_NODES = 10_000
MAX_MODELS = 8
MAX_NAME_CHARS = 120
MAX_FIELD_CHARS = 300
#: How far into the file the last-resort byte search for a digital source type looks.
BYTE_SEARCH_LIMIT = 4_000_000

#: names of image generators, whole words only (a "Gemini11" camera model is not Google Gemini)
GENERATORS = re.compile(
    r"\b(?:dall[-·\s]?e|midjourney|stable[\s_-]?diffusion|firefly|imagen|novelai|comfyui|automatic1111|"
    r"invokeai|leonardo\.ai|dreamstudio|bing image creator|flux\.1|gpt-4o|gpt-image|openai|chatgpt|ideogram|"
    r"nightcafe|google gemini|runway gen-?\d)\b",
    re.IGNORECASE,
)
#: display names of GENERATORS' matches, keyed by the match in lower case without non-letters/digits
_DISPLAY = {
    "dalle": "DALL-E",
    "midjourney": "Midjourney",
    "stablediffusion": "Stable Diffusion",
    "firefly": "Adobe Firefly",
    "imagen": "Imagen",
    "novelai": "NovelAI",
    "comfyui": "ComfyUI",
    "automatic1111": "Automatic1111",
    "invokeai": "InvokeAI",
    "leonardoai": "Leonardo.Ai",
    "dreamstudio": "DreamStudio",
    "bingimagecreator": "Bing Image Creator",
    "flux1": "Flux.1",
    "gpt4o": "GPT-4o",
    "gptimage": "gpt-image",
    "openai": "OpenAI",
    "chatgpt": "ChatGPT",
    "ideogram": "Ideogram",
    "nightcafe": "NightCafe",
    "googlegemini": "Google Gemini",
}
#: Model families by pieces of their release file names, checked in this order on the name in
#: lower case with "_" and " " turned into "-" (plain substring tests, first hit wins).
MODEL_FAMILIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("flux2", "flux.2", "flux-2"), "Flux.2"),
    (("flux",), "Flux.1"),
    (("stable-cascade", "stablecascade", "cascade-stage"), "Stable Cascade"),
    (("sd3.5", "sd35", "sd3-5", "stable-diffusion-3.5"), "SD3.5"),
    (("sd3", "stable-diffusion-3"), "SD3"),
    (("sdxl", "sd-xl", "stable-diffusion-xl"), "SDXL"),
    (("v2-1-", "v2-0-", "sd-v2", "sd21", "sd2.1", "sd20", "sd2.0", "stable-diffusion-2", "512-base-ema"), "SD 2.x"),
    (("768-v-ema", "512-depth-ema", "v2-inference"), "SD 2.x"),
    (("v1-5-pruned", "v1-4-pruned", "sd-v1-", "sd15", "sd1.5", "sd-1.5"), "SD 1.x"),
    (("stable-diffusion-v1", "stable-diffusion-1", "v1-inference"), "SD 1.x"),
    (("pixart",), "PixArt"),
    (("hunyuan",), "Hunyuan"),
    (("kolors",), "Kolors"),
    (("auraflow",), "AuraFlow"),
    (("hidream",), "HiDream"),
    (("qwen-image",), "Qwen-Image"),
    (("lumina",), "Lumina"),
)
#: ComfyUI CLIP loader ``type`` values that name the architecture (used when no model name is known).
_CLIP_TYPES = {"flux": "Flux.1", "sd3": "SD3", "stable_cascade": "Stable Cascade", "sdxl": "SDXL"}
#: InvokeAI base model identifiers.
_INVOKE_BASES = {"sd-1": "SD 1.x", "sd-2": "SD 2.x", "sdxl": "SDXL", "sdxl-refiner": "SDXL", "sd-3": "SD3"}
_MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft", ".gguf")
#: ComfyUI node inputs that name the diffusion model (not LoRAs, VAEs, text encoders or upscalers).
_MODEL_INPUTS = ("ckpt_name", "unet_name", "model_path")


@dataclasses.dataclass(frozen=True)
class GeneratorEvidence:
    """What the file says about its generator, and the flag's sentence."""

    source: str  # c2pa | png_text | exif_comment | iptc | software
    field: str  # where it was read, e.g. "PNG text 'prompt'"
    sentence: str
    generator: str | None = None  # the tool and model in words, e.g. "ComfyUI, flux1-dev.safetensors"
    family: str | None = None  # e.g. "Flux.1", "SDXL", "GPT-4o"; None when the names do not tell
    models: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "family": self.family,
            "models": self.models,
            "source": self.source,
            "field": self.field,
        }


def find(
    exif: dict[str, Any],
    xmp: dict[str, Any],
    texts: dict[str, str],
    credentials: dict[str, Any],
    data: bytes,
    user_comment: str | None = None,
) -> tuple[GeneratorEvidence | None, list[str]]:
    """The strongest generator evidence of a file (or None) and warnings about texts not parsed."""
    usable, warnings = _bounded(texts)
    if user_comment is not None and len(user_comment) > MAX_TEXT_CHARS:
        warnings.append(f"EXIF UserComment ({len(user_comment):,} characters) not parsed: over {MAX_TEXT_CHARS:,}")
        user_comment = None
    comment = user_comment
    readers: tuple[Callable[[], GeneratorEvidence | None], ...] = (
        lambda: _from_c2pa(credentials),
        lambda: _from_png_text(usable),
        lambda: _from_parameters(comment, "exif_comment", "EXIF UserComment") if comment else None,
        lambda: _from_iptc(exif, xmp),
        lambda: _from_software(exif, xmp, usable),
        lambda: _from_bytes(data),
    )
    for read in readers:  # in order of trust; the later ones are not run once one speaks
        if (found := read()) is not None:
            return found, warnings
    return None, warnings


def model_family(name: str) -> str | None:
    """The model family a model file or identifier names by its release naming, else None."""
    key = name.lower().replace("_", "-").replace(" ", "-")[:MAX_FIELD_CHARS]
    for needles, family in MODEL_FAMILIES:
        if any(n in key for n in needles):
            return family
    return None


def generator_name(text: str) -> str | None:
    """The display name of the first known generator named in ``text`` (whole words), else None."""
    m = GENERATORS.search(text[:MAX_FIELD_CHARS])
    if m is None:
        return None
    key = "".join(c for c in m.group(0).lower() if c.isalnum())
    if key.startswith("runwaygen"):
        return "Runway " + clean(m.group(0)[7:].strip())
    return _DISPLAY.get(key, clean(m.group(0)))


def clean(text: Any, limit: int = MAX_NAME_CHARS) -> str:
    """Untrusted text fit for a sentence: cut to ``limit``, non-printable characters as '?'."""
    return "".join(c if c.isprintable() else "?" for c in str(text)[:limit]).strip()


def _family(*names: str | None) -> str | None:
    for name in names:
        if name and (found := model_family(name) or generator_name(name)):
            return found
    return None


def _bounded(texts: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """PNG texts keyed in lower case, without those too long to parse (each named in a warning)."""
    usable: dict[str, str] = {}
    warnings: list[str] = []
    for key, value in texts.items():
        name = clean(key, 80)
        if len(value) > MAX_TEXT_CHARS:
            warnings.append(f"PNG text '{name}' ({len(value):,} characters) not parsed: over {MAX_TEXT_CHARS:,}")
        else:
            usable.setdefault(name.lower(), str(value))
    return usable, warnings


def _json(text: str) -> Any:
    """The JSON value of a (size-checked) text, or None when it is not JSON."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _models_sentence(models: list[str], family: str | None) -> str:
    if not models:
        return "no model file named" + (f" (architecture {family})" if family else "")
    names = ", ".join(models)
    label = "model" if len(models) == 1 else "models"
    return f"{label} {names}" + (f": {family}" if family else " (family not recognised from the file name)")


def _evidence(source: str, where: str, tool: str, models: list[str], family: str | None, how: str) -> GeneratorEvidence:
    generator = f"{tool}, {', '.join(models)}" if models else tool
    sentence = f"{how} ({where}), {_models_sentence(models, family)}"
    return GeneratorEvidence(source, where, sentence, generator, family, models)


# --- C2PA ------------------------------------------------------------------------------------


def _from_c2pa(credentials: dict[str, Any]) -> GeneratorEvidence | None:
    if not credentials.get("present"):
        return None
    ai_types = [t for t in credentials.get("digital_source_types", []) if t in AI_SOURCE_TYPES]
    agents = [clean(a) for a in credentials.get("ai_software_agents", []) if a]
    claim = clean(credentials.get("claim_generator") or "", MAX_FIELD_CHARS)
    signer = clean(credentials.get("signer") or "")
    state = credentials.get("state", "not validated")
    by = f"{state}, signed by {signer}" if signer else str(state)
    if ai_types:
        generator = agents[0] if agents else claim or None
        named = f"made by {generator}" if generator else "the generator is not named"
        return GeneratorEvidence(
            "c2pa",
            "C2PA c2pa.actions",
            f"C2PA manifest ({by}) declares digital source type {', '.join(ai_types)}: {named}",
            generator,
            _family(*agents, claim),
            [],
        )
    for where, value in [("softwareAgent", a) for a in credentials.get("software_agents", []) if a] + [
        ("claim generator", claim)
    ]:
        if value and (name := generator_name(str(value))):
            value = clean(value, MAX_FIELD_CHARS)
            return GeneratorEvidence(
                "c2pa",
                f"C2PA {where}",
                f"C2PA manifest ({by}) {where} names a generator: '{value}' ({name})",
                value,
                _family(value),
                [],
            )
    return None


# --- PNG text --------------------------------------------------------------------------------


def _from_png_text(texts: dict[str, str]) -> GeneratorEvidence | None:
    if "prompt" in texts and (found := _comfy_prompt(_json(texts["prompt"]))):
        return found
    if "workflow" in texts and (found := _comfy_workflow(_json(texts["workflow"]))):
        return found
    if "parameters" in texts and (found := _from_parameters(texts["parameters"], "png_text", "PNG text 'parameters'")):
        return found
    return _invokeai(texts)


def _comfy_prompt(graph: Any) -> GeneratorEvidence | None:
    """ComfyUI's API graph: {node id: {"class_type": ..., "inputs": {...}}}."""
    if not isinstance(graph, dict):
        return None
    nodes = [
        n for n in list(graph.values())[:MAX_NODES] if isinstance(n, dict) and isinstance(n.get("class_type"), str)
    ]
    if not nodes:
        return None
    models: list[str] = []
    families: list[str] = []
    sampler, architecture = False, None
    for node in nodes:
        inputs = node["inputs"] if isinstance(node.get("inputs"), dict) else {}
        sampler = sampler or "sampler" in node["class_type"].lower()
        for key in _MODEL_INPUTS:
            if isinstance(name := inputs.get(key), str) and name:
                _add_model(models, families, name, inputs.get("config_name"))
        clip_type = inputs.get("type")
        if "cliploader" in node["class_type"].lower() and isinstance(clip_type, str):
            architecture = architecture or _CLIP_TYPES.get(clip_type.lower())
    if not (models or sampler):
        return None  # a graph that loads no model and samples nothing processed an image, it did not make one
    family = " + ".join(dict.fromkeys(families)) or architecture
    return _evidence("png_text", "PNG text 'prompt'", "ComfyUI", models, family, "ComfyUI workflow")


def _comfy_workflow(graph: Any) -> GeneratorEvidence | None:
    """ComfyUI's UI graph: {"nodes": [{"type": ..., "widgets_values": [...]}]}."""
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    if not isinstance(nodes, list):
        return None
    nodes = [n for n in nodes[:MAX_NODES] if isinstance(n, dict) and isinstance(n.get("type"), str)]
    if not nodes:
        return None
    models: list[str] = []
    families: list[str] = []
    sampler = False
    for node in nodes:
        kind = node["type"].lower()
        sampler = sampler or "sampler" in kind
        values = node.get("widgets_values")
        if "loader" in kind and ("checkpoint" in kind or "unet" in kind) and isinstance(values, list):
            names = [v for v in values[:8] if isinstance(v, str) and v.lower().endswith(_MODEL_SUFFIXES)]
            configs = [v for v in values[:8] if isinstance(v, str) and v.lower().endswith(".yaml")]
            for name in names:
                _add_model(models, families, name, configs[0] if configs else None)
    if not (models or sampler):
        return None
    family = " + ".join(dict.fromkeys(families)) or None
    return _evidence("png_text", "PNG text 'workflow'", "ComfyUI", models, family, "ComfyUI workflow")


def _add_model(models: list[str], families: list[str], name: str, config: Any) -> None:
    """Record a model file (its base name, cleaned) and its family, if recognised."""
    base = clean(name.replace("\\", "/").rsplit("/", 1)[-1])
    if base in models or len(models) >= MAX_MODELS:
        return
    models.append(base)
    if found := model_family(base) or (model_family(config) if isinstance(config, str) else None):
        families.append(found)


def _from_parameters(text: str, source: str, where: str) -> GeneratorEvidence | None:
    """Automatic1111-style generation parameters, or the JSON ``parameters`` of SwarmUI / Fooocus."""
    if (value := _json(text)) is not None:
        return _json_parameters(value, source, where)
    settings = _settings_line(text)
    if settings is None:
        return None
    model = clean(settings.get("Model", ""))
    models = [model] if model else []
    how = "Automatic1111-style generation parameters"
    return _evidence(source, where, "Automatic1111-style UI", models, _family(model), how)


def _settings_line(text: str) -> dict[str, str] | None:
    """The fields of the settings line (``Steps: 20, Sampler: ..., Model: ...``), the text's last line.

    Automatic1111 writes it on a line of its own after the prompt and the negative prompt; the
    fields start at its last "Steps: " (at the line's start or after ", ").
    """
    line = text[-65_536:].rstrip("\n").rsplit("\n", 1)[-1]
    if line.startswith("Steps: "):
        at = 0
    elif (comma := line.rfind(", Steps: ")) >= 0:
        at = comma + 2
    else:
        return None
    fields: dict[str, str] = {}
    for item in line[at:].split(", ")[:200]:
        key, sep, value = item.partition(": ")
        if sep and key.strip() and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields if "Steps" in fields else None


def _json_parameters(value: Any, source: str, where: str) -> GeneratorEvidence | None:
    if not isinstance(value, dict):
        return None
    if isinstance(swarm := value.get("sui_image_params"), dict):
        tool, model = "SwarmUI", swarm.get("model")
    elif {"base_model", "sampler", "sampler_name", "steps", "cfg_scale", "guidance_scale"} & {
        str(k).lower() for k in list(value)[:200]
    }:
        scheme = str(value.get("metadata_scheme", "")) + str(value.get("version", ""))
        tool = "Fooocus" if "fooocus" in scheme.lower() else "a Stable Diffusion front-end"
        model = value.get("base_model") or value.get("model")
    else:
        return None
    models = [clean(model)] if isinstance(model, str) and model else []
    return _evidence(source, where, tool, models, _family(*models), f"{tool} generation parameters")


def _invokeai(texts: dict[str, str]) -> GeneratorEvidence | None:
    for key in ("invokeai_metadata", "sd-metadata", "dream"):
        if key not in texts:
            continue
        value = _json(texts[key])
        model = value.get("model") if isinstance(value, dict) else None
        name, base = None, None
        if isinstance(model, dict):
            name, base = model.get("name") or model.get("model_name"), model.get("base") or model.get("base_model")
        elif isinstance(value, dict):
            name = value.get("model_weights")
        models = [clean(name)] if isinstance(name, str) and name else []
        family = _INVOKE_BASES.get(str(base)) if base else None
        return _evidence("png_text", f"PNG text '{key}'", "InvokeAI", models, family or _family(*models), "InvokeAI")
    return None


# --- IPTC, software fields, bytes --------------------------------------------------------------


def _from_iptc(exif: dict[str, Any], xmp: dict[str, Any]) -> GeneratorEvidence | None:
    source_type = str(xmp.get("digital_source_type", "")).rsplit("/", 1)[-1].strip()
    if source_type not in AI_SOURCE_TYPES:
        return None
    system = " ".join(clean(xmp.get(k) or "") for k in ("ai_system", "ai_system_version")).strip()
    tools = [str(v) for v in (xmp.get("creator_tool"), exif.get("Software")) if isinstance(v, str) and v]
    named = next((clean(t, MAX_FIELD_CHARS) for t in tools if generator_name(t)), None)
    generator = system or named
    if system:
        said = f": AI system {system}"
    elif named:
        said = f", software '{named}'"
    else:
        said = "; the generator is not named"
    return GeneratorEvidence(
        "iptc",
        "XMP Iptc4xmpExt:DigitalSourceType",
        f"IPTC DigitalSourceType = {source_type} (XMP){said}",
        generator,
        _family(generator),
        [],
    )


def _from_software(exif: dict[str, Any], xmp: dict[str, Any], texts: dict[str, str]) -> GeneratorEvidence | None:
    fields = [(f"EXIF {f}", exif.get(f)) for f in ("Software", "Artist", "Make", "Model")]
    fields += [("XMP CreatorTool", xmp.get("creator_tool")), ("PNG text 'Software'", texts.get("software"))]
    for where, value in fields:
        if isinstance(value, str) and (name := generator_name(value)):
            value, family = clean(value, MAX_FIELD_CHARS), _family(value)
            sentence = f"{where} names a generator: '{value}' ({family or name})"
            return GeneratorEvidence("software", where, sentence, value, family, [])
    return None


def _from_bytes(data: bytes) -> GeneratorEvidence | None:
    head = data[:BYTE_SEARCH_LIMIT]
    found = [t for t in AI_SOURCE_TYPES if t.encode() in head]
    if not found:
        return None
    sentence = f"IPTC digital source type for AI output ({found[0]}) found in the file; the generator is not named"
    return GeneratorEvidence("iptc", "file bytes", sentence)
