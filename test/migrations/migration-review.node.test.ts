import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/db/libsql';
import { cascadingDependents, reviewFolder, reviewMigration } from '../support/node/migration-review';
import { asMigrationFile, REBUILD_USERS, REBUILD_USERS_SAFELY } from '../support/rebuild-users';

/**
 * Migrations reviewed by hand and accepted although the check flags them, each with the reason
 * (e.g. `'0007_drop_legacy': 'the cascading tables were emptied by 0006 and are dropped too'`).
 */
const REVIEWED: Record<string, string> = {};

const firstSnapshot = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/0000_snapshot.json'), 'utf8'));

describe('review of drizzle/ migrations', () => {
  it('passes every committed migration (or one reviewed by hand, with its reason)', () => {
    const flagged = reviewFolder(MIGRATIONS_FOLDER).filter((m) => m.problems.length && !REVIEWED[m.tag]);
    expect(flagged).toEqual([]);
    const tags = reviewFolder(MIGRATIONS_FOLDER).map((m) => m.tag);
    for (const [tag, reason] of Object.entries(REVIEWED)) {
      expect(tags, `REVIEWED names ${tag}`).toContain(tag);
      expect(reason.trim().length, `${tag} has a reason`).toBeGreaterThan(20);
    }
  });

  it('knows what cascades from what in the schema', () => {
    const dependents = cascadingDependents(firstSnapshot);
    expect([...(dependents.get('users') ?? [])].sort()).toEqual(['image_tags', 'images', 'tags']);
    expect([...(dependents.get('images') ?? [])]).toEqual(['image_tags']);
    expect(dependents.has('image_tags')).toBe(false);
  });

  it("refuses drizzle-kit's rebuild of a table other tables cascade from", () => {
    const problems = reviewMigration(asMigrationFile(REBUILD_USERS), firstSnapshot);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^DROP TABLE users deletes every row of (images|tags|image_tags)(, (images|tags|image_tags)){2} on D1/,
    );
  });

  it('refuses a plain DROP TABLE of such a table, and one that puts back only some of the rows', () => {
    expect(reviewMigration('DROP TABLE IF EXISTS "images";', firstSnapshot)).toHaveLength(1);
    const partial = REBUILD_USERS_SAFELY.filter((s) => !s.startsWith('INSERT INTO `image_tags`'));
    expect(reviewMigration(asMigrationFile(partial), firstSnapshot)[0]).toContain('of image_tags on D1');
  });

  it('accepts the rebuild that carries the cascading rows across, and rebuilding a table nothing cascades from', () => {
    expect(reviewMigration(asMigrationFile(REBUILD_USERS_SAFELY), firstSnapshot)).toEqual([]);
    const leaf = [
      'CREATE TABLE `__new_image_tags` (`image_id` integer NOT NULL, `tag_id` integer NOT NULL, `position` integer NOT NULL);',
      'INSERT INTO `__new_image_tags` SELECT * FROM `image_tags`;',
      'DROP TABLE `image_tags`;',
      'ALTER TABLE `__new_image_tags` RENAME TO `image_tags`;',
    ];
    expect(reviewMigration(asMigrationFile(leaf), firstSnapshot)).toEqual([]);
  });
});
