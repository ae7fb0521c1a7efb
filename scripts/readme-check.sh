#!/usr/bin/env bash
# CI: the README's quick tour ("Try it" and "Using the API", the blocks marked <!-- ci: tour -->),
# run as written from the repo root against the server `npm start` serves on :8000. Every
# command that must succeed uses `curl -f`, so a refusal fails the step instead of printing a
# problem body. Cleans up the files the tour writes (jar, sample-copy.png).
#
#   npm start   (in another terminal), then   bash scripts/readme-tour.sh
#
# README_PORT=8787 runs it against another port (for trying the script itself; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
tour=$(node scripts/readme-blocks.mjs tour)
if [ -n "${README_PORT:-}" ]; then tour=${tour//localhost:8000/localhost:$README_PORT}; fi
trap 'rm -f jar sample-copy.png' EXIT
bash -euxo pipefail -c "$tour"
echo "README quick tour: every command succeeded"
