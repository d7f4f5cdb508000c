"""Regenerate docs/BENCHMARKS.md (and docs/bench/*.png) from ../shared/bench, in one command.

Stages (each reuses what an earlier run left in --work unless --fresh):
  1. synth   forgery cases from shared/bench/camera          (vforensics synth)
  2. eval    the pipeline on those cases, the published sets, and AI vs real (vforensics eval);
             the AI-image detector on its held-out files (scripts/bench_ai_model.py)
  3. peers   pyIFD and the SIFT reference on the same cases, if .venv-peers exists (tools/peers)
  4. perf    per-analyzer speed/memory, cold imports, sizes, cost (vforensics perf)
  5. local   one 12 MP image through the whole local pipeline (scripts/bench_local_run.py)
  6. metadata flags, C2PA validation and thumbnail checks (scripts/bench_metadata.py)
  7. splice maps by compression regime (scripts/bench_splice_regimes.py)
  8. splice and inpainting maps on a second, larger draw (scripts/bench_localisation_draw.py)
Usage: .venv/bin/python scripts/run_benchmarks.py [--work bench-out] [--fresh] [--skip-peers]
       [--peer-sources N] [--clone-sources N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
DOCS = ROOT / "docs"
PLOTS = DOCS / "bench"
VENV_BIN = Path(sys.executable).parent
PEERS_PY = ROOT / ".venv-peers" / "bin" / "python"
# pyIFD takes 5-20 s per method on a 2-5 MP image (CAGI ~20, CFA1 ~15, BLK ~11, ADQ2 ~5 s):
# all six on the small published images, the cheaper four on a subset of the synthetic cases.
PYIFD_PUBLISHED = "ADQ2,NOI1,CAGI,BLK,CFA1,ELA,NADQ"
PYIFD_SYNTH = "ADQ2,NOI1,BLK,ELA"
# the compression-history peers (NADQ ~10 s, CAGI ~20 s per image) only where they apply
PYIFD_JPEG = "NADQ,CAGI"
JPEG_CLASSES = ("original", "resave", "crop_resave", "resave_foreign_tables", "resave_same_tables", "splice")
# the SIFT copy-move reference (tools/peers/run_sift_reference.py) on the clone classes
CLONE_CLASSES = ("original", "copy_move", "copy_move_rotated", "copy_move_scaled")


def run(cmd: list[str], **kwargs) -> float:
    print("+", " ".join(map(str, cmd)), flush=True)
    started = time.perf_counter()
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=ROOT / "bench-out")
    parser.add_argument("--fresh", action="store_true", help="delete --work first")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--peer-sources", type=int, default=5, help="pyIFD runs on the first N synthetic sources")
    parser.add_argument("--clone-sources", type=int, default=100, help="the SIFT peer runs on the first N sources")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not BENCH.is_dir():
        sys.exit(f"{BENCH} not found: the benchmarks run on shared/bench beside the repository")
    work = args.work.resolve()
    if args.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    vf = [VENV_BIN / "vforensics"]
    seconds = {}

    synth = work / "synth"
    if not (synth / "cases.csv").is_file():
        seconds["synth"] = run(vf + ["synth", BENCH / "camera", synth, "--seed", "0"])
    eval_synth, eval_pub = work / "eval-synth", work / "eval-published"
    # --rescore: the overall score of stored outputs is recomputed by the current scoring code
    seconds["eval-synth"] = run(vf + ["eval", synth, "--out", eval_synth, "--jobs", args.jobs, "--rescore"])
    seconds["eval-published"] = run(
        vf + ["eval", BENCH / "forgeries", "--out", eval_pub, "--jobs", args.jobs, "--rescore"]
    )
    # AI-generated vs real through the whole pipeline, on the detector's held-out ml72 and
    # real-web files only (the others trained it)
    ai_dir, real_dir = heldout_folders(work / "ai-heldout")
    ai_args = ["--ai", ai_dir, "--real", real_dir]
    seconds["eval-ai"] = run(vf + ["eval", *ai_args, "--out", work / "eval-ai", "--jobs", args.jobs, "--rescore"])
    seconds["ai-model"] = run([VENV_BIN / "python", "scripts/bench_ai_model.py", "--write", work / "ai-model.md"])
    seconds["ai-signals"] = run(
        [
            VENV_BIN / "python",
            "-m",
            "vforensics.evaluation.fitting.fit_ai_likelihood",
            "--write-report",
            work / "ai-signals.md",
        ]
    )

    peers = False
    if not args.skip_peers and PEERS_PY.is_file():
        peers = True
        pyifd_pub, pyifd_synth = work / "peers" / "pyifd-published", work / "peers" / "pyifd-synth"
        sift_synth = work / "peers" / "sift-synth"
        # the peers run on the cases of the first N sources; ours is scored on exactly those
        # cases too (eval-*-peers, from the same pipeline outputs), so both see the same images
        subset = write_subset(synth, "cases-peer-subset.csv", args.peer_sources)
        jpeg_subset = write_subset(synth, "cases-peer-jpeg.csv", args.peer_sources, JPEG_CLASSES)
        clone_subset = write_subset(synth, "cases-peer-clone.csv", args.clone_sources, CLONE_CLASSES)
        pyifd = [PEERS_PY, "tools/peers/run_pyifd.py"]
        seconds["pyifd-published"] = run(pyifd + [eval_pub / "cases.csv", pyifd_pub, "--methods", PYIFD_PUBLISHED])
        seconds["pyifd-synth"] = run(pyifd + [subset, pyifd_synth, "--methods", PYIFD_SYNTH])
        seconds["pyifd-synth-jpeg"] = run(pyifd + [jpeg_subset, pyifd_synth, "--methods", PYIFD_JPEG])
        seconds["sift-synth"] = run([PEERS_PY, "tools/peers/run_sift_reference.py", clone_subset, sift_synth])
        seconds["sift-published"] = run(
            [PEERS_PY, "tools/peers/run_sift_reference.py", eval_pub / "cases.csv", work / "peers" / "sift-published"]
        )
        run(
            vf
            + ["eval", eval_pub / "cases.csv", "--out", eval_pub, "--no-run", "--rescore"]
            + ["--peer", f"pyifd={pyifd_pub}", "--peer", f"sift={work / 'peers' / 'sift-published'}"]
        )
        for cases_csv, out, peer in (
            (subset, "eval-synth-peers", f"pyifd={pyifd_synth}"),
            (clone_subset, "eval-clone-peers", f"sift={sift_synth}"),
        ):
            run(
                vf
                + ["eval", cases_csv, "--out", work / out, "--outputs", eval_synth / "outputs"]
                + ["--no-run", "--rescore", "--peer", peer]
            )
    elif not args.skip_peers:
        print("no .venv-peers: run `make peers` to add the pyIFD comparison", file=sys.stderr)

    perf_json = work / "perf.json"
    seconds["perf"] = run(
        vf + ["perf", "--build", "--repeats", "3", "--out", perf_json, "--plots", work / "plots-perf"]
    )
    local_md = work / "local-run.md"
    seconds["local"] = run([VENV_BIN / "python", "scripts/bench_local_run.py", "--write", local_md])
    seconds["cfa-study"] = run([VENV_BIN / "python", "scripts/study_cfa.py", "--write", work / "cfa-study.md"])
    seconds["metadata"] = run(
        [VENV_BIN / "python", "scripts/bench_metadata.py", "--synth", synth, "--write", work / "metadata.md"]
    )
    seconds["splice-regimes"] = run(
        [VENV_BIN / "python", "scripts/bench_splice_regimes.py", "--work", work, "--write", work / "splice-regimes.md"]
    )
    seconds["localisation-draw"] = run(
        [VENV_BIN / "python", "scripts/bench_localisation_draw.py", "--camera", BENCH / "camera"]
        + ["--work", work / "synth-seed2", "--write", work / "localisation-draw.md"]
    )

    write_doc(work, seconds, peers=peers, clone_sources=args.clone_sources)
    return 0


def heldout_folders(folder: Path) -> tuple[Path, Path]:
    """Folders of links to the AI-detector's test files of ml72 (AI) and real-web (real)."""
    with (ROOT / "training" / "ai_model" / "data_list.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test" and r["family"].startswith(("ml72", "real-web"))]
    dirs = {"1": folder / "ai", "0": folder / "real"}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    for r in rows:
        (dirs[r["label"]] / Path(r["file"]).name).symlink_to(BENCH / r["file"])
    return dirs["1"], dirs["0"]


def write_subset(synth: Path, name: str, n_sources: int, classes: tuple[str, ...] | None = None) -> Path:
    """The cases of the first ``n_sources`` sources of ``synth/cases.csv`` (optionally some classes only)."""
    import csv

    with (synth / "cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    sources = list(dict.fromkeys(r["source"] for r in rows))[:n_sources]
    keep = [r for r in rows if r["source"] in sources and (classes is None or r["class"] in classes)]
    path = synth / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(keep)
    return path


def write_doc(work: Path, seconds: dict[str, float], peers: bool, clone_sources: int) -> None:
    from vforensics.evaluation.perf import to_markdown as perf_markdown
    from vforensics.evaluation.present import summary_lines

    if PLOTS.exists():
        shutil.rmtree(PLOTS)
    PLOTS.mkdir(parents=True)
    for folder in ("eval-synth/plots", "eval-published/plots", "plots-perf"):  # eval-synth-peers: tables only
        for png in sorted((work / folder).glob("*.png")):
            shutil.copyfile(png, PLOTS / png.name)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    synth = json.loads((work / "eval-synth" / "results.json").read_text())
    pub = json.loads((work / "eval-published" / "results.json").read_text())
    ai = json.loads((work / "eval-ai" / "results.json").read_text())
    perf = json.loads((work / "perf.json").read_text())
    lines = [
        "# Benchmarks",
        "",
        f"Regenerated by `make bench` (= `.venv/bin/python scripts/run_benchmarks.py`) on {date.today().isoformat()},",
        f"commit {commit.strip()}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "Stage times of this invocation: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in seconds.items()) + "",
        "(stages reuse what earlier runs left in `bench-out/`; `--fresh` recomputes everything, about an hour",
        "here, most of it pyIFD).",
        "Data: ../shared/bench (see its README for sources and licences). Every number below comes",
        "from the files in `bench-out/` that this command writes; nothing is typed in by hand.",
        "",
        "How to read the tables: AUC 0.5 is chance, 1.0 perfect; pixel F1 is the mean over manipulated",
        "images of the F1 of the map against the mask (`f1_best`: at each image's best threshold, an",
        "optimistic protocol common in the literature; `f1_fixed`: at 0.5); `(all pixels)` is the F1 of",
        "a map marking the whole image, the floor any useful map must beat.",
        "",
    ]
    lines += section_dataset("Synthetic forgeries from shared/bench/camera (`vforensics synth`, seed 0)", synth)
    lines += [(work / "splice-regimes.md").read_text().strip(), ""]
    lines += [(work / "localisation-draw.md").read_text().strip(), ""]
    if peers:
        subset = json.loads((work / "eval-synth-peers" / "results.json").read_text())
        lines += section_dataset(
            "Side by side with pyIFD on the first synthetic sources (same cases; pyIFD is too slow for all)",
            subset,
            plots=False,
        )
        clones = json.loads((work / "eval-clone-peers" / "results.json").read_text())
        lines += section_dataset(
            "Copy-move side by side with the SIFT reference (Amerini et al. 2011) on the synthetic copy-move cases "
            f"of the first {clone_sources} sources (`--clone-sources`)",
            clones,
            plots=False,
        )
    lines += section_dataset("Published samples (shared/bench/forgeries), with pyIFD where installed", pub)
    lines += [(work / "ai-model.md").read_text().strip(), ""]
    lines += [(work / "ai-signals.md").read_text().strip(), ""]
    lines += [
        "Through the whole pipeline (`vforensics eval --ai ... --real ...`, `overall.ai_likelihood`), on the "
        "detector's held-out ml72 images (both unseen families and held-out diffusion1) against its held-out "
        "real-web photos:",
        "",
    ]
    lines += [f"- {line}" for line in summary_lines(ai)] + [""]
    lines += [perf_markdown(perf).replace("](perf_analyzers.png)", "](bench/perf_analyzers.png)"), ""]
    lines += [(work / "cfa-study.md").read_text().strip(), ""]
    lines += [(work / "metadata.md").read_text().strip(), ""]
    lines += [(work / "local-run.md").read_text().strip(), ""]
    (DOCS / "BENCHMARKS.md").write_text("\n".join(lines) + "\n")
    print("wrote", DOCS / "BENCHMARKS.md")


def section_dataset(title: str, results: dict, plots: bool = True) -> list[str]:
    from vforensics.evaluation.present import auc_table, pixel_table, summary_lines, to_markdown

    out = [f"## {title}", ""]
    out += [f"- {line}" for line in summary_lines(results)]
    out.append("")
    for name, d in results["datasets"].items():
        if not d["classes"]:
            continue
        out += [f"### {name}", "", "Image-level ROC AUC against the same set's untouched images:", ""]
        out += [to_markdown(*auc_table(d)), ""]
        if any(c.get("pixel") for c in d["classes"].values()):
            for key in ("f1_best", "f1_fixed", "mcc_best"):
                out += [f"Pixel-level {key}:", "", to_markdown(*pixel_table(d, key)), ""]
        if d.get("flags"):
            out += ["Metadata flags (recall on the cases that expect the flag; rate on untouched images):", ""]
            rows = [
                [f, str(v["recall"]), str(v["n_cases"]), str(v["precision"]), str(v["on_originals"])]
                for f, v in d["flags"].items()
            ]
            out += [to_markdown(["flag", "recall", "cases", "precision", "rate on originals"], rows), ""]
        for kind in ("roc", "auc", "f1") if plots else ():
            if (PLOTS / f"{name}-{kind}.png").is_file():
                out.append(f"![{name} {kind}](bench/{name}-{kind}.png)")
        out.append("")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
