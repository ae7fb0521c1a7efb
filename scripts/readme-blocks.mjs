#!/usr/bin/env node
// The code blocks of the README and the docs pages, so CI runs exactly what a reader copies. A
// block may carry a marker, an HTML comment on the line right before its fence:
//
//   <!-- ci: NAME[, NAME…] -->                    named: a script picks it by name
//   <!-- ci: skip (why it is not run) -->         not run against `npm start` (the reason is required)
//   <!-- ci: backup, skip (why) -->               both
//
// Every ```sh block not marked `skip` of the pages in RUN_PAGES is run, page after page, in order
// and in one shell, against `npm start` (scripts/readme-check.sh).
//
//   node scripts/readme-blocks.mjs NAME [FILE…]   every block marked NAME, in order (default: every page)
//   node scripts/readme-blocks.mjs --run [FILE…]  every ```sh block not marked skip, in order (default: RUN_PAGES)
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Every fenced block, in order: its language, body (the fence's indentation removed), the names
 * of its marker, and the reason given with `skip` (undefined when not skipped).
 */
export function codeBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```([\w-]*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    const body = lines.slice(start + 1, end).map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)[0].length)));
    let before = start - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const marker = before >= 0 ? /^\s*<!--\s*ci:\s*(.*?)\s*-->\s*$/.exec(lines[before]) : null;
    const names = [];
    let skip;
    for (const part of marker ? marker[1].split(/,(?![^(]*\))/) : []) {
      const m = /^\s*([\w-]+)\s*(?:\((.*)\))?\s*$/s.exec(part);
      if (!m) throw new Error(`README line ${before + 1}: unreadable ci marker "${part}"`);
      names.push(m[1]);
      if (m[1] === 'skip') skip = (m[2] ?? '').trim();
    }
    blocks.push({ lang: open[2], body: body.join('\n'), names, skip, line: start + 1 });
    i = end;
  }
  return blocks;
}

/** The bodies of the blocks whose marker names `name`. */
export function readmeBlocks(markdown, name) {
  return codeBlocks(markdown)
    .filter((b) => b.names.includes(name))
    .map((b) => b.body);
}

/** The ```sh blocks CI runs against `npm start`: all but those marked skip. */
export function runnableShellBlocks(markdown) {
  return codeBlocks(markdown).filter((b) => b.lang === 'sh' && b.skip === undefined);
}

/**
 * The pages whose runnable sh blocks CI runs against `npm start`, in the order a reader goes: the
 * README's tour makes the account, cookie and image the API guide uses, and the API guide's quota
 * example makes the operator and the user id the operations page uses.
 */
export const RUN_PAGES = ['README.md', 'docs/api.md', 'docs/operations.md'];

/** Every page that may hold marked blocks: the README, then docs/*.md by name. */
export function docPages() {
  const docs = readdirSync(new URL('../docs/', import.meta.url))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, ...files] = process.argv.slice(2);
  if (!name) {
    console.error('usage: node scripts/readme-blocks.mjs NAME|--run [FILE…]');
    process.exit(2);
  }
  const pages = (files.length ? files : name === '--run' ? RUN_PAGES : docPages()).map((file) => ({
    file,
    markdown: readFileSync(files.length ? file : new URL(`../${file}`, import.meta.url), 'utf8'),
  }));
  const blocks = pages.flatMap(({ file, markdown }) =>
    name === '--run'
      ? runnableShellBlocks(markdown).map((b) => `# ---- ${file} line ${b.line}\n${b.body}`)
      : readmeBlocks(markdown, name),
  );
  if (!blocks.length) {
    console.error(
      name === '--run'
        ? `no runnable sh block in ${pages.map((p) => p.file).join(', ')}`
        : `no block marked <!-- ci: ${name} --> in ${pages.map((p) => p.file).join(', ')}`,
    );
    process.exit(1);
  }
  console.log(blocks.join('\n'));
}
