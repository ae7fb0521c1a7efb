import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../../auth/middleware';
import { jsonOrFormBody, readJsonOrForm } from '../../http/body';
import { problemResponseSpec } from '../../http/problem';
import { authErrors, authenticated, slowBodyError, smallBodyErrors, validationError } from '../../http/responses';
import { ACCEPTED_DECLARED_TYPES, DECLARED_TYPE_ALIASES } from '../../services/upload-policy';
import { legacyRoutes } from '../legacy-routes';
import {
  imagePageSchema,
  imageParams,
  imageSchema,
  imageTagParams,
  imageTagsSchema,
  legacyDeletedSchema,
  legacyImageParams,
  legacyImageSchema,
  legacyImageTagParams,
  legacyListQuery,
  listQuery,
  tagCountsSchema,
  tagNamesSchema,
  tagsBody,
  uploadForm,
  variantQuery,
  variantQueryHelp,
} from './images.schemas';
import { readUploadBody } from './upload-body';

const V1_TAGS = ['Images'];
const V1_TAG_TAGS = ['Tags'];

const notFound = { 404: problemResponseSpec('No such image (another user’s image answers the same)') } as const;

/** What any request naming an image can answer besides success. */
const readErrors = { ...validationError, ...notFound, ...authErrors } as const;

const uploadErrors = (unsupported: string) =>
  ({
    ...validationError,
    403: problemResponseSpec(
      'Image quota reached (`quota` names the limit and your usage), a `read` API key, or a cross-site browser request',
    ),
    413: problemResponseSpec(
      'Image larger than MAX_UPLOAD_BYTES (refused from Content-Length when sent), or it would exceed your storage quota (`quota` names the limit and your usage)',
    ),
    415: problemResponseSpec(unsupported),
    ...slowBodyError,
    429: {
      ...problemResponseSpec(
        'Too many uploads in progress for this account (CONCURRENT_UPLOADS_PER_USER) or from this address (CONCURRENT_UPLOADS_PER_ADDRESS)',
      ),
      headers: {
        'Retry-After': { schema: { type: 'string' as const }, description: 'Seconds to wait before retrying' },
      },
    },
    ...authErrors,
  }) as const;

const FORMATS = 'PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF';
const codeList = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');

const STRICT_UPLOAD =
  `Strict: the stored type comes from the bytes (${FORMATS}), whatever the part declares; ` +
  'any other bytes, SVG included, are refused with 415.';

const LEGACY_UPLOAD =
  'Accepts what the original service accepted. Recognised bytes are stored under the recognised type, ' +
  `as on v1. Bytes that match no known format are stored when the \`image\` part declares an accepted ` +
  `raster type (${codeList(ACCEPTED_DECLARED_TYPES)}; also ${codeList(DECLARED_TYPE_ALIASES)}, stored under ` +
  'the standard name): under that type, marked unverified (`verified: false` in v1 metadata), with no ' +
  'dimensions. Unverified images are never transformed and are always served as downloads ' +
  '(`Content-Disposition: attachment`, `Content-Security-Policy: sandbox`, `X-Content-Type-Options: nosniff`). ' +
  'SVG, bytes that look like markup or script, and unrecognised bytes with no declared type or another ' +
  'declared type are refused with 415.';

const binary = { schema: { type: 'string' as const, format: 'binary' } };

const fileHeaders = {
  ETag: { schema: { type: 'string' as const }, description: 'Strong tag: the quoted SHA-256 of the bytes' },
  'Last-Modified': { schema: { type: 'string' as const } },
  'Content-Disposition': {
    schema: { type: 'string' as const },
    description: "`inline; filename*=UTF-8''…`; `attachment; …` for an unverified image",
  },
  'Content-Security-Policy': {
    schema: { type: 'string' as const },
    description: '`sandbox`, on an unverified image only (see `verified`)',
  },
  'X-Content-Type-Options': { schema: { type: 'string' as const }, description: '`nosniff`' },
  'Cache-Control': { schema: { type: 'string' as const } },
  'Accept-Ranges': { schema: { type: 'string' as const }, description: '`bytes` for originals, `none` for variants' },
  Vary: { schema: { type: 'string' as const }, description: 'Includes `Accept` when `format=auto` chose the format' },
};

export const fileRequestHeaders = {
  // Documented for clients; read straight from the request by the handler.
  parameters: [
    { name: 'If-None-Match', in: 'header' as const, required: false, schema: { type: 'string' as const } },
    {
      name: 'Range',
      in: 'header' as const,
      required: false,
      schema: { type: 'string' as const, example: 'bytes=0-1023' },
    },
    { name: 'If-Range', in: 'header' as const, required: false, schema: { type: 'string' as const } },
  ],
};

/** What serving bytes can answer, whoever asks (the owner, or a share link). */
export const fileOutcomes = {
  200: { description: 'The image bytes', headers: fileHeaders, content: { 'image/*': binary } },
  206: {
    description: 'The requested byte range',
    headers: { ...fileHeaders, 'Content-Range': { schema: { type: 'string' as const } } },
    content: { 'image/*': binary },
  },
  304: {
    description: 'Not modified (If-None-Match matched); the same ETag and safety headers as the 200',
    headers: {
      ETag: fileHeaders.ETag,
      'Content-Disposition': fileHeaders['Content-Disposition'],
      'Content-Security-Policy': fileHeaders['Content-Security-Policy'],
      'X-Content-Type-Options': fileHeaders['X-Content-Type-Options'],
      Vary: fileHeaders.Vary,
    },
  },
  ...notFound,
  416: problemResponseSpec('Range not satisfiable'),
} as const;

const fileResponses = { ...fileOutcomes, ...notFound, ...authErrors } as const;

export const variantRefused = {
  422: problemResponseSpec(
    'No variant of this image: its format gets none (BMP, TIFF, AVIF); it, or the variant asked for, is over ' +
      'MAX_VARIANT_PIXELS or 12000 px per side (as its decoder reads it, not as its header states); an AVIF ' +
      'variant would exceed 1200 px per side; the image could not be decoded (remembered: refused at once from ' +
      'then on); or the image already has MAX_VARIANTS_PER_IMAGE variants. The original is still served without ' +
      'variant parameters.',
  ),
} as const;

const auth = { security: authenticated, middleware: [requireAuth] };

// ---- v1 -------------------------------------------------------------------------------------

export const uploadImage = createRoute({
  method: 'post',
  path: '/images',
  operationId: 'uploadImage',
  tags: V1_TAGS,
  summary: 'Upload an image with tags',
  description: STRICT_UPLOAD,
  ...auth,
  middleware: [requireAuth, readUploadBody('strict')] as const,
  request: {
    body: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } },
  },
  responses: {
    201: {
      description: 'Stored. `Location` points at the metadata.',
      headers: { Location: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: imageSchema } },
    },
    ...uploadErrors('Not a supported image (sniffed from the bytes; SVG is refused), or not multipart'),
  },
});

export const listImages = createRoute({
  method: 'get',
  path: '/images',
  operationId: 'listImages',
  tags: V1_TAGS,
  summary: 'List your images, newest first, with filters and cursor pagination',
  ...auth,
  request: { query: listQuery },
  responses: {
    200: { description: 'A page of images', content: { 'application/json': { schema: imagePageSchema } } },
    ...validationError,
    ...authErrors,
  },
});

export const getImage = createRoute({
  method: 'get',
  path: '/images/{id}',
  operationId: 'getImage',
  tags: V1_TAGS,
  summary: 'Image metadata',
  ...auth,
  request: { params: imageParams },
  responses: {
    200: { description: 'The image', content: { 'application/json': { schema: imageSchema } } },
    ...readErrors,
  },
});

export const deleteImage = createRoute({
  method: 'delete',
  path: '/images/{id}',
  operationId: 'deleteImage',
  tags: V1_TAGS,
  summary: 'Delete an image, its tag links and its bytes',
  ...auth,
  request: { params: imageParams },
  responses: { 204: { description: 'Deleted' }, ...readErrors },
});

export const getImageFile = createRoute({
  method: 'get',
  path: '/images/{id}/file',
  operationId: 'getImageFile',
  tags: V1_TAGS,
  summary: 'The image bytes (ETag / If-None-Match, Range), or a variant (resized, converted)',
  description: variantQueryHelp,
  ...auth,
  request: { params: imageParams, query: variantQuery },
  ...fileRequestHeaders,
  responses: { ...fileResponses, ...validationError, ...variantRefused },
});

export const getImageTags = createRoute({
  method: 'get',
  path: '/images/{id}/tags',
  operationId: 'getImageTags',
  tags: V1_TAG_TAGS,
  summary: 'The tags of an image, in order',
  ...auth,
  request: { params: imageParams },
  responses: {
    200: { description: 'Tags', content: { 'application/json': { schema: imageTagsSchema } } },
    ...readErrors,
  },
});

export const replaceImageTags = createRoute({
  method: 'put',
  path: '/images/{id}/tags',
  operationId: 'replaceImageTags',
  tags: V1_TAG_TAGS,
  summary: 'Replace all tags of an image',
  ...auth,
  middleware: [requireAuth, readJsonOrForm] as const,
  request: { params: imageParams, body: jsonOrFormBody(tagsBody, 'JSON `{"tags": [...]}` or form `tags=a&tags=b`') },
  responses: {
    200: { description: 'The new tags', content: { 'application/json': { schema: imageTagsSchema } } },
    ...smallBodyErrors,
    ...notFound,
    ...authErrors,
  },
});

export const clearImageTags = createRoute({
  method: 'delete',
  path: '/images/{id}/tags',
  operationId: 'clearImageTags',
  tags: V1_TAG_TAGS,
  summary: 'Remove all tags of an image',
  ...auth,
  request: { params: imageParams },
  responses: {
    200: { description: 'No tags left', content: { 'application/json': { schema: imageTagsSchema } } },
    ...readErrors,
  },
});

export const addImageTag = createRoute({
  method: 'post',
  path: '/images/{id}/tags/{tag}',
  operationId: 'addImageTag',
  tags: V1_TAG_TAGS,
  summary: 'Add one tag at the end',
  ...auth,
  request: { params: imageTagParams },
  responses: {
    201: { description: 'Added; all tags', content: { 'application/json': { schema: imageTagsSchema } } },
    200: { description: 'Already there; all tags', content: { 'application/json': { schema: imageTagsSchema } } },
    ...readErrors,
  },
});

export const removeImageTag = createRoute({
  method: 'delete',
  path: '/images/{id}/tags/{tag}',
  operationId: 'removeImageTag',
  tags: V1_TAG_TAGS,
  summary: 'Remove one tag (no error if it was not there)',
  ...auth,
  request: { params: imageTagParams },
  responses: {
    200: { description: 'Remaining tags', content: { 'application/json': { schema: imageTagsSchema } } },
    ...readErrors,
  },
});

export const listTags = createRoute({
  method: 'get',
  path: '/tags',
  operationId: 'listTags',
  tags: V1_TAG_TAGS,
  summary: 'Your tags with how many images carry each',
  ...auth,
  responses: {
    200: { description: 'Tags in use, by name', content: { 'application/json': { schema: tagCountsSchema } } },
    ...authErrors,
  },
});

// ---- legacy ---------------------------------------------------------------------------------
// The same operations at the original service's paths, with its parameter names (`img_id`) and
// response shapes: each is its v1 route with the differences stated (src/routes/legacy.ts).

const legacyOf = legacyRoutes({ v1Base: '/api/v1', tag: 'Legacy: images' });

const tagNames = (description: string) => ({
  description,
  content: { 'application/json': { schema: tagNamesSchema } },
});

export const legacyUploadImage = legacyOf(uploadImage, {
  path: '/images',
  note: LEGACY_UPLOAD,
  middleware: [requireAuth, readUploadBody('legacy')] as const,
  responses: {
    201: {
      description: 'Stored (`content_type` is the recognised type, or the declared one for unverified bytes)',
      headers: { Location: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: legacyImageSchema } },
    },
    415: problemResponseSpec(
      'SVG, markup or script; unrecognised bytes whose part declares no accepted raster type; or not multipart',
    ),
  },
});

export const legacyListImages = legacyOf(listImages, {
  path: '/images',
  summary: 'All your images, newest first (start_date and end_date go together)',
  request: { query: legacyListQuery },
  responses: {
    200: { description: 'Images', content: { 'application/json': { schema: legacyImageSchema.array() } } },
  },
});

/** Originals only: the legacy path takes no variant parameters. */
export const legacyGetImageFile = legacyOf(getImageFile, {
  path: '/image/{img_id}',
  summary: 'The image bytes (ETag / If-None-Match, Range)',
  request: { params: legacyImageParams, query: undefined },
  without: [422],
});

/** Legacy answers 200 with `{img_id, deleted: true}` where v1 answers 204. */
export const legacyDeleteImage = legacyOf(deleteImage, {
  path: '/image/{img_id}',
  request: { params: legacyImageParams },
  without: [204],
  responses: { 200: { description: 'Deleted', content: { 'application/json': { schema: legacyDeletedSchema } } } },
});

// The tag routes answer the bare array of names where v1 answers `{tags}`.

export const legacyGetTags = legacyOf(getImageTags, {
  path: '/{img_id}/tags',
  request: { params: legacyImageParams },
  responses: { 200: tagNames('Tags') },
});

export const legacyReplaceTags = legacyOf(replaceImageTags, {
  path: '/{img_id}/tags',
  request: { params: legacyImageParams },
  responses: { 200: tagNames('The new tags') },
});

export const legacyClearTags = legacyOf(clearImageTags, {
  path: '/{img_id}/tags',
  request: { params: legacyImageParams },
  responses: { 200: tagNames('No tags left') },
});

export const legacyAddTag = legacyOf(addImageTag, {
  path: '/{img_id}/tags/{tag}',
  request: { params: legacyImageTagParams },
  responses: { 201: tagNames('Added; all tags'), 200: tagNames('Already there; all tags') },
});

export const legacyRemoveTag = legacyOf(removeImageTag, {
  path: '/{img_id}/tags/{tag}',
  request: { params: legacyImageTagParams },
  responses: { 200: tagNames('Remaining tags') },
});
