/**
 * The little XML the S3 store reads: ListObjectsV2, InitiateMultipartUpload,
 * CompleteMultipartUpload, DeleteObjects and error bodies. Their elements are flat, with names
 * that never nest inside an element of the same name, so a scan for `<Name>…</Name>` is
 * exact; no document is evaluated (no DTD, no external entities), only the five predefined
 * entities and numeric character references are decoded. No XML parser is among the installed
 * packages, and a general one would be far more than these replies need.
 */

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Text content with entities and character references decoded; CDATA sections kept verbatim. */
export function decodeXmlText(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const cdata = text.indexOf('<![CDATA[', at);
    const plain = cdata < 0 ? text.slice(at) : text.slice(at, cdata);
    out += plain.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
      if (ref.startsWith('#')) {
        const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[ref] ?? whole;
    });
    if (cdata < 0) return out;
    const end = text.indexOf(']]>', cdata);
    if (end < 0) throw new Error('Unterminated CDATA section in an S3 reply');
    out += text.slice(cdata + 9, end);
    at = end + 3;
  }
}

/**
 * The raw inner XML of every `name` element, in document order; `<name/>` gives ''. A start
 * tag counts only when the name is followed by `>`, `/` or whitespace, so `Key` never matches
 * `KeyCount`.
 */
export function xmlElements(xml: string, name: string): string[] {
  const found: string[] = [];
  const open = `<${name}`;
  const close = `</${name}>`;
  let at = 0;
  for (;;) {
    const start = xml.indexOf(open, at);
    if (start < 0) return found;
    const next = xml[start + open.length];
    if (next !== '>' && next !== '/' && next !== ' ' && next !== '\t' && next !== '\n' && next !== '\r') {
      at = start + open.length;
      continue;
    }
    const tagEnd = xml.indexOf('>', start);
    if (tagEnd < 0) throw new Error(`Unterminated <${name}> in an S3 reply`);
    if (xml[tagEnd - 1] === '/') {
      found.push('');
      at = tagEnd + 1;
      continue;
    }
    const end = xml.indexOf(close, tagEnd);
    if (end < 0) throw new Error(`Unterminated <${name}> in an S3 reply`);
    found.push(xml.slice(tagEnd + 1, end));
    at = end + close.length;
  }
}

/** The decoded text of the first `name` element, or undefined when there is none. */
export function xmlText(xml: string, name: string): string | undefined {
  const [first] = xmlElements(xml, name);
  return first === undefined ? undefined : decodeXmlText(first);
}

/** Text for inside an element we send (keys in DeleteObjects). */
export function escapeXmlText(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}
