import { MAX_TAG_LENGTH, MAX_TAGS_PER_IMAGE } from '../limits';
/** Tag rules shared by upload and tag edits; pure, so unit-testable. */
import { NOT_WELL_FORMED } from './text';

/** C0/C1 controls and DEL; also line/paragraph separators, which render as line breaks. */
export const isControl = (code: number) =>
  code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;

export const hasControl = (s: string) => [...s].some((ch) => isControl(ch.codePointAt(0) ?? 0));

export type TagCheck = { ok: true; tag: string } | { ok: false; message: string };

/**
 * `.` and `..` would be stored but never reachable through `/images/{id}/tags/{tag}`: clients
 * and routers resolve them as path segments, even percent-encoded.
 */
const DOT_SEGMENTS = new Set(['.', '..']);

/** Trims and NFC-normalises one tag, or says why it is refused (naming it). */
export function checkTag(raw: string): TagCheck {
  const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
  // A lone surrogate cannot be stored as UTF-8: SQLite's JSON functions would write invalid
  // bytes that crash libsql on the next read. Refuse it before anything else looks at it.
  if (!raw.isWellFormed()) return { ok: false, message: `Tag ${shown} ${NOT_WELL_FORMED}` };
  const tag = raw.trim().normalize('NFC');
  if (tag.length === 0) return { ok: false, message: `Tag ${shown} is empty` };
  if (DOT_SEGMENTS.has(tag)) return { ok: false, message: `Tag ${shown} is a path segment (. or ..)` };
  if (hasControl(tag)) return { ok: false, message: `Tag ${shown} contains control characters` };
  if ([...tag].length > MAX_TAG_LENGTH) {
    return { ok: false, message: `Tag ${shown} is longer than ${MAX_TAG_LENGTH} characters` };
  }
  return { ok: true, tag };
}

export type TagListCheck = { ok: true; tags: string[] } | { ok: false; messages: string[] };

/** Checks every tag, drops duplicates keeping the first, enforces the per-image cap. */
export function checkTagList(raw: readonly string[]): TagListCheck {
  const tags: string[] = [];
  const seen = new Set<string>();
  const messages: string[] = [];
  for (const item of raw) {
    const checked = checkTag(item);
    if (!checked.ok) messages.push(checked.message);
    else if (!seen.has(checked.tag)) {
      seen.add(checked.tag);
      tags.push(checked.tag);
    }
  }
  if (messages.length) return { ok: false, messages };
  if (tags.length > MAX_TAGS_PER_IMAGE) {
    return { ok: false, messages: [`At most ${MAX_TAGS_PER_IMAGE} tags per image; got ${tags.length}`] };
  }
  return { ok: true, tags };
}

/**
 * Reads the ways clients send a tag list in a form: a JSON array in one field (the original
 * clients), repeated fields (`tags=a&tags=b`), or one comma-separated field (HTML forms).
 */
export function splitTagField(value: string | readonly string[] | undefined): string[] | { error: string } {
  if (value === undefined) return [];
  if (typeof value !== 'string') {
    // Repeated fields: each is one tag, or a JSON array part (a client sending several).
    const out: string[] = [];
    for (const v of value) {
      const one = v.trim().startsWith('[') ? fromJson(v) : [v];
      if (!Array.isArray(one)) return one;
      out.push(...one);
    }
    return out;
  }
  const text = value.trim();
  // A JSON array, or a lone JSON string (`"cat"`), as JSON-speaking clients send the part.
  if (text.startsWith('[') || text.startsWith('"')) return fromJson(text);
  if (text === '') return [];
  return text.split(',');
}

function fromJson(text: string): string[] | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'tags looks like JSON but is not valid JSON' };
  }
  if (typeof parsed === 'string') return [parsed];
  if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === 'string')) {
    return { error: 'tags must be a JSON array of strings' };
  }
  return parsed;
}
