import { createPrivateKey, sign } from 'node:crypto';
import type { ConnectorRecord } from '../connector.ts';

// Sign in with Apple authenticates the client with a JWT it signs itself (ES256 with the key from the Apple
// developer account): iss = team id, sub = client (Services) id, aud = https://appleid.apple.com, at most six
// months of validity. We make a fresh one valid for five minutes per code exchange.
export function appleClientSecret(record: ConnectorRecord, now = Math.floor(Date.now() / 1000)): string {
  const { teamId, keyId, privateKey } = record.options;
  if (!teamId || !keyId || !privateKey) throw new Error(`connector ${record.id}: Apple needs options.teamId, keyId and privateKey`);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'ES256', kid: keyId, typ: 'JWT' });
  const payload = encode({ iss: teamId, sub: record.clientId, aud: 'https://appleid.apple.com', iat: now, exp: now + 300 });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: createPrivateKey(privateKey), dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}
