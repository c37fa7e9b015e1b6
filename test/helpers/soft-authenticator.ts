import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';

// A software WebAuthn authenticator for tests: real ES256 key pairs, real CBOR, real `packed` self-attestations
// (WebAuthn L3 §8.2) and real assertions, so the server verifies them with @simplewebauthn/server unmocked.
// It plays the browser's part too (clientDataJSON with the origin), as navigator.credentials would.

// Canonical CBOR (WebAuthn L3 §5.8.1) from the same pure-JS codec the WebAuthn verifier uses.
const cbor = { encode: (value: Map<string | number, unknown>) => Buffer.from(encodeCBOR(value as CBORType)) };
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 };

interface StoredCredential {
  id: Buffer;
  privateKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

export interface CreationOptionsJSON {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: Array<{ id: string }>;
}

export interface RequestOptionsJSON {
  challenge: string;
  rpId?: string;
  allowCredentials?: Array<{ id: string }>;
}

export class SoftAuthenticator {
  readonly credentials: StoredCredential[] = [];
  /** Whether the "user" passes the PIN/biometric check (the UV flag). */
  userVerification = true;
  /** A synced passkey (backup eligible and backed up) instead of a device-bound key. */
  synced = false;

  readonly origin: string;

  constructor(origin: string) {
    this.origin = origin;
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  private flags(extra = 0) {
    return FLAG.UP | (this.userVerification ? FLAG.UV : 0) | (this.synced ? FLAG.BE | FLAG.BS : 0) | extra;
  }

  /** navigator.credentials.create(): returns RegistrationResponseJSON. */
  create(options: CreationOptionsJSON) {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    if (options.excludeCredentials?.some((c) => this.credentials.some((s) => b64u(s.id) === c.id))) {
      throw new Error('InvalidStateError: credential already registered');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
    const coseKey = cbor.encode(new Map<number, unknown>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')],
    ]));
    const id = randomBytes(16);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId), Buffer.from([this.flags(FLAG.AT)]), Buffer.alloc(4), Buffer.alloc(16), length, id, coseKey,
    ]);
    const clientDataJSON = this.clientData('webauthn.create', options.challenge);
    const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), privateKey);
    const attestationObject = cbor.encode(new Map<string, unknown>([
      ['fmt', 'packed'], ['attStmt', new Map<string, unknown>([['alg', -7], ['sig', sig]])], ['authData', authData],
    ]));
    this.credentials.push({ id, privateKey, rpId, userHandle: options.user.id, counter: 0 });
    return {
      id: b64u(id), rawId: b64u(id), type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ['internal'] },
    };
  }

  /** navigator.credentials.get(): returns AuthenticationResponseJSON (with userHandle, as for a passkey). */
  get(options: RequestOptionsJSON) {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const allowed = options.allowCredentials?.map((c) => c.id) ?? [];
    const credential = this.credentials.find((c) => c.rpId === rpId && (allowed.length === 0 || allowed.includes(b64u(c.id))));
    if (!credential) throw new Error('NotAllowedError: no credential for this request');
    credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const authenticatorData = Buffer.concat([sha256(rpId), Buffer.from([this.flags()]), counter]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64u(credential.id), rawId: b64u(credential.id), type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authenticatorData), signature: b64u(signature),
        userHandle: credential.userHandle,
      },
    };
  }
}
