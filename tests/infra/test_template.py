"""Infrastructure checks: the SAM template, the state machine definitions, the layer build.

What a reviewer would run by hand before `sam deploy`, as tests:

* ``cfn-lint template.yaml`` and ``sam validate --lint`` report nothing;
* ``statelint`` accepts every ``statemachine/*.asl.json`` once its ``${Placeholders}``
  are replaced by realistic ARNs and names (statelint rejects ``${...}`` in ARN fields);
* every placeholder has a ``DefinitionSubstitutions`` entry, and every entry is used;
* ``sam build`` (no container) succeeds, and each zip function plus its layers stays
  under Lambda's 250 MB unzipped limit; the built layer imports on Linux x86_64.

Needs no AWS account and no Docker; ``sam build`` needs a package index for the
layer's wheels (pip caches them, so reruns take seconds).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from cfnlint.decode import decode_str

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them

REPO = Path(__file__).resolve().parents[2]
# Developers' parts of the package, left out of the layer and the model image.
DEV_ONLY = ("local", "evaluation", "cli.py")
TEMPLATE = REPO / "template.yaml"
ASL_FILES = sorted((REPO / "statemachine").glob("*.asl.json"))

LAMBDA_UNZIPPED_LIMIT = 262_144_000  # bytes: function + all its layers, unzipped
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
FAKE_ACCOUNT = "123456789012"
FAKE_REGION = "us-east-1"


# --------------------------------------------------------------------------- helpers


def _bin_dir() -> Path:
    """The venv's bin folder: holds cfn-lint, statelint and python3.12."""
    here = Path(sys.executable).parent
    return here if (here / "cfn-lint").exists() else REPO / ".venv" / "bin"


def _tool(name: str) -> str:
    """A tool of the venv; ``sam`` lives in a venv of its own (.venv/sam, tools/sam/requirements.txt)."""
    folder = REPO / ".venv" / "sam" / "bin" if name == "sam" else _bin_dir()
    path = folder / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found in {folder} or on PATH (make setup)")
    return found


def _python312_dir() -> Path:
    """A folder with a `python3.12` executable, for SAM's python3.12 runtime check."""
    if sys.version_info[:2] == (3, 12) and (Path(sys.executable).parent / "python3.12").exists():
        return Path(sys.executable).parent
    found = shutil.which("python3.12")
    if not found:
        pytest.fail("sam build needs python3.12 on PATH (the Lambda runtime's interpreter)")
    return Path(found).parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{_python312_dir()}{os.pathsep}{_bin_dir()}{os.pathsep}{env.get('PATH', '')}",
        AWS_DEFAULT_REGION=FAKE_REGION,
        AWS_REGION=FAKE_REGION,
        SAM_CLI_TELEMETRY="0",
    )
    # Nothing here talks to AWS; dummy credentials keep any client from looking further.
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return env


def _run(cmd: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


def _template() -> dict:
    template, matches = decode_str(TEMPLATE.read_text())
    assert not matches, [str(m) for m in matches]
    return template


def _resources(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == type_}


def _substitutions() -> dict[str, dict]:
    """DefinitionUri -> that state machine's DefinitionSubstitutions (the analysis and the batch machine)."""
    machines = _resources(_template(), "AWS::Serverless::StateMachine").values()
    return {
        m["Properties"]["DefinitionUri"]: dict(m["Properties"].get("DefinitionSubstitutions", {})) for m in machines
    }


def _fake_value(key: str) -> str:
    """A realistic stand-in for what CloudFormation substitutes for `key`."""
    if key.endswith("FunctionArn"):
        name = key[: -len("Arn")]
        return f"arn:aws:lambda:{FAKE_REGION}:{FAKE_ACCOUNT}:function:visual-forensics-{name}-AbC123"
    if key.endswith("StateMachineArn"):
        return f"arn:aws:states:{FAKE_REGION}:{FAKE_ACCOUNT}:stateMachine:visual-forensics-{key}"
    if key.endswith("QueueUrl"):
        return f"https://sqs.{FAKE_REGION}.amazonaws.com/{FAKE_ACCOUNT}/visual-forensics-{key}"
    if key.endswith("Arn"):
        return f"arn:aws:sns:{FAKE_REGION}:{FAKE_ACCOUNT}:visual-forensics-{key}"
    if key == "EventBusName":
        return "default"
    if key.startswith("Batch") and not key.endswith("Arn"):  # numbers (batch.asl.json parses them)
        return "10"
    return f"visual-forensics-{key}-AbC123"


def _tree_bytes(path: Path) -> int:
    """Unzipped size as Lambda counts it: the sum of the files' sizes."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


# --------------------------------------------------------------------------- linters


def test_cfn_lint_passes():
    result = _run([_tool("cfn-lint"), str(TEMPLATE)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes():
    result = _run([_tool("sam"), "validate", "--lint", "--template-file", str(TEMPLATE)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_state_machine_definitions_exist():
    assert ASL_FILES, "no statemachine/*.asl.json"
    for machine in _resources(_template(), "AWS::Serverless::StateMachine").values():
        uri = machine["Properties"]["DefinitionUri"]
        assert (REPO / uri).is_file(), f"DefinitionUri {uri} does not exist"


#: ItemReader.ReaderConfig.InputType (CSV | JSON | JSONL | PARQUET | MANIFEST), which AWS requires
#: to read a JSON file from S3, is newer than statelint 3.1.0's schema ("Field not allowed")
READER_INPUT_TYPES = {"CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"}


def _without_fields_statelint_lacks(node):
    """``node`` without ReaderConfig.InputType, after checking its value is one AWS accepts."""
    if isinstance(node, list):
        return [_without_fields_statelint_lacks(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_fields_statelint_lacks(v) for k, v in node.items()}
    config = out.get("ItemReader", {}).get("ReaderConfig") if isinstance(out.get("ItemReader"), dict) else None
    if isinstance(config, dict) and "InputType" in config:
        assert config.pop("InputType") in READER_INPUT_TYPES, config
    return out


def test_the_statelint_gap_is_only_input_type():
    """Guards the guard: only InputType is taken out, and a wrong value still fails."""
    reader = {"ItemReader": {"Resource": "r", "ReaderConfig": {"InputType": "JSON", "MaxItems": 5}}}
    assert _without_fields_statelint_lacks({"States": {"M": reader}}) == {
        "States": {"M": {"ItemReader": {"Resource": "r", "ReaderConfig": {"MaxItems": 5}}}}
    }
    with pytest.raises(AssertionError):
        _without_fields_statelint_lacks({"ItemReader": {"ReaderConfig": {"InputType": "XML"}}})


@pytest.mark.parametrize("asl", ASL_FILES, ids=lambda p: p.name)
def test_statelint_passes(asl: Path, tmp_path: Path):
    text = asl.read_text()
    substituted = PLACEHOLDER.sub(lambda m: _fake_value(m.group(1)), text)
    definition = json.loads(substituted)  # still valid JSON
    target = tmp_path / asl.name
    target.write_text(json.dumps(_without_fields_statelint_lacks(definition)))
    result = _run([_tool("statelint"), str(target)], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_placeholders_match_definition_substitutions():
    machines = _substitutions()
    assert {REPO / uri for uri in machines} == set(ASL_FILES), "an ASL file no state machine deploys, or the reverse"
    for uri, substitutions in machines.items():
        used = set(PLACEHOLDER.findall((REPO / uri).read_text()))
        defined = set(substitutions)
        assert used - defined == set(), (
            f"{uri}: placeholders without a DefinitionSubstitutions entry: {sorted(used - defined)}"
        )
        assert defined - used == set(), (
            f"{uri}: DefinitionSubstitutions never used in the ASL: {sorted(defined - used)}"
        )


# --------------------------------------------------------------------------- template contracts


def test_every_function_has_a_handler_and_a_log_group_with_retention():
    template = _template()
    functions = _resources(template, "AWS::Serverless::Function")
    log_groups = [r["Properties"] for r in _resources(template, "AWS::Logs::LogGroup").values()]
    assert functions
    for name, fn in functions.items():
        props = fn["Properties"]
        if props.get("PackageType") != "Image":  # image functions: test_local_matches_template
            module, func = props["Handler"].rsplit(".", 1)
            source = REPO / props["CodeUri"] / f"{module}.py"
            assert source.is_file(), f"{name}: {source.relative_to(REPO)} missing"
            assert re.search(rf"^(async\s+)?def {func}\(", source.read_text(), re.M), f"{name}: no {func}() in {source}"
        expected = {"Fn::Sub": f"/aws/lambda/${{{name}}}"}
        group = next((g for g in log_groups if g.get("LogGroupName") == expected), None)
        assert group is not None, f"{name}: no AWS::Logs::LogGroup named /aws/lambda/${{{name}}}"
        assert "RetentionInDays" in group


def test_buckets_are_private_encrypted_and_tls_only():
    template = _template()
    policies = [p["Properties"] for p in _resources(template, "AWS::S3::BucketPolicy").values()]
    for name, bucket in _resources(template, "AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values()), name
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert props["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced", name
        policy = next(p for p in policies if p["Bucket"] == {"Ref": name})
        assert any(
            s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
            for s in policy["PolicyDocument"]["Statement"]
        ), f"{name}: no TLS-only statement"


# --------------------------------------------------------------------------- sam build


IMAGE_FUNCTION = "AnalyzerAiModelFunction"


@pytest.fixture(scope="module")
def sam_build(tmp_path_factory) -> Path:
    """`sam build` without a container (and without the container-image function), into a
    temporary folder; returns the build dir.

    Runs from a temporary working directory so SAM's `.aws-sam/` lands there, not in
    the repository (samconfig.toml is still found next to the template).
    """
    work = tmp_path_factory.mktemp("sam")
    build_dir = work / "build"
    started = time.monotonic()
    result = _run(
        [
            _tool("sam"),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--cache-dir",
            str(work / "cache"),
            "--exclude",
            IMAGE_FUNCTION,  # needs Docker, which these machines lack
        ],
        cwd=work,
    )
    elapsed = time.monotonic() - started
    print(f"\nsam build: {elapsed:.1f} s (rc {result.returncode})")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    return build_dir


def test_sam_build_fits_lambda_unzipped_limit(sam_build: Path):
    built, matches = decode_str((sam_build / "template.yaml").read_text())
    assert not matches
    global_layers = built.get("Globals", {}).get("Function", {}).get("Layers", [])
    layers = {
        name: sam_build / r["Properties"]["ContentUri"]
        for name, r in _resources(built, "AWS::Serverless::LayerVersion").items()
    }
    rows = []
    for name, fn in _resources(built, "AWS::Serverless::Function").items():
        props = fn["Properties"]
        if props.get("PackageType") == "Image":
            continue
        code = _tree_bytes(sam_build / props["CodeUri"])
        layer_refs = [ref["Ref"] for ref in [*global_layers, *props.get("Layers", [])] if "Ref" in ref]  # additive
        layer = sum(_tree_bytes(layers[ref]) for ref in layer_refs)
        rows.append((name, code, layer, code + layer))
        assert ("C2paLayer" in layer_refs) == (name == "AnalyzerMetadataFunction"), name
    assert rows
    print(
        f"{'function':28} {'code MB':>9} {'layers MB':>10} {'total MB':>9}  (limit {LAMBDA_UNZIPPED_LIMIT / 1e6:.1f})"
    )
    for name, code, layer, total in rows:
        print(f"{name:28} {code / 1e6:9.3f} {layer / 1e6:10.2f} {total / 1e6:9.2f}")
    for name, _, _, total in rows:
        assert total < LAMBDA_UNZIPPED_LIMIT, f"{name}: {total} bytes unzipped >= {LAMBDA_UNZIPPED_LIMIT}"


def test_built_layer_imports_on_linux(sam_build: Path):
    """The pruned layer still imports, from precompiled .pyc, with nothing else on the path."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.skip("the layer holds manylinux x86_64 wheels")
    site = sam_build / "VForensicsLayer" / "python"
    assert (site / "vforensics" / "__init__.py").is_file()
    assert list((site / "numpy" / "__pycache__").glob("*.cpython-312.pyc")), "layer not precompiled"
    assert not (site / "bin").exists()
    for dev_only in DEV_ONLY:  # the embedded engine, the benchmarks and the CLI never run on Lambda
        assert not (site / "vforensics" / dev_only).exists(), dev_only
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import numpy, cv2, PIL.Image, aws_lambda_powertools, vforensics;"
        "assert all(m.__file__.startswith(sys.argv[1]) for m in (numpy, cv2, PIL.Image, vforensics));"
        "print(numpy.__version__, cv2.__version__, PIL.Image.__version__)"
    )
    python = _python312_dir() / "python3.12"
    # -I: isolated (no user site, no PYTHON* env); -S: no site-packages of this venv.
    result = _run([str(python), "-I", "-S", "-c", code, str(site)], cwd=sam_build)
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"layer imports: numpy, cv2, Pillow = {result.stdout.strip()}")


def test_built_api_function_serves_a_request_with_its_layer_alone(sam_build: Path):
    """The API function's package (its Pydantic, for Linux) and the layer answer /health, with boto3
    from this venv standing in for the Lambda runtime's (the layer does not bundle it)."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.skip("the function holds manylinux x86_64 wheels")
    code_dir, site = sam_build / "ApiFunction", sam_build / "VForensicsLayer" / "python"
    assert list(code_dir.glob("pydantic_core*")), "pydantic was not packaged with the API function"
    code = (
        "import sys, json; sys.path[:0] = sys.argv[1:3]; sys.path.append(sys.argv[4]);"
        "import pydantic, app;"
        "assert pydantic.__file__.startswith(sys.argv[1]) and app.__file__.startswith(sys.argv[1]);"
        "event = json.load(open(sys.argv[3]));"
        "print(app.app.resolve(event, None)['statusCode'])"
    )
    python = _python312_dir() / "python3.12"
    event = REPO / "events" / "api-health.json"
    runtime = Path(boto3.__file__).parents[1]
    args = [str(python), "-I", "-S", "-c", code, str(code_dir), str(site), str(event), str(runtime)]
    result = _run(args, cwd=sam_build)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "200"


def test_built_c2pa_layer_validates_a_manifest_on_its_own(sam_build: Path, tmp_path: Path):
    """c2pa-python without its signing-time dependencies reads and validates a signed file."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.skip("the layer holds a manylinux x86_64 native library")
    from tests.unit.images import encode, natural_rgb
    from vforensics.evaluation.c2pa_assets import sign_jpeg

    site = sam_build / "C2paLayer" / "python"
    assert not list(site.glob("c2pa/libs/*.rlib")), "the unused Rust static library must be pruned"
    signed = tmp_path / "signed.jpg"
    signed.write_bytes(sign_jpeg(encode(natural_rgb(), "JPEG", quality=90)))
    code = (
        "import sys, io; sys.path.insert(0, sys.argv[1]); import c2pa;"
        "assert c2pa.__file__.startswith(sys.argv[1]);"
        "r = c2pa.Reader('image/jpeg', io.BytesIO(open(sys.argv[2], 'rb').read()));"
        "print(r.get_validation_state())"
    )
    python = _python312_dir() / "python3.12"
    result = _run([str(python), "-I", "-S", "-c", code, str(site), str(signed)], cwd=sam_build)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Valid"


@pytest.fixture(scope="module")
def runtime_boto3(tmp_path_factory) -> Path:
    """boto3 alone in a folder: the Lambda runtime provides it, the layer does not ship it."""
    target = tmp_path_factory.mktemp("runtime")
    pinned = re.search(r"^boto3==(\S+)", (REPO / "requirements.txt").read_text(), re.M)
    spec = f"boto3=={pinned.group(1)}" if pinned else "boto3"
    python = _python312_dir() / "python3.12"
    result = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(target),
            spec,
        ],
        cwd=target,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_built_handlers_import_with_lambda_sys_path(sam_build: Path, runtime_boto3: Path):
    """Each built handler imports with what Lambda puts on sys.path and nothing else:
    its code (/var/task), the layer (/opt/python) and the runtime's boto3. Catches a
    library import the layer does not ship (SciPy, scikit-image, ...) before deployment."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.skip("the layer holds manylinux x86_64 wheels")
    built, _ = decode_str((sam_build / "template.yaml").read_text())
    env_vars = built["Globals"]["Function"]["Environment"]["Variables"]
    env = {k: v if isinstance(v, str | int) else "placeholder" for k, v in env_vars.items()}
    layer = sam_build / "VForensicsLayer" / "python"
    python = _python312_dir() / "python3.12"
    for name, fn in _resources(built, "AWS::Serverless::Function").items():
        props = fn["Properties"]
        if props.get("PackageType") == "Image":
            continue
        module, func = props["Handler"].rsplit(".", 1)
        code = (
            "import importlib, sys; sys.path[:0] = sys.argv[1:4];"
            f"m = importlib.import_module({module!r}); assert callable(m.{func})"
        )
        cmd = [str(python), "-I", "-S", "-c", code, str(sam_build / props["CodeUri"]), str(layer), str(runtime_boto3)]
        result = subprocess.run(
            cmd,
            cwd=sam_build,
            capture_output=True,
            text=True,
            timeout=120,
            env=_env() | {k: str(v) for k, v in env.items()},
        )
        assert result.returncode == 0, f"{name}: " + result.stdout + result.stderr


# --------------------------------------------------------------------------- model container image


@pytest.fixture(scope="module")
def model_image(tmp_path_factory) -> Path:
    """functions/model/Dockerfile followed into a folder (no Docker here): tools/stage_model_image.py."""
    dest = tmp_path_factory.mktemp("model-image")
    python = _python312_dir() / "python3.12"
    result = _run([str(python), str(REPO / "tools" / "stage_model_image.py"), str(dest)], cwd=dest)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    print("\n" + result.stdout)
    return dest


def test_model_image_runs_the_detector_from_its_own_contents(model_image: Path, runtime_boto3: Path):
    """The image's handler imports, finds the model through the image's ENV, and scores a photo
    with only the image's contents and the runtime's boto3 on sys.path."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.skip("the image holds manylinux x86_64 wheels")
    env = json.loads((model_image / "env.json").read_text())
    assert Path(env["VF_AI_MODEL"]).is_file()
    code = (
        "import json, sys; sys.path[:0] = sys.argv[1:4]\n"
        "import app\n"
        "from vforensics.analyzers import ANALYZERS\n"
        "from vforensics.analyzers.ai import model as ai_model\n"
        "from vforensics.media.image import Media\n"
        "assert callable(app.handler) and 'ai_model' in ANALYZERS\n"
        "r = ai_model.analyze(Media.from_bytes(open(sys.argv[4], 'rb').read(), 'iphone4.jpg'))\n"
        "print(json.dumps({'status': r.status, 'score': r.score, 'file': ai_model.__file__}))\n"
    )
    paths = [model_image / "task", model_image / "site-packages", runtime_boto3]
    cmd = [str(_python312_dir() / "python3.12"), "-I", "-S", "-c", code, *map(str, paths)]
    cmd.append(str(REPO / "samples" / "iphone4.jpg"))
    result = subprocess.run(cmd, cwd=model_image, capture_output=True, text=True, timeout=300, env=_env() | env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == "ok" and 0 <= out["score"] <= 100
    assert out["file"].startswith(str(model_image / "task"))
    for dev_only in DEV_ONLY:
        assert not (model_image / "task" / "vforensics" / dev_only).exists(), dev_only


def test_model_image_stays_small(model_image: Path):
    site = sum(p.stat().st_size for p in (model_image / "site-packages").rglob("*") if p.is_file())
    model = (model_image / "opt" / "model" / "ai_detector.onnx").stat().st_size
    assert model < 15_000_000 and site < 400_000_000, (model, site)
