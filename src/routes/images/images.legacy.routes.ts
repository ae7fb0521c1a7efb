import { requireAuth } from '../../http/auth-middleware';
import { problemResponseSpec } from '../../http/responses';
import { ACCEPTED_DECLARED_TYPES, DECLARED_TYPE_ALIASES } from '../../services/upload-policy';
import { legacyRoutes } from '../legacy-routes';
import {
  addImageTag,
  clearImageTags,
  deleteImage,
  getImageFile,
  getImageTags,
  listImages,
  removeImageTag,
  replaceImageTags,
  uploadImage,
} from './images.routes';
import {
  legacyDeletedSchema,
  legacyImageParams,
  legacyImageSchema,
  legacyImageTagParams,
  legacyListQuery,
  tagNamesSchema,
} from './images.schemas';
import { readUploadBody } from './upload-body';

// The original service's image and tag paths, with its parameter names (`img_id`) and response
// shapes: each is its v1 route (images.routes.ts) with the differences stated (../legacy-routes.ts).

const codeList = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');

const LEGACY_UPLOAD =
  'Accepts what the original service accepted. Recognised bytes are stored under the recognised type, ' +
  `as on v1. Bytes that match no known format are stored when the \`image\` part declares an accepted ` +
  `raster type (${codeList(ACCEPTED_DECLARED_TYPES)}; also ${codeList(DECLARED_TYPE_ALIASES)}, stored under ` +
  'the standard name): under that type, marked unverified (`verified: false` in v1 metadata), with no ' +
  'dimensions. Unverified images are never transformed and are always served as downloads ' +
  '(`Content-Disposition: attachment`, `Content-Security-Policy: sandbox`, `X-Content-Type-Options: nosniff`). ' +
  'SVG, bytes that look like markup or script, and unrecognised bytes with no declared type or another ' +
  'declared type are refused with 415.';

const legacyOf = legacyRoutes({ v1Base: '/api/v1', tag: 'Legacy: images' });

const tagNames = (description: string) => ({
  description,
  content: { 'application/json': { schema: tagNamesSchema } },
});

export const legacyUploadImage = legacyOf(uploadImage, {
  path: '/images',
  note: LEGACY_UPLOAD,
  middleware: [requireAuth, readUploadBody('legacy')] as const,
  // The original service stored every upload: no `on_duplicate`, so no 200 or 409.
  request: { query: undefined },
  without: [200, 409],
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
