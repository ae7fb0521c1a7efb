import type { TypedResponse } from 'hono';
import { createRouter } from '../../http/router';
import * as images from '../../services/images';
import * as tagService from '../../services/tags';
import { imageFileResponse } from './file-response';
import * as r from './images.routes';
import { jsonArrayStream } from './json-array-stream';
import { imagePath, legacyImage, v1Image } from './present';
import { receivedImage } from './upload-body';

/** `/api/v1/images…` and `/api/v1/tags`. */
export function v1ImageRouter() {
  return createRouter()
    .openapi(r.uploadImage, async (c) => {
      const { tags } = c.req.valid('form');
      const record = await images.uploadImage(c.get('deps'), c.get('session'), { file: receivedImage(c), tags });
      c.set('uploadedBytes', record.size);
      c.header('Location', imagePath(record.id));
      return c.json(v1Image(record), 201);
    })
    .openapi(r.listImages, async (c) => {
      const page = await images.listImages(c.get('deps'), c.get('session'), c.req.valid('query'));
      return c.json({ items: page.items.map(v1Image), next_cursor: page.nextCursor }, 200);
    })
    .openapi(r.getImage, async (c) => {
      const record = await images.getImage(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.json(v1Image(record), 200);
    })
    .openapi(r.deleteImage, async (c) => {
      await images.deleteImage(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(r.getImageFile, (c) => imageFileResponse(c, c.req.valid('param').id, c.req.valid('query')))
    .openapi(r.getImageTags, async (c) => {
      const tags = await tagService.getTags(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.json({ tags }, 200);
    })
    .openapi(r.replaceImageTags, async (c) => {
      const { id } = c.req.valid('param');
      const tags = await tagService.replaceTags(c.get('deps'), c.get('session'), id, c.req.valid('json').tags);
      return c.json({ tags }, 200);
    })
    .openapi(r.clearImageTags, async (c) => {
      const tags = await tagService.clearTags(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.json({ tags }, 200);
    })
    .openapi(r.addImageTag, async (c) => {
      const { id, tag } = c.req.valid('param');
      const { added, tags } = await tagService.addTag(c.get('deps'), c.get('session'), id, tag);
      return added ? c.json({ tags }, 201) : c.json({ tags }, 200);
    })
    .openapi(r.removeImageTag, async (c) => {
      const { id, tag } = c.req.valid('param');
      const tags = await tagService.removeTag(c.get('deps'), c.get('session'), id, tag);
      return c.json({ tags }, 200);
    })
    .openapi(r.listTags, async (c) => {
      const items = await tagService.listTagCounts(c.get('deps'), c.get('session'));
      return c.json({ items }, 200);
    });
}

/** The original service's paths, answering as it did. */
export function legacyImageRouter() {
  return createRouter()
    .openapi(r.legacyUploadImage, async (c) => {
      // The legacy policy (declared types) was applied as the bytes arrived (readUploadBody).
      const { tags } = c.req.valid('form');
      const record = await images.uploadImage(c.get('deps'), c.get('session'), { file: receivedImage(c), tags });
      c.set('uploadedBytes', record.size);
      c.header('Location', `/api/image/${record.id}`);
      return c.json(legacyImage(record), 201);
    })
    .openapi(r.legacyListImages, async (c) => {
      // Every image by contract: streamed page by page (services/images listAllImages).
      const deps = c.get('deps');
      const pages = await images.listAllImages(deps, c.get('session'), c.req.valid('query'));
      const body = jsonArrayStream(pages, legacyImage, (err) =>
        deps.logger.error('legacy list cut off after its first bytes', {
          request_id: c.get('requestId'),
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        }),
      );
      // Typed as the array the route documents: the stream's bytes are exactly its JSON.
      return c.body(body, 200, { 'Content-Type': 'application/json' }) as unknown as TypedResponse<
        ReturnType<typeof legacyImage>[],
        200,
        'json'
      >;
    })
    .openapi(r.legacyGetImageFile, (c) => imageFileResponse(c, c.req.valid('param').img_id))
    .openapi(r.legacyDeleteImage, async (c) => {
      const { img_id } = c.req.valid('param');
      await images.deleteImage(c.get('deps'), c.get('session'), img_id);
      return c.json({ img_id, deleted: true as const }, 200);
    })
    .openapi(r.legacyGetTags, async (c) => {
      return c.json(await tagService.getTags(c.get('deps'), c.get('session'), c.req.valid('param').img_id), 200);
    })
    .openapi(r.legacyReplaceTags, async (c) => {
      const { img_id } = c.req.valid('param');
      return c.json(
        await tagService.replaceTags(c.get('deps'), c.get('session'), img_id, c.req.valid('json').tags),
        200,
      );
    })
    .openapi(r.legacyClearTags, async (c) => {
      return c.json(await tagService.clearTags(c.get('deps'), c.get('session'), c.req.valid('param').img_id), 200);
    })
    .openapi(r.legacyAddTag, async (c) => {
      const { img_id, tag } = c.req.valid('param');
      const { added, tags } = await tagService.addTag(c.get('deps'), c.get('session'), img_id, tag);
      return added ? c.json(tags, 201) : c.json(tags, 200);
    })
    .openapi(r.legacyRemoveTag, async (c) => {
      const { img_id, tag } = c.req.valid('param');
      return c.json(await tagService.removeTag(c.get('deps'), c.get('session'), img_id, tag), 200);
    });
}
