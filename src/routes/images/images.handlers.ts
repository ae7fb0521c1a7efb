import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env';
import * as images from '../../services/images';
import * as tagService from '../../services/tags';
import type { VariantRequest } from '../../services/variants';
import { imageFileResponse } from './file-response';
import { receivedImage } from './upload-body';

// One handler per operation, shared by its v1 and its legacy route: the presenter (present.ts)
// says what differs, i.e. the name of the image id parameter and the shape of the answers.
// index.ts registers each on both surfaces through `surfaceRouters().serve`, which checks it
// against each route as `AppRouteHandler<typeof route>` (input and answers).

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

export const uploadImage =
  <B extends object>(p: { image: (record: images.ImageRecord) => B; location: (id: number) => string }) =>
  async (c: Context<AppEnv, string, { out: { form: { tags: string[] } } }>) => {
    // The bytes already streamed into the store under the route's upload rule (upload-body.ts).
    const { tags } = c.req.valid('form');
    const record = await images.uploadImage(c.get('deps'), c.get('session'), { file: receivedImage(c), tags });
    c.set('uploadedBytes', record.size);
    c.header('Location', p.location(record.id));
    return c.json(p.image(record), 201);
  };

/** Originals on both surfaces; v1 also takes variant parameters (the legacy route has no query). */
export const getImageFile =
  <K extends string>(p: Named<K>) =>
  (c: ImageContext<K, { query?: VariantRequest }>) =>
    imageFileResponse(c, c.req.valid('param')[p.id], c.req.valid('query'));

export const deleteImage =
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

export const getImageTags = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: ImageContext<K>, id) => tagService.getTags(c.get('deps'), c.get('session'), id));

export const replaceImageTags = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: ImageContext<K, { json: { tags: string[] } }>, id) =>
    tagService.replaceTags(c.get('deps'), c.get('session'), id, c.req.valid('json').tags),
  );

export const clearImageTags = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: ImageContext<K>, id) => tagService.clearTags(c.get('deps'), c.get('session'), id));

export const removeImageTag = <K extends string, B extends object>(p: TagsShape<K, B>) =>
  answerTags(p, (c: TagContext<K>, id) =>
    tagService.removeTag(c.get('deps'), c.get('session'), id, c.req.valid('param').tag),
  );

/** 201 when added, 200 when it was already there, on both surfaces. */
export const addImageTag =
  <K extends string, B extends object>(p: TagsShape<K, B>) =>
  async (c: TagContext<K>) => {
    const params = c.req.valid('param');
    const { added, tags } = await tagService.addTag(c.get('deps'), c.get('session'), params[p.id], params.tag);
    return added ? c.json(p.tags(tags), 201) : c.json(p.tags(tags), 200);
  };
