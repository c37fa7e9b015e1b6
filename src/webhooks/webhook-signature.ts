import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Standard Webhooks (standardwebhooks.com, "Signature scheme"): the signed content is `${id}.${timestamp}.${body}`,
// HMAC-SHA256 keyed with the base64-decoded part of a `whsec_` secret, sent as `v1,<base64>`; several signatures
// are separated by spaces (secret rotation: the receiver accepts any one it can verify).

export const SECRET_PREFIX = 'whsec_';

export const generateSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;

export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  // The spec asks for 24 to 64 bytes of key.
  return key.length >= 24 && key.length <= 64 && key.toString('base64') === secret.slice(SECRET_PREFIX.length);
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three headers of one delivery; `secrets` holds the current secret and, during a rotation, the previous one. */
export function signedHeaders(secrets: string[], id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => sign(secret, id, timestamp, body)).join(' '),
  };
}

/** Verifies like a receiver would (used by the CLI's self-check and unit tests). */
export function verifies(secret: string, headers: Record<string, string>, body: string): boolean {
  const expected = Buffer.from(sign(secret, headers['webhook-id']!, Number(headers['webhook-timestamp']), body));
  return (headers['webhook-signature'] ?? '').split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
