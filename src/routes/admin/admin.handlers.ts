import type { AppRouteHandler } from '../../http/router';
import * as admin from '../../services/admin';
import * as usage from '../../services/usage';
import { presentReport, presentStorage, presentUserStorage } from './admin.present';
import type * as r from './admin.routes';

export const setUserQuota: AppRouteHandler<typeof r.setUserQuota> = async (c) => {
  const { max_bytes, max_images } = c.req.valid('json');
  const stored = await admin.setUserQuota(c.get('deps'), c.get('session'), c.req.valid('param').id, {
    maxBytes: max_bytes,
    maxImages: max_images,
  });
  return c.json(presentStorage(stored), 200);
};

export const listUsage: AppRouteHandler<typeof r.listUsage> = async (c) => {
  const page = await usage.listStorage(c.get('deps'), c.get('session'), c.req.valid('query'));
  return c.json({ items: page.items.map(presentUserStorage), next_cursor: page.nextCursor }, 200);
};

export const getUserUsage: AppRouteHandler<typeof r.getUserUsage> = async (c) => {
  const report = await usage.userUsageForAdmin(
    c.get('deps'),
    c.get('session'),
    c.req.valid('param').id,
    c.req.valid('query'),
  );
  return c.json(presentReport(report), 200);
};
