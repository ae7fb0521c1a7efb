#!/usr/bin/env bash
# CI: every ```sh block not marked `<!-- ci: skip (reason) -->` of the README and the docs pages
# that continue its tour, as written, page after page and in order, in one shell (so `id`, `key`,
# … captured by one block serve the next, as for a reader going down the pages), from the repo
# root, against the server `npm start` serves on :8000. The pages and their order are RUN_PAGES in
# scripts/readme-blocks.mjs (README.md, docs/api.md, docs/operations.md: the README registers Ada
# and uploads the image the API guide uses; the API guide's quota example makes the operator the
# operations page uses); pass files to run others instead.
# Stops at the first command that fails (`bash -e`, `pipefail`); commands that must succeed use
# `curl -f`. The TypeScript client example (docs/api.md) is saved as example.ts first, as the page
# asks the reader to. Afterwards it checks what the variant examples wrote really was resized, and
# removes every file the examples wrote (all git-ignored).
#
#   npm start   (in another terminal), then   bash scripts/readme-check.sh [FILE…]
#
# README_BASE_URL=http://127.0.0.1:8790 (or README_PORT=8790, for http://localhost:8790) runs the
# blocks against another server, e.g. `npm start -- --port 8790`, for trying the script while
# something else has :8000; CI sets neither. The operator example acts on `npm start`'s local D1
# (`--local-d1`) and the housekeeping example calls wrangler's `/__scheduled`, so the server must
# be `npm start` from this checkout, not a Node or Bun server.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${README_BASE_URL:-http://localhost:${README_PORT:-8000}}
base=${base%/}
blocks=$(node scripts/readme-blocks.mjs --run "$@")
client=$(node scripts/readme-blocks.mjs client-example)
if [ "$base" != http://localhost:8000 ]; then
  # `http://localhost:8000` first, then the bare `localhost:8000` curl is given.
  blocks=${blocks//http:\/\/localhost:8000/$base}
  blocks=${blocks//localhost:8000/$base}
  client=${client//http:\/\/localhost:8000/$base}
fi
written=(jar operator-jar out example.ts api.d.ts)
for f in "${written[@]}"; do
  if [ -e "$f" ]; then echo "$f exists already; move it away first (the examples write it)"; exit 1; fi
done
trap 'rm -rf "${written[@]}"' EXIT
printf '%s\n' "$client" > example.ts

bash -euxo pipefail -c "$blocks"

# The variant examples must show a resize, not the original's size again.
node --input-type=module -e "
  import sharp from 'sharp';
  const want = { 'out/thumb.webp': [256, 192], 'out/square.jpg': [300, 300] };
  for (const [file, [w, h]] of Object.entries(want)) {
    const { width, height } = await sharp(file).metadata();
    if (width !== w || height !== h) throw new Error(file + ' is ' + width + 'x' + height + ', not ' + w + 'x' + h);
  }"
echo; echo "README and docs: every sh block not marked skip ran as written"
