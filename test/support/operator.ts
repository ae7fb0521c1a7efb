/**
 * The operator every test server is configured with (ADMIN_EMAILS in vitest.config.ts and
 * test/node/support/servers.ts). No imports: vitest.config.ts loads this file too.
 */
export const OPERATOR_EMAIL = 'operator@example.com';
export const OPERATOR_PASSWORD = 'operator test password';
