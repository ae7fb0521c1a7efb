import type { TypedResponse } from 'hono';
import * as images from '../../services/images';
import * as tagService from '../../services/tags';
import { surfaceRouters } from '../legacy-routes';
import * as h from './images.handlers';
import { legacy, legacyImage, v1, v1Image } from './images.present';
import * as r from './images.routes';
import { jsonArrayBody } from './json-array-stream';

/**
 * `/api/v1/images…` and `/api/v1/tags` (`v1`), and the original service's paths answering as it
 * did (`legacy`). Registration order is the order of the OpenAPI document.
 */
export function imageRouters() {
  const routers = surfaceRouters();
  const { serve } = routers;
  serve(r.uploadImage, h.uploadImage(v1), r.legacyUploadImage, h.uploadImage(legacy));
  routers.v1
    .openapi(r.listImages, async (c) => {
      const page = await images.listImages(c.get('deps'), c.get('session'), c.req.valid('query'));
      return c.json({ items: page.items.map(v1Image), next_cursor: page.nextCursor }, 200);
    })
    .openapi(r.getImage, async (c) => {
      const record = await images.getImage(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.json(v1Image(record), 200);
    });
  // Not v1's list: every image by contract, no cursor, filters of its own; past one page it is
  // streamed page by page (services/images listAllImages) so memory stays bounded.
  routers.legacy.openapi(r.legacyListImages, async (c) => {
    const deps = c.get('deps');
    const pages = await images.listAllImages(deps, c.get('session'), c.req.valid('query'));
    const body = await jsonArrayBody(pages, legacyImage, (err) =>
      deps.logger.error('legacy list cut off after its first bytes', {
        request_id: c.get('requestId'),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      }),
    );
    // Typed as the array the route documents: the body's bytes are exactly its JSON.
    return c.body(body, 200, { 'Content-Type': 'application/json' }) as unknown as TypedResponse<
      ReturnType<typeof legacyImage>[],
      200,
      'json'
    >;
  });
  serve(r.getImageFile, h.getImageFile(v1), r.legacyGetImageFile, h.getImageFile(legacy));
  serve(r.deleteImage, h.deleteImage(v1), r.legacyDeleteImage, h.deleteImage(legacy));
  serve(r.getImageTags, h.getImageTags(v1), r.legacyGetTags, h.getImageTags(legacy));
  serve(r.replaceImageTags, h.replaceImageTags(v1), r.legacyReplaceTags, h.replaceImageTags(legacy));
  serve(r.clearImageTags, h.clearImageTags(v1), r.legacyClearTags, h.clearImageTags(legacy));
  serve(r.addImageTag, h.addImageTag(v1), r.legacyAddTag, h.addImageTag(legacy));
  serve(r.removeImageTag, h.removeImageTag(v1), r.legacyRemoveTag, h.removeImageTag(legacy));
  routers.v1.openapi(r.listTags, async (c) => {
    const items = await tagService.listTagCounts(c.get('deps'), c.get('session'));
    return c.json({ items }, 200);
  });
  return { v1: routers.v1, legacy: routers.legacy };
}
