/** Both dependencies answered; a failure is an UnavailableError, rendered as every 503. */
export const healthy = () => ({ status: 'ok' as const });
