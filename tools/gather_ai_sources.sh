#!/usr/bin/env bash
# Gather the AI and real images that ../shared/bench/ai/SOURCES.csv lists (about 260 MB) into
# VF_AI_SOURCES (default ../ai-sources), byte for byte, checked against their git blob ids.
# Needs git and the network (GitHub). Mirrors go to VF_AI_MIRRORS (default ../ai-mirrors);
# `git clone --mirror` brings every ref, including the pull-request refs that some blobs live in.
# The files are training and evaluation data of the AI-image detector: never commit them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bench="${VF_BENCH:-$here/../shared/bench}"
dest="${VF_AI_SOURCES:-$here/../ai-sources}"
mirrors="${VF_AI_MIRRORS:-$here/../ai-mirrors}"
mkdir -p "$mirrors"
for repo in jamez-bondos/awesome-gpt4o-images comfyanonymous/ComfyUI_examples brycedrennan/imaginAIry \
            CompVis/taming-transformers CompVis/latent-diffusion; do
  dir="$mirrors/${repo/\//+}/.git"
  if [ -d "$dir" ]; then
    git --git-dir="$dir" fetch --quiet origin '+refs/*:refs/*' || true
  else
    git clone --quiet --mirror "https://github.com/$repo.git" "$dir"
  fi
done
python3 "$bench/ai/gather_sources.py" "$dest" --mirror "$mirrors"
