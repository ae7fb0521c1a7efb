#!/usr/bin/env bash
# CI: every ```sh block of the README not marked `<!-- ci: skip (reason) -->`, as written, in
# order, in one shell (so `id`, `key`, … captured by one block serve the next, as for a reader
# going down the page), from the repo root, against the server `npm start` serves on :8000.
# Stops at the first command that fails (`bash -e`, `pipefail`); commands that must succeed use
# `curl -f`. The TypeScript client example is saved as example.ts first, as the README asks the
# reader to. Afterwards it checks what the variant examples wrote really was resized, and removes
# every file the examples wrote (all git-ignored).
#
#   npm start   (in another terminal), then   bash scripts/readme-check.sh
#
# README_PORT=8790 runs it against `npm start -- --port 8790` (for trying the script while
# something else has :8000; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
blocks=$(node scripts/readme-blocks.mjs --run)
if [ -n "${README_PORT:-}" ]; then blocks=${blocks//localhost:8000/localhost:$README_PORT}; fi
written=(jar operator-jar out example.ts api.d.ts)
for f in "${written[@]}"; do
  if [ -e "$f" ]; then echo "$f exists already; move it away first (the README examples write it)"; exit 1; fi
done
trap 'rm -rf "${written[@]}"' EXIT
node scripts/readme-blocks.mjs client-example > example.ts

bash -euxo pipefail -c "$blocks"

# The variant examples must show a resize, not the original's size again.
node --input-type=module -e "
  import sharp from 'sharp';
  const want = { 'out/thumb.webp': [256, 192], 'out/square.jpg': [300, 300] };
  for (const [file, [w, h]] of Object.entries(want)) {
    const { width, height } = await sharp(file).metadata();
    if (width !== w || height !== h) throw new Error(file + ' is ' + width + 'x' + height + ', not ' + w + 'x' + h);
  }"
echo; echo "README: every sh block not marked skip ran as written"
