import { env } from 'cloudflare:workers';

/** Every key in the test bucket, to see exactly what a request left behind. */
export async function storedKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await env.IMAGES.list({ cursor });
    for (const o of page.objects) keys.add(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** Keys in `after` that were not in `before`. */
export const addedKeys = (before: Set<string>, after: Set<string>) => [...after].filter((k) => !before.has(k));
