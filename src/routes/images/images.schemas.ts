import { z } from '@hono/zod-openapi';
import { MAX_AVIF_SIDE, MAX_PAGE, MAX_REQUEST_SIDE } from '../../limits';
import { ON_DUPLICATE } from '../../services/images';
import { checkTag, checkTagList, splitTagField } from '../../services/tag-rules';
import {
  intersect,
  type ParsedInstant,
  rangeEnd,
  rangeStart,
  type TimeRange,
  utcDay,
} from '../../services/time-filters';
import { FITS, FORMATS, THUMBNAIL_QUERY, type VariantRequest, variantRequestIssues } from '../../services/variants';
import { pageLimit } from '../page-params';
import { instantParam as instant } from '../time-params';

/** Positive integer ids only: `1e3`, ` 1` and `01` are not ids. */
export const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'Must be a positive integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'Must be a positive integer');

export const legacyImageParams = z.object({
  img_id: positiveId.openapi({ param: { name: 'img_id', in: 'path' }, type: 'integer', example: 42 }),
});

export const imageParams = z.object({
  id: positiveId.openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 42 }),
});

const tagParam = z
  .string()
  .transform((raw, ctx) => {
    const checked = checkTag(raw);
    if (checked.ok) return checked.tag;
    ctx.addIssue({ code: 'custom', message: checked.message });
    return z.NEVER;
  })
  .openapi({ param: { name: 'tag', in: 'path' }, type: 'string', example: 'garden', description: 'URL-encoded' });

export const legacyImageTagParams = legacyImageParams.extend({ tag: tagParam });
export const imageTagParams = imageParams.extend({ tag: tagParam });

const toTagList = (value: string | string[] | undefined, ctx: z.RefinementCtx): string[] => {
  const split = splitTagField(value);
  if (!Array.isArray(split)) {
    ctx.addIssue({ code: 'custom', message: split.error });
    return z.NEVER;
  }
  const checked = checkTagList(split);
  if (checked.ok) return checked.tags;
  for (const message of checked.messages) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
};

/** A tag list in any of the shapes clients send it, checked and de-duplicated. */
const tagListInput = z.union([z.array(z.string()), z.string()]).transform(toTagList);
const optionalTagListInput = z
  .union([z.array(z.string()), z.string()])
  .optional()
  .transform(toTagList);

const TAGS_HELP =
  'Tags: trimmed, 1–64 characters, no control characters, at most 50, duplicates dropped keeping the first. ' +
  'Send a JSON array of strings, repeated fields, or one comma-separated field.';

export const uploadForm = z
  .object({
    image: z
      .instanceof(File, { message: 'Required: an `image` file part' })
      .openapi({ type: 'string', format: 'binary', description: 'PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF' }),
    tags: optionalTagListInput.openapi({
      description: TAGS_HELP,
      example: ['cat', 'garden'],
      type: 'array',
      items: { type: 'string' },
    }),
  })
  .openapi('ImageUpload');

export const tagsBody = z
  .object({
    tags: tagListInput.openapi({ description: TAGS_HELP, type: 'array', items: { type: 'string' }, example: ['cat'] }),
  })
  .openapi('TagList');

const dateParams = {
  start_date: instant('start_date', {
    description: 'From this instant (unix seconds or ISO 8601; a bare date means its midnight UTC)',
    example: '1764288000',
  }),
  end_date: instant('end_date', {
    description: 'Up to and including this instant (a bare date means the whole day, UTC)',
    example: '2026-11-28',
  }),
  date: instant('date', {
    description: 'Only images created on this UTC day (a date, unix seconds or ISO 8601 date-time)',
    example: '2026-11-28',
  }),
};

/**
 * Filter tags go through the same rules as stored ones (trimmed, NFC), or ` cat` and an NFD
 * `café` would never match what an upload stored; a value no tag could have is refused.
 */
const tagFilter = z
  .union([z.array(z.string()), z.string()])
  .optional()
  .transform((v, ctx) => {
    const raw = v === undefined ? [] : typeof v === 'string' ? [v] : v;
    const tags: string[] = [];
    for (const item of raw) {
      const checked = checkTag(item);
      if (checked.ok) tags.push(checked.tag);
      else ctx.addIssue({ code: 'custom', message: checked.message });
    }
    return tags;
  })
  .openapi({
    param: { style: 'form', explode: true },
    description:
      'Only images with this tag (matched as stored: trimmed, Unicode NFC; an impossible tag is a 400); repeat for images having all of them',
    type: 'array',
    items: { type: 'string' },
  });

type DateQuery = { start_date?: ParsedInstant; end_date?: ParsedInstant; date?: ParsedInstant };

/** The time range the date filters ask for; refuses start after end. */
function toRange(q: DateQuery, ctx: z.RefinementCtx): TimeRange {
  let range: TimeRange = {};
  if (q.start_date) range.from = rangeStart(q.start_date);
  if (q.end_date) range.until = rangeEnd(q.end_date);
  if (range.from !== undefined && range.until !== undefined && range.from >= range.until) {
    ctx.addIssue({ code: 'custom', path: ['start_date'], message: 'start_date must not be after end_date' });
  }
  if (q.date) range = intersect(range, utcDay(q.date));
  return range;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const uploadQuery = z.object({
  on_duplicate: z
    .enum(ON_DUPLICATE)
    .optional()
    .openapi({
      description:
        'When you already have an image with the same bytes (SHA-256; only your own images count): `allow` (default) ' +
        'stores another copy, `reject` answers 409 naming the existing image, `return` answers 200 with it and stores nothing. ' +
        'Exact under concurrent uploads: with `reject` or `return`, of two identical uploads only one is stored.',
      example: 'reject',
    }),
});

export const legacyListQuery = z
  .object({ tag: tagFilter, ...dateParams })
  .superRefine((q, ctx) => {
    // The original service required both ends together.
    if ((q.start_date === undefined) !== (q.end_date === undefined)) {
      const missing = q.start_date === undefined ? 'start_date' : 'end_date';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'start_date and end_date must be given together' });
    }
  })
  .transform((q, ctx) => ({ tags: q.tag, ...toRange(q, ctx) }));

export const listQuery = z
  .object({
    tag: tagFilter,
    ...dateParams,
    limit: pageLimit(MAX_PAGE),
    cursor: z.string().optional().openapi({ description: '`next_cursor` from the previous page' }),
    sha256: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.string().regex(SHA256_HEX, 'Expected 64 hexadecimal characters'))
      .optional()
      .openapi({
        description: 'Only your images with these bytes: their SHA-256 as 64 hex characters (the `sha256` field)',
        example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      }),
  })
  .transform((q, ctx) => ({
    tags: q.tag,
    limit: q.limit,
    cursor: q.cursor,
    ...(q.sha256 !== undefined ? { sha256: q.sha256 } : {}),
    ...toRange(q, ctx),
  }));

// ---- variants -------------------------------------------------------------------------------

/** A decimal integer within bounds, or an issue naming the parameter. */
const boundedInt = (name: string, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const n = /^\d{1,5}$/.test(v) ? Number(v) : Number.NaN;
      if (!(n >= min && n <= max))
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max}` });
      return n;
    });

const FIT_HELP =
  'How `width` and `height` (both given) are used: `inside` (default) fits within them keeping the aspect ratio, ' +
  '`outside` covers them keeping it, `cover` fills them and crops the centre, `contain` fits within and pads ' +
  '(transparent, white for JPEG), `fill` stretches to them. With one side given, the other follows the aspect ratio.';

/** Cross-field rules, reported against the parameter they concern. */
function refineVariant(r: VariantRequest, ctx: z.RefinementCtx) {
  for (const issue of variantRequestIssues(r))
    ctx.addIssue({ code: 'custom', path: [issue.name], message: issue.message });
}

export const variantQuery = z
  .object({
    width: boundedInt('width', 1, MAX_REQUEST_SIDE).openapi({
      type: 'integer',
      minimum: 1,
      maximum: MAX_REQUEST_SIDE,
      description: 'Variant width in pixels',
      example: 256,
    }),
    height: boundedInt('height', 1, MAX_REQUEST_SIDE).openapi({
      type: 'integer',
      minimum: 1,
      maximum: MAX_REQUEST_SIDE,
      description: 'Variant height in pixels',
    }),
    fit: z.enum(FITS).optional().openapi({ description: FIT_HELP }),
    format: z
      .enum([...FORMATS, 'auto'])
      .optional()
      .openapi({
        description:
          'Output format. `auto`: AVIF when `Accept` lists image/avif (and the variant is at most ' +
          `${MAX_AVIF_SIDE} px per side), else WebP when it lists image/webp, else the default; the response then ` +
          'carries `Vary: Accept`. Default: JPEG for JPEG, WebP for WebP, PNG for PNG and GIF (first frame).',
      }),
    quality: boundedInt('quality', 1, 100).openapi({
      type: 'integer',
      minimum: 1,
      maximum: 100,
      description: 'For WebP, AVIF and JPEG (default 80); PNG ignores it',
    }),
    enlarge: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true'))
      .openapi({
        type: 'boolean',
        description: 'Allow the variant to be larger than the image (default false: no axis grows)',
      }),
  })
  .superRefine(refineVariant);

export const variantQueryHelp =
  `Any of these parameters asks for a variant: a resized and/or re-encoded copy, upright (EXIF orientation applied), ` +
  `without metadata, with its own ETag. Without them the original bytes are served. The thumbnail in list responses ` +
  `is \`?${THUMBNAIL_QUERY}\`.`;

// Responses: rows are mapped explicitly (see images.present.ts), never passed through.

export const legacyImageSchema = z
  .object({
    img_id: z.number().int().openapi({ example: 42 }),
    name: z.string().openapi({ example: 'photo.png' }),
    size: z.number().int().openapi({ example: 48213 }),
    content_type: z.string().openapi({ example: 'image/png' }),
    tags: z.array(z.string()).openapi({ example: ['cat', 'garden'] }),
    created_at: z.number().openapi({ description: 'Unix seconds', example: 1_764_288_000 }),
    sha256: z.string().openapi({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
    width: z.number().int().nullable().openapi({ example: 640 }),
    height: z.number().int().nullable().openapi({ example: 480 }),
  })
  .openapi('LegacyImage');

export const imageSchema = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    name: z.string().openapi({ example: 'photo.png' }),
    size: z.number().int().openapi({ example: 48213 }),
    content_type: z.string().openapi({ example: 'image/png' }),
    tags: z.array(z.string()).openapi({ example: ['cat', 'garden'] }),
    created_at: z.string().openapi({ format: 'date-time', example: '2026-11-28T00:00:00.000Z' }),
    created_at_unix: z.number().openapi({ description: 'Unix seconds', example: 1_764_288_000 }),
    sha256: z.string().openapi({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
    width: z.number().int().nullable().openapi({ example: 640 }),
    height: z.number().int().nullable().openapi({ example: 480 }),
    verified: z.boolean().openapi({
      description:
        'True when the bytes were recognised as `content_type`. False only for bytes stored through the ' +
        'legacy `POST /api/images` under the type the client declared: served only as a download ' +
        '(`Content-Disposition: attachment`, `Content-Security-Policy: sandbox`) and never transformed.',
      example: true,
    }),
    thumbhash: z
      .string()
      .nullable()
      .openapi({
        description:
          'A [ThumbHash](https://evanw.github.io/thumbhash/) of the image, base64: a blurred placeholder to paint before ' +
          'the thumbnail arrives, the same on every runtime for the same bytes. Null for images no engine decodes here ' +
          '(AVIF, BMP, TIFF, unverified), when it could not be made, or before it was backfilled',
        example: '1QcSHQRnh493V4dIh4eXh1h4kJUI',
      }),
    file_url: z.string().openapi({ example: '/api/v1/images/42/file' }),
    thumbnail_url: z.string().openapi({
      description: 'A small variant for lists: at most 256×256, in the best format the client accepts',
      example: `/api/v1/images/42/file?${THUMBNAIL_QUERY}`,
    }),
  })
  .openapi('Image');

export const imagePageSchema = z
  .object({
    items: z.array(imageSchema),
    next_cursor: z.string().nullable().openapi({
      description:
        'Pass as `cursor` for the next page; null at the end. With a `tag` filter a page examines a bounded number of images, so it can hold fewer items than `limit` (even none) while more follow: keep going until this is null',
    }),
  })
  .openapi('ImagePage');

export const tagNamesSchema = z.array(z.string()).openapi('LegacyTagNames', { example: ['cat', 'garden'] });

export const imageTagsSchema = z
  .object({ tags: z.array(z.string()).openapi({ example: ['cat', 'garden'] }) })
  .openapi('ImageTags');

export const tagCountsSchema = z
  .object({
    items: z.array(
      z.object({ name: z.string().openapi({ example: 'cat' }), count: z.number().int().openapi({ example: 3 }) }),
    ),
  })
  .openapi('TagCounts');

export const legacyDeletedSchema = z
  .object({ img_id: z.number().int(), deleted: z.literal(true) })
  .openapi('LegacyDeleted');
