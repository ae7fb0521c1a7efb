import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../../http/auth-middleware';
import { readJson } from '../../http/body';
import {
  authErrors,
  authenticated,
  fileOutcomes,
  fileRequestHeaders,
  imageNotFound,
  problemResponseSpec,
  slowBodyError,
  validationError,
  variantRefused,
} from '../../http/responses';
import { imageParams } from '../images/images.schemas';
import { createLinkBody, linkParams, shareLinkListSchema, shareLinkSchema, tokenParams } from './links.schemas';

const TAGS = ['Share links'];
const auth = { security: authenticated, middleware: [requireAuth] };

export const createShareLink = createRoute({
  method: 'post',
  path: '/images/{id}/links',
  operationId: 'createShareLink',
  tags: TAGS,
  summary: 'Make a link that fetches the image (or one variant) without credentials until it expires',
  ...auth,
  middleware: [requireAuth, readJson] as const,
  request: {
    params: imageParams,
    body: {
      required: true,
      description: '`{}` (or no body at all) for a link to the original that lasts a day',
      content: { 'application/json': { schema: createLinkBody } },
    },
  },
  responses: {
    201: { description: 'The link', content: { 'application/json': { schema: shareLinkSchema } } },
    ...validationError,
    ...imageNotFound,
    409: problemResponseSpec('The image already has the most share links allowed (50): revoke one first'),
    ...slowBodyError,
    413: problemResponseSpec('Body too large'),
    415: problemResponseSpec('Body is not JSON'),
    422: problemResponseSpec('A variant was pinned, but this image gets no variants (see the file route)'),
    ...authErrors,
  },
});

export const listShareLinks = createRoute({
  method: 'get',
  path: '/images/{id}/links',
  operationId: 'listShareLinks',
  tags: TAGS,
  summary: 'The live (unexpired) share links of an image',
  ...auth,
  request: { params: imageParams },
  responses: {
    200: { description: 'Live links', content: { 'application/json': { schema: shareLinkListSchema } } },
    ...validationError,
    ...imageNotFound,
    ...authErrors,
  },
});

export const revokeShareLink = createRoute({
  method: 'delete',
  path: '/images/{id}/links/{link}',
  operationId: 'revokeShareLink',
  tags: TAGS,
  summary: 'Revoke a share link: it stops working at once',
  ...auth,
  request: { params: linkParams },
  responses: {
    204: { description: 'Revoked' },
    ...validationError,
    404: problemResponseSpec('No such image, or no such link on it'),
    ...authErrors,
  },
});

export const getSharedImage = createRoute({
  method: 'get',
  path: '/shared/{token}',
  operationId: 'getSharedImage',
  tags: TAGS,
  summary: 'Fetch a shared image: no credentials',
  description:
    'Serves what the link was made for: the original (with `ETag`, `If-None-Match`, `Range` as on the owner’s ' +
    'file route) or its pinned variant. `Cache-Control: private, max-age=` the seconds the link has left; no ' +
    'cookies are read or set. An expired, revoked, altered or unknown link answers 404, without saying which.',
  security: [],
  request: { params: tokenParams },
  ...fileRequestHeaders,
  responses: {
    ...fileOutcomes,
    404: problemResponseSpec('No such link (expired, revoked, altered or never made: the answer is the same)'),
    ...variantRefused,
    500: problemResponseSpec('Unexpected error, or share links not configured (AUTH_SECRET)'),
  },
});
