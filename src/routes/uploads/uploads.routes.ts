import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../../http/auth-middleware';
import { bodyReader, readJson } from '../../http/body';
import {
  authErrors,
  authenticated,
  problemResponseSpec,
  slowBodyError,
  unavailableError,
  validationError,
} from '../../http/responses';

import { imageSchema, uploadQuery } from '../images/images.schemas';
import {
  newUploadSchema,
  partParams,
  partQuery,
  receivedPartResponse,
  uploadParams,
  uploadSessionSchema,
} from './uploads.schemas';

const TAGS = ['Uploads'];
const auth = { security: authenticated } as const;
const json = <S>(schema: S) => ({ 'application/json': { schema } });
const notFound = {
  404: problemResponseSpec('No such upload session, or it expired (another user’s session answers the same)'),
};

/**
 * The part route reads its body in its handler, after its token and length are checked (http/body
 * says in what order); marked as a body reader so the body is never left to the validator.
 */
export const readPartBody = bodyReader<Parameters<typeof bodyReader>[0]>((_c, next) => next());

export const createUpload = createRoute({
  method: 'post',
  path: '/',
  operationId: 'createUploadSession',
  tags: TAGS,
  summary: 'Begin a resumable upload: declare the file, get a URL per part',
  description:
    'Declares the file; the answer says how to cut it (`part_size`: every part but the last has exactly ' +
    'this size) and where to PUT each part. Size (MAX_SESSION_UPLOAD_BYTES) and quota are checked here ' +
    'against the declared size plus the sizes your other open sessions declared (`quota.requested` counts ' +
    'both), and at completion again, exactly, against the stored bytes. The session expires after ' +
    'UPLOAD_SESSION_TTL_SECONDS.',
  ...auth,
  middleware: [requireAuth, readJson] as const,
  request: { body: { required: true, content: json(newUploadSchema) } },
  responses: {
    201: {
      description: 'Open. `Location` is the session.',
      headers: { Location: { schema: { type: 'string' } } },
      content: json(uploadSessionSchema),
    },
    ...validationError,
    403: problemResponseSpec('Image quota reached, a `read` API key, or a cross-site browser request'),
    ...slowBodyError,
    413: problemResponseSpec(
      'Declared size over MAX_SESSION_UPLOAD_BYTES, over your storage quota (`quota` names it), or a body too large',
    ),
    415: problemResponseSpec(
      'Not a PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF `content_type`, or a body that is not JSON',
    ),
    ...authErrors,
  },
});

export const getUpload = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'getUploadSession',
  tags: TAGS,
  summary: 'Where an upload stands: the parts received, fresh URLs for the missing ones',
  ...auth,
  middleware: [requireAuth] as const,
  request: { params: uploadParams },
  responses: {
    200: { description: 'The session', content: json(uploadSessionSchema) },
    ...validationError,
    ...notFound,
    ...authErrors,
  },
});

export const abortUpload = createRoute({
  method: 'delete',
  path: '/{id}',
  operationId: 'abortUploadSession',
  tags: TAGS,
  summary: 'Abort an upload: its parts are removed (an image it already made stays)',
  ...auth,
  middleware: [requireAuth] as const,
  request: { params: uploadParams },
  responses: {
    204: { description: 'Aborted' },
    ...validationError,
    403: problemResponseSpec('A `read` API key, or a cross-site browser request'),
    ...notFound,
    409: problemResponseSpec('A complete is at work on it'),
    ...authErrors,
  },
});

export const putPart = createRoute({
  method: 'put',
  path: '/{id}/parts/{n}',
  operationId: 'putUploadPart',
  tags: TAGS,
  summary: 'Send one part (the URL’s token authorises it: no cookie or key needed)',
  description:
    'The body is the part’s bytes, exactly its `size`. Sending a part again replaces it. A body that is ' +
    'shorter (cut off) or longer keeps nothing of this attempt: send the part again.',
  security: [],
  middleware: [readPartBody] as const,
  request: {
    params: partParams,
    query: partQuery,
    body: {
      required: true,
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
  },
  responses: {
    200: { description: 'Stored', content: json(receivedPartResponse) },
    400: problemResponseSpec('Invalid parameters, or a body shorter than the part (cut off)'),
    403: problemResponseSpec('The token does not open this part, or it expired: GET the session for a fresh URL'),
    ...notFound,
    ...slowBodyError,
    409: problemResponseSpec('The session no longer takes parts (completing, completed or refused)'),
    413: problemResponseSpec('A body longer than the part'),
    500: problemResponseSpec('Unexpected error, or authentication not configured'),
    ...unavailableError,
  },
});

export const completeUpload = createRoute({
  method: 'post',
  path: '/{id}/complete',
  operationId: 'completeUploadSession',
  tags: TAGS,
  summary: 'Make the uploaded parts an image',
  description:
    'Checks that every part arrived and the total size, reads the type and dimensions from the stored ' +
    'head (as the v1 upload does), the SHA-256 of the stored bytes (a declared one must match), and the ' +
    'quota, then writes the image. Any refusal removes the bytes (the session is then `refused`), except ' +
    'missing parts: send them and complete again. Idempotent: once completed, a complete answers 200 with ' +
    'the same image; racing completes make one image. `on_duplicate` as on `POST /api/v1/images`: with ' +
    '`reject` or `return`, bytes you already have as an image are refused (409) or answered by that image ' +
    '(200), and the new copy is removed.',
  ...auth,
  middleware: [requireAuth] as const,
  request: { params: uploadParams, query: uploadQuery },
  responses: {
    201: {
      description: 'The image, made now. `Location` points at its metadata.',
      headers: { Location: { schema: { type: 'string' } } },
      content: json(imageSchema),
    },
    200: {
      description: 'The image this session already made, or (`on_duplicate=return`) your image with the same bytes',
      content: json(imageSchema),
    },
    ...validationError,
    403: problemResponseSpec('Image quota reached, a `read` API key, or a cross-site browser request'),
    ...notFound,
    409: problemResponseSpec(
      'Parts missing (the detail lists them; nothing removed), the session was refused before, a racing complete is still at work, or (`on_duplicate=reject`) you already have these bytes: `existing_image` names the image',
    ),
    413: problemResponseSpec('The image would exceed your storage quota (`quota` names it)'),
    415: problemResponseSpec('The bytes are not a supported image (sniffed from the stored head)'),
    422: problemResponseSpec('The stored bytes differ from the declared size or SHA-256'),
    ...authErrors,
  },
});
