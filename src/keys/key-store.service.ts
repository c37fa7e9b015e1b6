import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { selfSignedCertificate } from './certificate.ts';
import type { SecretBox } from './secret-box.ts';
import type { SigningAlg, SigningKeyDocument, SigningKeyModel } from './signing-key.model.ts';

const ALGS: SigningAlg[] = ['RS256', 'ES256', 'ECDH-ES'];
/** The key that clients encrypt to (P-256, ECDH-ES); every other key signs. */
const useOf = (alg: SigningAlg) => (alg === 'ECDH-ES' ? 'enc' : 'sig');
const STATUS_ORDER = { current: 0, next: 1, retired: 2 } as const;

export interface PrivateJwk extends JsonWebKey {
  kid: string;
  alg: SigningAlg;
  use: 'sig' | 'enc';
}

function generate(alg: SigningAlg): { publicJwk: JsonWebKey; privateJwk: JsonWebKey } {
  const pair = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicJwk: pair.publicKey.export({ format: 'jwk' }), privateJwk: pair.privateKey.export({ format: 'jwk' }) };
}

export interface KeyStoreOptions {
  /** Longest lifetime of anything signed (ID tokens, JWT access tokens): how long a retired key stays published. */
  maxSignedTokenTtlSeconds: number;
}

export function createKeyStore(model: SigningKeyModel, box: SecretBox, options: KeyStoreOptions) {
  async function create(alg: SigningAlg, status: 'current' | 'next') {
    const { publicJwk, privateJwk } = generate(alg);
    const kid = randomUUID();
    await model.create({
      _id: kid,
      alg,
      status,
      publicJwk: { ...publicJwk, kid, alg, use: useOf(alg) },
      sealedPrivateJwk: box.seal(JSON.stringify(privateJwk)),
      // RSA keys also sign SAML messages, whose metadata publishes keys as X.509 certificates.
      certificatePem: alg === 'RS256' ? selfSignedCertificate(privateJwk, `idp signing key ${kid}`) : undefined,
      activatedAt: status === 'current' ? new Date() : undefined,
    });
  }

  /** Keys made before certificates were kept get theirs at start-up (idempotent). */
  async function ensureCertificates() {
    for (const key of await model.find({ alg: 'RS256', certificatePem: { $exists: false } }).lean<SigningKeyDocument[]>().exec()) {
      const certificatePem = selfSignedCertificate(JSON.parse(box.open(key.sealedPrivateJwk)) as JsonWebKey, `idp signing key ${key._id}`);
      await model.updateOne({ _id: key._id, certificatePem: { $exists: false } }, { $set: { certificatePem } }).exec();
    }
  }

  async function ordered(): Promise<SigningKeyDocument[]> {
    const keys = await model.find().lean<SigningKeyDocument[]>().exec();
    return keys.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || +b.createdAt - +a.createdAt);
  }

  return {
    /** First start: a current and a next key for each algorithm. Idempotent. */
    async ensureKeys(): Promise<void> {
      for (const alg of ALGS) {
        if (!(await model.exists({ alg, status: 'current' }))) await create(alg, 'current');
        if (!(await model.exists({ alg, status: 'next' }))) await create(alg, 'next');
      }
      await ensureCertificates();
    },

    /**
     * Rotation: the published `next` key starts signing, the old current key is retired but stays in the JWKS
     * until every token it signed has expired, and a new `next` key is published ahead of its use.
     */
    async rotate(): Promise<{ current: string[]; next: string[]; retired: string[] }> {
      const now = new Date();
      const retireUntil = new Date(now.getTime() + options.maxSignedTokenTtlSeconds * 1000);
      await model.deleteMany({ status: 'retired', retireUntil: { $lte: now } }).exec();
      for (const alg of ALGS) {
        await model.updateMany({ alg, status: 'current' }, { $set: { status: 'retired', retireUntil } }).exec();
        const promoted = await model.findOneAndUpdate(
          { alg, status: 'next' }, { $set: { status: 'current', activatedAt: now } }, { sort: { createdAt: 1 } },
        ).exec();
        if (!promoted) await create(alg, 'current');
        await create(alg, 'next');
      }
      const keys = await ordered();
      const kids = (status: string) => keys.filter((k) => k.status === status).map((k) => k._id);
      return { current: kids('current'), next: kids('next'), retired: kids('retired') };
    },

    /** Private JWKS for the engine: current keys first (the engine signs with the first key of an alg). */
    async privateJwks(): Promise<{ keys: PrivateJwk[] }> {
      const now = Date.now();
      const keys = (await ordered()).filter((k) => k.status !== 'retired' || (k.retireUntil?.getTime() ?? 0) > now);
      return {
        keys: keys.map((k) => ({ ...(JSON.parse(box.open(k.sealedPrivateJwk)) as JsonWebKey), kid: k._id, alg: k.alg, use: useOf(k.alg) })),
      };
    },

    /**
     * The SAML signing credentials: the current RSA key with its certificate, and every certificate to publish in
     * metadata (current, next before it signs, retired until its signatures have expired), current first.
     */
    async samlCredentials(): Promise<{ privateKeyPem: string; certificatePem: string; published: string[] }> {
      const now = Date.now();
      const keys = (await ordered()).filter((k) => k.alg === 'RS256' && k.certificatePem
        && (k.status !== 'retired' || (k.retireUntil?.getTime() ?? 0) > now));
      const current = keys.find((k) => k.status === 'current');
      if (!current) throw new Error('no current RS256 signing key');
      const privateKeyPem = createPrivateKey({ key: JSON.parse(box.open(current.sealedPrivateJwk)) as JsonWebKey, format: 'jwk' })
        .export({ format: 'pem', type: 'pkcs8' }).toString();
      return { privateKeyPem, certificatePem: current.certificatePem!, published: keys.map((k) => k.certificatePem!) };
    },

    /** Changes whenever a key is added, promoted or retired: cheap to poll. */
    async version(): Promise<string> {
      const keys = await model.find({}, { _id: 1, status: 1 }).sort({ _id: 1 }).lean().exec();
      return createHash('sha256').update(keys.map((k) => `${k._id}:${k.status}`).join(',')).digest('base64url');
    },

    async list() {
      return (await ordered()).map((k) => ({
        kid: k._id, alg: k.alg, status: k.status, createdAt: k.createdAt, activatedAt: k.activatedAt, retireUntil: k.retireUntil,
      }));
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
