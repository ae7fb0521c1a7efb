/**
 * The operator every test server is configured with: ADMIN_EMAILS in test/node/support/servers.ts
 * and, spelled out (the config file loads before the test sources), in vitest.config.ts.
 */
export const OPERATOR_EMAIL = 'operator@example.com';
export const OPERATOR_PASSWORD = 'operator test password';
