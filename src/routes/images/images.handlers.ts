import type { Context, TypedResponse } from 'hono';
import type { AppEnv } from '../../http/app-env';
import type { AppRouteHandler } from '../../http/router';
import * as images from '../../services/images';
import * as tagService from '../../services/tags';
import type { VariantRequest } from '../../services/variants';
import { imageFileResponse } from './file-response';
import type * as legacyRoutes from './images.legacy.routes';
import { legacy, legacyImage, v1, v1Image } from './images.present';
import type * as r from './images.routes';
import { jsonArrayBody } from './json-array-stream';
import { receivedImage } from './upload-body';

// An operation both surfaces serve has one handler, built per surface from its presenter
// (images.present.ts: the name of the image id parameter and the shape of the answers), and
// each built handler is typed by its own route as `AppRouteHandler<typeof route>` (input and
// answers).

/** What a handler reads: the image id under the surface's name `K`, and whatever else `Out` says. */
type ImageContext<K extends string, Out extends object = object, Param extends object = object> = Context<
  AppEnv,
  string,
  { out: { param: Record<K, number> & Param } & Out }
>;
type TagContext<K extends string> = ImageContext<K, object, { tag: string }>;

interface Named<K extends string> {
  /** The path parameter carrying the image id: `id` on v1, `img_id` on legacy paths. */
  id: K;
}
interface TagsShape<K extends string, B> extends Named<K> {
  tags: (tags: string[]) => B;
}

/** The upload whose bytes already streamed into the store under the route's rule (upload-body.ts). */
const storeUpload = (
  c: Context<AppEnv, string, { out: { form: { tags: string[] } } }>,
  onDuplicate: images.OnDuplicate = 'allow',
) =>
  images.uploadImage(c.get('deps'), c.get('session'), {
    file: receivedImage(c),
    tags: c.req.valid('form').tags,
    onDuplicate,
  });

/** Originals on both surfaces; v1 also takes variant parameters (the legacy route has no query). */
const getImageFileAs =
  <K extends string>(p: Named<K>) =>
  (c: ImageContext<K, { query?: VariantRequest }>) =>
    imageFileResponse(c, c.req.valid('param')[p.id], c.req.valid('query'));

const deleteImageAs =
  <K extends string, R extends Response>(p: Named<K> & { deleted: (c: Context<AppEnv>, id: number) => R }) =>
  async (c: ImageContext<K>) => {
    const id = c.req.valid('param')[p.id];
    await images.deleteImage(c.get('deps'), c.get('session'), id);
    return p.deleted(c, id);
  };

/** The tag operations answer the image's tags as `change` leaves them, with 200 on both surfaces. */
const answerTags =
  <K extends string, B extends object, Out extends object, Param extends object>(
    p: TagsShape<K, B>,
    change: (c: ImageContext<K, Out, Param>, id: number) => Promise<string[]>,
  ) =>
  async (c: ImageContext<K, Out, Param>) =>
    c.json(p.tags(await change(c, c.req.valid('param')[p.id])), 200);

const getImageTagsAs = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: ImageContext<K>, id) => tagService.getTags(c.get('deps'), c.get('session'), id));

const replaceImageTagsAs = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: ImageContext<K, { json: { tags: string[] } }>, id) =>
    tagService.replaceTags(c.get('deps'), c.get('session'), id, c.req.valid('json').tags),
  );

const clearImageTagsAs = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: ImageContext<K>, id) => tagService.clearTags(c.get('deps'), c.get('session'), id));

const removeImageTagAs = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: TagContext<K>, id) =>
    tagService.removeTag(c.get('deps'), c.get('session'), id, c.req.valid('param').tag),
  );

/** 201 when added, 200 when it was already there, on both surfaces. */
const addImageTagAs =
  <K extends string, B extends object>(p: TagsShape<K, B>) =>
  async (c: TagContext<K>) => {
    const params = c.req.valid('param');
    const { added, tags } = await tagService.addTag(c.get('deps'), c.get('session'), params[p.id], params.tag);
    return added ? c.json(p.tags(tags), 201) : c.json(p.tags(tags), 200);
  };

// ---- v1 ---------------------------------------------------------------------------------------

/** 201 with a new image; 200 with the existing one when `on_duplicate=return` found it. */
export const uploadImage: AppRouteHandler<typeof r.uploadImage> = async (c) => {
  const { image, created } = await storeUpload(c, c.req.valid('query').on_duplicate);
  c.header('Location', v1.location(image.id));
  if (!created) return c.json(v1Image(image), 200);
  c.set('uploadedBytes', image.size);
  return c.json(v1Image(image), 201);
};

export const listImages: AppRouteHandler<typeof r.listImages> = async (c) => {
  const page = await images.listImages(c.get('deps'), c.get('session'), c.req.valid('query'));
  return c.json({ items: page.items.map(v1Image), next_cursor: page.nextCursor }, 200);
};

export const getImage: AppRouteHandler<typeof r.getImage> = async (c) => {
  const record = await images.getImage(c.get('deps'), c.get('session'), c.req.valid('param').id);
  return c.json(v1Image(record), 200);
};

export const getImageFile: AppRouteHandler<typeof r.getImageFile> = getImageFileAs(v1);
export const deleteImage: AppRouteHandler<typeof r.deleteImage> = deleteImageAs(v1);
export const getImageTags: AppRouteHandler<typeof r.getImageTags> = getImageTagsAs(v1);
export const replaceImageTags: AppRouteHandler<typeof r.replaceImageTags> = replaceImageTagsAs(v1);
export const clearImageTags: AppRouteHandler<typeof r.clearImageTags> = clearImageTagsAs(v1);
export const addImageTag: AppRouteHandler<typeof r.addImageTag> = addImageTagAs(v1);
export const removeImageTag: AppRouteHandler<typeof r.removeImageTag> = removeImageTagAs(v1);

export const listTags: AppRouteHandler<typeof r.listTags> = async (c) => {
  const items = await tagService.listTagCounts(c.get('deps'), c.get('session'));
  return c.json({ items }, 200);
};

// ---- legacy -----------------------------------------------------------------------------------

/** Always stores (no `on_duplicate` on the original service's path). */
export const legacyUploadImage: AppRouteHandler<typeof legacyRoutes.legacyUploadImage> = async (c) => {
  const { image } = await storeUpload(c);
  c.set('uploadedBytes', image.size);
  c.header('Location', legacy.location(image.id));
  return c.json(legacyImage(image), 201);
};

/**
 * Not v1's list: every image by contract, no cursor, filters of its own; past one page it is
 * streamed page by page (services/images listAllImages) so memory stays bounded.
 */
export const legacyListImages: AppRouteHandler<typeof legacyRoutes.legacyListImages> = async (c) => {
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
};

export const legacyGetImageFile: AppRouteHandler<typeof legacyRoutes.legacyGetImageFile> = getImageFileAs(legacy);
export const legacyDeleteImage: AppRouteHandler<typeof legacyRoutes.legacyDeleteImage> = deleteImageAs(legacy);
export const legacyGetTags: AppRouteHandler<typeof legacyRoutes.legacyGetTags> = getImageTagsAs(legacy);
export const legacyReplaceTags: AppRouteHandler<typeof legacyRoutes.legacyReplaceTags> = replaceImageTagsAs(legacy);
export const legacyClearTags: AppRouteHandler<typeof legacyRoutes.legacyClearTags> = clearImageTagsAs(legacy);
export const legacyAddTag: AppRouteHandler<typeof legacyRoutes.legacyAddTag> = addImageTagAs(legacy);
export const legacyRemoveTag: AppRouteHandler<typeof legacyRoutes.legacyRemoveTag> = removeImageTagAs(legacy);
