import type { RateLimits } from '../config/config.schema.ts';

/**
 * A wrong password counts against the address and the client IP alike, wherever it was typed (sign-in, linking an
 * upstream identity, changing the password), so no form is a way around the sign-in limits. Counting never fails the
 * request: the refusal is already on its way, and a spent allowance shows at the next check.
 */
export async function countFailedPassword(limits: RateLimits, ip: string, accountKey: string): Promise<void> {
  await limits.consume('loginPerIp', ip).catch(() => undefined);
  await limits.consume('loginPerAccount', accountKey).catch(() => undefined);
}
