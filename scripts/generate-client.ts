// Client types for openapi-fetch from a running server's OpenAPI document (or a saved one),
// with file parts and image bytes typed `Blob`, as in test/generated/api.d.ts:
//
//   npm run generate:client -- --url http://localhost:8000/api/openapi.json -o api.d.ts
//   npm run generate:client -- --url openapi.json -o api.d.ts          (a file works too)
//
// Defaults: --url http://localhost:8000/api/openapi.json, -o api.d.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clientTypes } from './openapi';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:8000/api/openapi.json' },
    output: { type: 'string', short: 'o', default: 'api.d.ts' },
  },
});
const source = values.url;
let doc: unknown;
if (/^https?:\/\//.test(source)) {
  const res = await fetch(source);
  if (!res.ok) throw new Error(`${source} answered ${res.status}`);
  doc = await res.json();
} else {
  doc = JSON.parse(readFileSync(source, 'utf8'));
}
writeFileSync(
  values.output,
  `// Generated from ${source} by \`npm run generate:client\`.\n\n${await clientTypes(doc)}`,
);
console.log(`wrote ${values.output}`);
