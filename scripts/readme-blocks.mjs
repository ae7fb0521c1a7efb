#!/usr/bin/env node
// Prints the README's code blocks marked for CI, so CI runs exactly what a reader copies:
//
//   <!-- ci: NAME -->
//   ```sh
//   ...
//   ```
//
//   node scripts/readme-blocks.mjs NAME [README.md]   every block marked NAME, in order
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bodies of the fenced blocks right after each `<!-- ci: name -->` marker. */
export function readmeBlocks(markdown, name) {
  const blocks = [];
  const marker = /<!--\s*ci:\s*([\w-]+)\s*-->\s*\n```[\w-]*\n([\s\S]*?)\n```/g;
  for (const m of markdown.matchAll(marker)) if (m[1] === name) blocks.push(m[2]);
  return blocks;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, file = new URL('../README.md', import.meta.url)] = process.argv.slice(2);
  if (!name) {
    console.error('usage: node scripts/readme-blocks.mjs NAME [README.md]');
    process.exit(2);
  }
  const blocks = readmeBlocks(readFileSync(file, 'utf8'), name);
  if (!blocks.length) {
    console.error(`no README block marked <!-- ci: ${name} -->`);
    process.exit(1);
  }
  console.log(blocks.join('\n'));
}
