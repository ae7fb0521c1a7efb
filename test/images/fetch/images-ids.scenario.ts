import { beforeAll, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { callIdRoute, ID_ROUTES } from '../../support/image-api';
import type { Scenario } from '../../support/scenarios';

/** Path segments that are not positive integer ids (URL-encoded where needed). */
const BAD_IDS = ['abc', '0', '-1', '1.5', '01', '1e3', '%201', '0x10', '99999999999999999999'];

const imagesIds: Scenario = (target) => {
  let user: TestUser;

  beforeAll(async () => {
    user = await newUser(target(), 'ids');
  });

  it.each(ID_ROUTES.flatMap((route) => BAD_IDS.map((id) => [route.label, id, route] as const)))(
    '%s answers 400 naming the path parameter for id %j',
    async (_label, id, route) => {
      const res = await callIdRoute(target(), route, id, bearer(user));
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.title).toBe('Bad Request');
      const error = body.errors?.find((e) => e.name === route.param);
      expect(error, JSON.stringify(body)).toBeDefined();
      expect(error?.in).toBe('path');
      expect(body.detail).toContain(route.param);
    },
  );

  it('answers 404, not 400, for a well-formed id that does not exist', async () => {
    for (const route of ID_ROUTES) {
      const res = await callIdRoute(target(), route, 123_456_789, bearer(user));
      expect(res.status, route.label).toBe(404);
    }
  });
};

export default imagesIds;
