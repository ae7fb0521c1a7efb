import { createRouter } from '../../http/router';
import * as admin from '../../services/admin';
import * as usage from '../../services/usage';
import { presentReport, presentStorage } from '../usage/usage.schemas';
import * as r from './admin.routes';

/** `/api/v1/admin`: operators only. */
export function v1AdminRouter() {
  return createRouter()
    .openapi(r.setUserQuota, async (c) => {
      const { max_bytes, max_images } = c.req.valid('json');
      const stored = await admin.setUserQuota(c.get('deps'), c.get('session'), c.req.valid('param').id, {
        maxBytes: max_bytes,
        maxImages: max_images,
      });
      return c.json(presentStorage(stored), 200);
    })
    .openapi(r.listUsage, async (c) => {
      const page = await usage.listStorage(c.get('deps'), c.get('session'), c.req.valid('query'));
      return c.json(
        {
          items: page.items.map((i) => ({ user_id: i.userId, email: i.email, storage: presentStorage(i.storage) })),
          next_cursor: page.nextCursor,
        },
        200,
      );
    })
    .openapi(r.getUserUsage, async (c) => {
      const report = await usage.userUsageForAdmin(
        c.get('deps'),
        c.get('session'),
        c.req.valid('param').id,
        c.req.valid('query'),
      );
      return c.json(presentReport(report), 200);
    });
}
