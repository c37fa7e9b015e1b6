import { verify, X509Certificate, type KeyObject } from 'node:crypto';

// HTTP-Redirect binding signatures (saml-bindings §3.4.4.1): a detached signature over the octets
// `SAMLRequest=...&RelayState=...&SigAlg=...` exactly as sent. Verified with node:crypto against the SP's signing
// keys, parsed once per registration (samlify re-parsed the certificate with node-rsa on every request). Every
// signing certificate in the SP's metadata is tried, so an SP can roll its key over.

const HASH_OF: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1', // accepted as samlify did: some SPs still send it
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};

/** Whether this SigAlg is verified here (RSA PKCS#1 v1.5); others (e.g. RSA-PSS) go through samlify. */
export const verifiesHere = (sigAlg: unknown): boolean => typeof sigAlg === 'string' && sigAlg in HASH_OF;

/** The RSA public keys of base64 DER certificates; other key types are left out (the SigAlgs here are RSA). */
export function rsaKeysOf(certificates: string[]): KeyObject[] {
  return certificates.map((c) => new X509Certificate(Buffer.from(c, 'base64')).publicKey).filter((k) => k.asymmetricKeyType === 'rsa');
}

export function verifyRedirectSignature(keys: KeyObject[], octetString: string, sigAlg: string, signature: string): boolean {
  const hash = HASH_OF[sigAlg];
  if (!hash || !signature) return false;
  const bytes = Buffer.from(signature, 'base64');
  const data = Buffer.from(octetString, 'utf8');
  return keys.some((key) => verify(hash, data, key, bytes));
}
