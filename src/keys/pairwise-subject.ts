import { createHmac, hkdfSync } from 'node:crypto';

// One pseudonym per person and per relying party, for both protocols, from one keyed hash:
// - OpenID Connect pairwise `sub` (Core §8.1): the sector is the host of the client's sector_identifier_uri, or of
//   its single redirect_uri host (the engine's client.sectorIdentifier); "sub = hash(sector || local id || salt)".
// - SAML persistent NameID (saml-core §8.3.7): the sector is the SP's entity ID.
// HMAC-SHA256 under a key derived (HKDF, RFC 5869) from the pairwise secret: stable across restarts and instances,
// not reversible, and unlinkable between sectors without the secret. The HKDF label is the one SAML NameIDs have
// always used, so persistent NameIDs already given to SPs stay the same.

export type PairwiseSubject = (sector: string, accountId: string) => string;

export function createPairwiseSubject(secret: string): PairwiseSubject {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'idp:saml-persistent-nameid', 32));
  return (sector, accountId) => createHmac('sha256', key).update(`${sector}\u0000${accountId}`).digest('base64url');
}

/** secrets.pairwiseSecret when set, else the key-encryption key (what SAML persistent NameIDs were derived from). */
export const pairwiseSecretOf = (secrets: { pairwiseSecret?: string; keyEncryptionKey: string }): string =>
  secrets.pairwiseSecret ?? secrets.keyEncryptionKey;
