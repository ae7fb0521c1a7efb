import { createRouter } from '../../http/router';
import * as h from './links.handlers';
import * as r from './links.routes';

/** `/api/v1/images/{id}/links…` (owner) and `/api/v1/shared/{token}` (anyone with the link). */
export function v1LinkRouter() {
  return createRouter()
    .openapi(r.createShareLink, h.createShareLink)
    .openapi(r.listShareLinks, h.listShareLinks)
    .openapi(r.revokeShareLink, h.revokeShareLink)
    .openapi(r.getSharedImage, h.getSharedImage);
}
