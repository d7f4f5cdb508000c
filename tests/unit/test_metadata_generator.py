"""The ``ai_generator_tag`` names the generator where the file says so, on files made here the way
ComfyUI, Automatic1111, InvokeAI, NovelAI, IPTC-aware tools and C2PA signers write them."""

import json

import pytest
from PIL import Image, PngImagePlugin

from vforensics.analyzers.metadata import _analyzer as metadata
from vforensics.analyzers.metadata import _generator_provenance as provenance
from vforensics.media.image import Media

from .images import encode, natural_rgb

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _analyze(data: bytes, name: str = "x.png"):
    return metadata.analyze(Media.from_bytes(data, name))


def _png(**texts: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    return encode(natural_rgb(256, 192), "PNG", pnginfo=info)


def _comfy_prompt(*loaders: dict) -> str:
    """A ComfyUI API graph: the given loader nodes, a text encoder, a sampler and a save node."""
    graph: dict = {str(i): node for i, node in enumerate(loaders, start=1)}
    graph["90"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse at dusk", "clip": ["1", 1]}}
    graph["91"] = {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "model": ["1", 0]}}
    graph["92"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["91", 0]}}
    return json.dumps(graph)


def _generator(result) -> dict:
    d = result.details
    assert "ai_generator_tag" in d["flags"], d["flag_evidence"]
    return d["ai_generator"]


def test_comfyui_unet_loader_names_flux():
    prompt = _comfy_prompt({"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors"}})
    result = _analyze(_png(prompt=prompt, workflow='{"nodes": []}'))
    g = _generator(result)
    assert g == {
        "generator": "ComfyUI, flux1-dev.safetensors",
        "family": "Flux.1",
        "models": ["flux1-dev.safetensors"],
        "source": "png_text",
        "field": "PNG text 'prompt'",
    }
    evidence = result.details["flag_evidence"]["ai_generator_tag"]
    assert "ComfyUI" in evidence and "flux1-dev" in evidence and "Flux.1" in evidence
    assert "AI generator, Flux.1 (" in result.interpretation and result.score == 0


def test_comfyui_checkpoints_name_their_families():
    base_refiner = _comfy_prompt(
        {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_refiner_1.0.safetensors"}},
    )
    g = _generator(_analyze(_png(prompt=base_refiner)))
    assert g["family"] == "SDXL" and g["models"] == ["sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors"]
    cascade = _comfy_prompt(
        {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "stable_cascade_stage_c.safetensors"}}
    )
    assert _generator(_analyze(_png(prompt=cascade)))["family"] == "Stable Cascade"


def test_a_fine_tune_is_named_by_its_file_and_by_the_loader_config_where_given():
    fine_tune = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "models/anime/Anything-V3.0.ckpt"}}
    g = _generator(_analyze(_png(prompt=_comfy_prompt(fine_tune))))
    assert g["family"] is None and g["models"] == ["Anything-V3.0.ckpt"] and "Anything-V3.0" in g["generator"]
    with_config = {
        "class_type": "CheckpointLoader",
        "inputs": {"ckpt_name": "Anything-V3.0.ckpt", "config_name": "v1-inference_clip_skip_2.yaml"},
    }
    assert _generator(_analyze(_png(prompt=_comfy_prompt(with_config))))["family"] == "SD 1.x"


def test_comfyui_ui_workflow_alone_is_read():
    workflow = {
        "nodes": [
            {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["sd3.5_large_fp8_scaled.safetensors"]},
            {"id": 3, "type": "KSampler", "widgets_values": [1, "fixed", 20, 4.5, "euler", "sgm_uniform", 1]},
        ]
    }
    g = _generator(_analyze(_png(workflow=json.dumps(workflow))))
    assert g["family"] == "SD3.5" and g["field"] == "PNG text 'workflow'"


def test_a_comfyui_graph_that_only_upscales_a_photo_is_not_a_generator_tag():
    upscale = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "holiday.jpg"}},
        "2": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "4x-UltraSharp.pth"}},
        "3": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0]}},
    }
    assert "ai_generator_tag" not in _analyze(_png(prompt=json.dumps(upscale))).details["flags"]


A1111 = (
    "a lighthouse at dusk, oil painting\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, "
    "Model: v1-5-pruned-emaonly, Version: v1.6.0"
)


def test_automatic1111_parameters_name_the_model():
    result = _analyze(_png(parameters=A1111))
    g = _generator(result)
    assert (g["family"], g["models"], g["source"]) == ("SD 1.x", ["v1-5-pruned-emaonly"], "png_text")
    assert "Automatic1111" in result.details["flag_evidence"]["ai_generator_tag"]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_automatic1111_parameters_in_the_exif_user_comment(fmt):
    exif = Image.Exif()
    text = A1111.replace("v1-5-pruned-emaonly", "sd_xl_base_1.0")
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode("utf-16-be")  # as piexif writes it
    result = _analyze(encode(natural_rgb(256, 192), fmt, quality=90, exif=exif), "x." + fmt.lower())
    g = _generator(result)
    assert (g["family"], g["source"], g["field"]) == ("SDXL", "exif_comment", "EXIF UserComment")


def test_invokeai_metadata_names_the_base_model():
    meta = {"model": {"name": "juggernautXL_v9", "base": "sdxl", "type": "main"}, "steps": 30}
    g = _generator(_analyze(_png(invokeai_metadata=json.dumps(meta))))
    assert (g["generator"], g["family"]) == ("InvokeAI, juggernautXL_v9", "SDXL")


def test_novelai_software_text_is_a_generator_tag():
    g = _generator(_analyze(_png(Software="NovelAI", Title="AI generated image")))
    assert (g["generator"], g["family"], g["source"]) == ("NovelAI", "NovelAI", "software")


def _xmp(body: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">{body}'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def test_iptc_digital_source_type_in_xmp_is_a_generator_tag():
    xmp = _xmp(f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{IPTC}trainedAlgorithmicMedia"/>')
    result = _analyze(encode(natural_rgb(256, 192), "JPEG", quality=90, xmp=xmp), "x.jpg")
    g = _generator(result)
    assert (g["source"], g["generator"], g["family"]) == ("iptc", None, None)
    assert "trainedAlgorithmicMedia" in result.details["flag_evidence"]["ai_generator_tag"]
    assert "not named" in result.details["flag_evidence"]["ai_generator_tag"]


def test_iptc_ai_system_used_names_the_generator():
    xmp = _xmp(
        f"<Iptc4xmpExt:DigitalSourceType>{IPTC}compositeWithTrainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
        "<Iptc4xmpExt:AISystemUsed>Midjourney</Iptc4xmpExt:AISystemUsed>"
        "<Iptc4xmpExt:AISystemVersionUsed>6.1</Iptc4xmpExt:AISystemVersionUsed>"
    )
    g = _generator(_analyze(encode(natural_rgb(256, 192), "JPEG", quality=90, xmp=xmp), "x.jpg"))
    assert (g["generator"], g["family"], g["source"]) == ("Midjourney 6.1", "Midjourney", "iptc")


def test_algorithmic_media_without_training_data_is_not_an_ai_generator():
    xmp = _xmp(f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{IPTC}algorithmicMedia"/>')
    d = _analyze(encode(natural_rgb(256, 192), "JPEG", quality=90, xmp=xmp), "x.jpg").details
    assert "ai_generator_tag" not in d["flags"] and d["xmp"]["digital_source_type"].endswith("algorithmicMedia")


@pytest.mark.parametrize(
    "texts",
    [
        {"Title": "Harbour at dawn", "Author": "J. Doe", "Software": "GIMP 2.10.36", "Comment": "prompt: be on time"},
        {"parameters": "gain=2, offset=3, exposure 1/250"},
        {"prompt": "Say cheese", "workflow": "export, crop, sharpen"},
        {"prompt": "[" * 100_000},  # JSON nested beyond the parser's recursion limit
    ],
    ids=["ordinary", "parameters-not-a1111", "prompt-not-json", "deeply-nested-json"],
)
def test_ordinary_png_text_is_not_a_generator_tag(texts):
    d = _analyze(_png(**texts)).details
    assert "ai_generator_tag" not in d["flags"] and d["ai_generator"] is None


def test_an_oversized_text_chunk_is_ignored_without_error():
    loader = {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors"}}
    padded = (
        _comfy_prompt(loader)[:-1] + ', "99": {"class_type": "Note", "inputs": {"text": "' + "x" * 4_100_000 + '"}}}'
    )
    result = _analyze(_png(prompt=padded))
    assert result.status == "ok" and "ai_generator_tag" not in result.details["flags"]
    assert any("'prompt'" in w and "not parsed" in w for w in result.details["warnings"])
    assert len(result.details["png_text"]["prompt"]) == 2_000  # the report keeps its usual excerpt


def test_untrusted_names_are_cut_and_made_printable():
    name = "\x1b[31mflux1-dev\u202e" + "y" * 500 + ".safetensors"
    prompt = _comfy_prompt({"class_type": "UNETLoader", "inputs": {"unet_name": name}})
    result = _analyze(_png(prompt=prompt))
    evidence = result.details["flag_evidence"]["ai_generator_tag"]
    assert "\x1b" not in evidence and "\u202e" not in evidence and "?[31mflux1-dev?" in evidence
    assert len(result.details["ai_generator"]["models"][0]) == provenance.MAX_NAME_CHARS


@pytest.mark.parametrize(
    "name, family",
    [
        ("flux1-schnell-fp8.safetensors", "Flux.1"),
        ("sd3_medium_incl_clips_t5xxlfp8.safetensors", "SD3"),
        ("sd3.5_large.safetensors", "SD3.5"),
        ("sd_xl_turbo_1.0_fp16.safetensors", "SDXL"),
        ("stable-diffusion-xl-base-1.0", "SDXL"),
        ("v2-1_768-ema-pruned.ckpt", "SD 2.x"),
        ("768-v-ema.ckpt", "SD 2.x"),
        ("sd-v1-4.ckpt", "SD 1.x"),
        ("v1-5-pruned-emaonly.safetensors", "SD 1.x"),
        ("stable_cascade_stage_b.safetensors", "Stable Cascade"),
        ("AbyssOrangeMix2_hard.safetensors", None),
        ("wd-illusion-fp16.safetensors", None),
    ],
)
def test_model_family_follows_release_naming(name, family):
    assert provenance.model_family(name) == family


def test_c2pa_ai_action_names_its_software_agent():
    pytest.importorskip("c2pa")
    from vforensics.evaluation.c2pa_assets import TRAINED_ALGORITHMIC_MEDIA, sign_image

    actions = [
        {"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": {"name": "GPT-4o"}},
        {"action": "c2pa.converted", "softwareAgent": {"name": "OpenAI API"}},
    ]
    data = sign_image(encode(natural_rgb(256, 192), "PNG"), "image/png", "ChatGPT", actions)
    result = _analyze(data)
    g = _generator(result)
    assert (g["generator"], g["family"], g["source"]) == ("GPT-4o", "GPT-4o", "c2pa")
    evidence = result.details["flag_evidence"]["ai_generator_tag"]
    assert "trainedAlgorithmicMedia" in evidence and "GPT-4o" in evidence and "VF Test Signer" in evidence
    c = result.details["c2pa"]
    assert c["software_agents"] == ["GPT-4o", "OpenAI API"] and c["ai_software_agents"] == ["GPT-4o"]


def test_c2pa_claim_generator_naming_a_generator_is_a_tag():
    pytest.importorskip("c2pa")
    from vforensics.evaluation.c2pa_assets import sign_jpeg

    data = sign_jpeg(encode(natural_rgb(256, 192), "JPEG", quality=90), generator="DALL·E 3")
    g = _generator(_analyze(data, "x.jpg"))
    assert (g["family"], g["source"], g["field"]) == ("DALL-E", "c2pa", "C2PA claim generator")
