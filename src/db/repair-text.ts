/**
 * Repairs text that is not valid UTF-8 in a local SQLite database. Before tags were checked
 * for unpaired surrogates, SQLite's `json_each` could store `"\ud800"` as the bytes ED A0 80,
 * and libsql aborts the whole process when it reads such a value. Every read here goes
 * through `hex()`, which cannot fail; bad values become what D1 stores for them (U+FFFD).
 */
import type { Client } from '@libsql/client';

/** Text columns that could have been written from JSON (and a few more, for certainty). */
const COLUMNS = [
  { table: 'tags', column: 'name' },
  { table: 'images', column: 'name' },
  { table: 'images', column: 'content_type' },
  { table: 'users', column: 'email' },
] as const;

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

const REPLACEMENT = [0xef, 0xbf, 0xbd];

/**
 * The valid text for stored bytes, or undefined when they already are valid UTF-8. An encoded
 * surrogate (ED A0..BF xx) becomes one U+FFFD, as D1 stores a lone surrogate; other invalid
 * bytes are replaced as TextDecoder does.
 */
export function repairedText(hex: string): string | undefined {
  const bytes = fromHex(hex);
  try {
    strict.decode(bytes);
    return undefined;
  } catch {
    const out: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const [b0, b1, b2] = [bytes[i], bytes[i + 1] ?? 0, bytes[i + 2] ?? 0];
      if (b0 === 0xed && b1 >= 0xa0 && b1 <= 0xbf && b2 >= 0x80 && b2 <= 0xbf) {
        out.push(...REPLACEMENT);
        i += 2;
      } else out.push(b0 ?? 0);
    }
    return lenient.decode(Uint8Array.from(out));
  }
}

/** Returns how many values were repaired. Cheap when there is nothing to do: one scan per column. */
export async function repairMalformedText(client: Client): Promise<number> {
  let repaired = 0;
  for (const { table, column } of COLUMNS) {
    // Only non-ASCII text can be malformed, and only there do bytes and characters differ in number.
    const rows = await client.execute(
      `SELECT rowid AS id, hex("${column}") AS hex FROM "${table}" WHERE length(CAST("${column}" AS BLOB)) <> length("${column}")`,
    );
    for (const row of rows.rows) {
      const text = repairedText(String(row.hex));
      if (text === undefined) continue;
      const id = Number(row.id);
      if (table === 'tags') await repairTag(client, id, text);
      else await client.execute({ sql: `UPDATE "${table}" SET "${column}" = ? WHERE rowid = ?`, args: [text, id] });
      repaired++;
    }
  }
  return repaired;
}

/** A repaired tag name may equal another tag of the same owner: then its links move there. */
async function repairTag(client: Client, id: number, name: string): Promise<void> {
  await client.batch(
    [
      {
        sql: `INSERT OR IGNORE INTO image_tags (image_id, tag_id, position)
              SELECT it.image_id, t2.id, it.position FROM image_tags AS it
              JOIN tags AS t1 ON t1.id = it.tag_id
              JOIN tags AS t2 ON t2.owner_id = t1.owner_id AND t2.name = ? AND t2.id <> t1.id
              WHERE it.tag_id = ?`,
        args: [name, id],
      },
      {
        sql: `DELETE FROM image_tags WHERE tag_id = ? AND EXISTS (
                SELECT 1 FROM tags AS t1 JOIN tags AS t2 ON t2.owner_id = t1.owner_id AND t2.name = ? AND t2.id <> t1.id
                WHERE t1.id = ?)`,
        args: [id, name, id],
      },
      {
        sql: `DELETE FROM tags WHERE id = ? AND EXISTS (
                SELECT 1 FROM tags AS t2 WHERE t2.owner_id = tags.owner_id AND t2.name = ? AND t2.id <> tags.id)`,
        args: [id, name],
      },
      { sql: 'UPDATE tags SET name = ? WHERE id = ?', args: [name, id] },
    ],
    'write',
  );
}
