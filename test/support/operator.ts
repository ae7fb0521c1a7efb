/**
 * The scenarios' operator: registered through the API, then granted its rights by the operator
 * action (test/support/admin.ts).
 */
export const OPERATOR_EMAIL = 'operator@example.com';
export const OPERATOR_PASSWORD = 'operator test password';

/**
 * The address every test server lists in the retired ADMIN_EMAILS (test/support/node/servers.ts
 * and, spelled out because the config file loads before the test sources, vitest.config.ts):
 * whoever registers it must get nothing.
 */
export const CLAIMED_ADMIN_EMAIL = 'claimed-admin@example.com';
