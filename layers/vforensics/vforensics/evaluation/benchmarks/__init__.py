"""The benchmarks behind docs/BENCHMARKS.md: one module per section, one runner for all.

Every section module follows one interface (``Section`` in ``_section``): ``NAME``,
``ISOLATED``, ``run(context, **options) -> results`` (a JSON-serialisable dict: it measures)
and ``to_markdown(results) -> str`` (it only renders), and has its own command line,
``python -m vforensics.evaluation.benchmarks.<section> [--work bench-out] [--write FILE.md]
[--json FILE.json] ...``. The sections, in the order of the document:

- ``synthetic``: ``vforensics synth`` (seed 0) and ``vforensics eval`` on the cases;
- ``held_out_makes``: the tampering figures on camera makes the fits did not see (grouped folds);
- ``splice_regimes``: the splice maps by compression regime (from ``synthetic``'s outputs);
- ``localisation_draw``: splice and inpainting maps on a second, larger draw (seed 2);
- ``peer_subsets``: side by side with pyIFD and the SIFT reference (with .venv-peers);
- ``exiftool_digest``: ExifTool's JPEGDigest as a re-save peer (where ExifTool is installed);
- ``published``: the published forgery sets, with the peers where installed;
- ``ai_model``: the AI-image detector on its held-out files, its speed and its image;
- ``ai_signals``: the fitted AI likelihood (``vforensics.evaluation.fitting.fit_ai_likelihood``);
- ``ai_pipeline``: AI-generated vs real through the whole pipeline;
- ``perf``: speed, memory, size and cost (``vforensics perf``);
- ``cfa_study``: where the cfa analyzer applies, and a positive control for its map;
- ``metadata``: metadata flags and C2PA validation;
- ``local_run``: one 12 MP image through the whole local pipeline.

``python -m vforensics.evaluation.benchmarks`` (``make bench``, the ``runner`` module) runs
them all into ``bench-out/`` (the results in ``bench-out/results/<NAME>.json``) and writes
docs/BENCHMARKS.md and docs/bench/*.png. Development tooling: needs the repository checkout
and ../shared/bench.
"""

from vforensics.evaluation.benchmarks._section import Context, Section

__all__ = ["Context", "Section"]
