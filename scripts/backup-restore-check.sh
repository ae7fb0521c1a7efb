#!/usr/bin/env bash
# CI: the Node/Bun operations of docs/self-hosting.md, run as written (the blocks marked
# <!-- ci: node-env -->, backup, reset and restore): configure, upload an image, back up while serving, stop, wipe,
# restore, start again and read the image back; then back up twice more to show a repeated
# backup neither fails nor nests copies.
#
# Runs in a scratch directory laid out like the repo root (symlinks to the code), so no data/,
# backup/ or .env of the checkout is touched, and on a free port (PORT=0), so it never needs :8000.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server=
stop_server() {
  if [ -n "$server" ]; then
    kill -TERM -- "-$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
# scripts and web: `start:node` builds the web app first (scripts/web-build.mjs from web/).
for f in node_modules src drizzle docs scripts web package.json tsconfig.json .env.example; do ln -s "$root/$f" "$work/$f"; done
cd "$work"

page_block() {
  echo "::: docs/self-hosting.md block: $1"
  bash -euxo pipefail -c "$(node "$root/scripts/readme-blocks.mjs" "$1" "$root/docs/self-hosting.md")"
}

origin=
start_server() {
  # The page's `npm run start:node`, on a free loopback port (the environment wins over .env).
  PORT=0 HOST=127.0.0.1 setsid npm run -s start:node > server.log 2>&1 &
  server=$!
  for _ in $(seq 1 60); do
    port=$(node -e 'for (const l of require("fs").readFileSync("server.log", "utf8").split("\n")) {
      try { const e = JSON.parse(l); if (e.message === "listening") { console.log(e.port); break; } } catch {} }')
    if [ -n "$port" ]; then origin="http://127.0.0.1:$port"; return; fi
    sleep 0.5
  done
  cat server.log
  echo "the Node server did not start"
  exit 1
}

login() {
  curl -fsS -c jar -X POST "$origin/api/v1/user/login" -d 'email=ops@example.com&password=correct horse battery' > /dev/null
}

page_block node-env
start_server
curl -fsS -X POST "$origin/api/v1/user/register" -H 'content-type: application/json' \
  -d '{"email":"ops@example.com","password":"correct horse battery"}' > /dev/null
login
id=$(curl -fsS -b jar -F image=@docs/sample.png "$origin/api/v1/images" | node -p 'JSON.parse(require("fs").readFileSync(0)).id')

page_block backup            # while the server runs
stop_server
page_block reset
if [ -e data ]; then echo "reset left data/ behind"; exit 1; fi
page_block restore
start_server
curl -fsS "$origin/healthz"
login
curl -fsS -b jar -o restored.png "$origin/api/v1/images/$id/file"
cmp docs/sample.png restored.png

page_block backup
page_block backup            # a second run must neither fail nor nest copies
stored=$(find backup/images -type f | wc -l)
if [ "$stored" -ne 1 ] || [ -e backup/images/images/images ]; then
  find backup
  echo "the backup holds $stored files, not the one image"
  exit 1
fi
echo "docs/self-hosting.md backup and restore: image $id read back intact after a wipe"
