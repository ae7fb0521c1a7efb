import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../../http/auth-middleware';
import { jsonOrFormBody, readJsonOrForm } from '../../http/body';
import {
  authErrors,
  authenticated,
  fileOutcomes,
  fileRequestHeaders,
  imageNotFound,
  problemResponseSpec,
  retryAfterHeader,
  slowBodyError,
  smallBodyErrors,
  validationError,
  variantRefused,
} from '../../http/responses';
import {
  imagePageSchema,
  imageParams,
  imageSchema,
  imageTagParams,
  imageTagsSchema,
  listQuery,
  tagCountsSchema,
  tagsBody,
  uploadForm,
  uploadQuery,
  variantQuery,
  variantQueryHelp,
} from './images.schemas';
import { readUploadBody } from './upload-body';

const V1_TAGS = ['Images'];
const V1_TAG_TAGS = ['Tags'];

// `/api/v1/images…` and `/api/v1/tags`; the original service's paths are images.legacy.routes.ts.

/** What any request naming an image can answer besides success. */
const readErrors = { ...validationError, ...imageNotFound, ...authErrors } as const;

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
      headers: retryAfterHeader,
    },
    ...authErrors,
  }) as const;

const FORMATS = 'PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF';

const STRICT_UPLOAD =
  `Strict: the stored type comes from the bytes (${FORMATS}), whatever the part declares; ` +
  'any other bytes, SVG included, are refused with 415.';

const fileResponses = { ...fileOutcomes, ...imageNotFound, ...authErrors } as const;

const auth = { security: authenticated, middleware: [requireAuth] };

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
    query: uploadQuery,
    body: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } },
  },
  responses: {
    201: {
      description: 'Stored. `Location` points at the metadata.',
      headers: { Location: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: imageSchema } },
    },
    200: {
      description:
        '`on_duplicate=return` and you already have an image with these bytes: that image; nothing new is stored. `Location` points at it.',
      headers: { Location: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: imageSchema } },
    },
    409: problemResponseSpec(
      '`on_duplicate=reject` and you already have an image with these bytes: `existing_image` names it; nothing is stored',
    ),
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
    ...imageNotFound,
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
