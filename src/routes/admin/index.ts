import { createRouter } from '../../http/router';
import * as admin from '../../services/admin';
import * as r from './admin.routes';
import { presentStorage } from './admin.schemas';

/** `/api/v1/admin`: operators only. */
export function v1AdminRouter() {
  return createRouter().openapi(r.setUserQuota, async (c) => {
    const { max_bytes, max_images } = c.req.valid('json');
    const usage = await admin.setUserQuota(c.get('deps'), c.get('session'), c.req.valid('param').id, {
      maxBytes: max_bytes,
      maxImages: max_images,
    });
    return c.json(presentStorage(usage), 200);
  });
}
