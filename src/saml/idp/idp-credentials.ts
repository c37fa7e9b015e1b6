import { createPrivateKey } from 'node:crypto';
import type { KeyStore } from '../../keys/key-store.service.ts';
import { certificateBody } from '../../keys/certificate.ts';
import { idpEntity, type IdpEntity, type SigningCredentials } from './saml-lib.ts';

// Our SAML identity: entityID = the OIDC issuer, endpoints under /saml, and the signing key of the key store
// (the current RS256 key, with the next one's certificate published before it signs). Read through a short cache
// so a rotation by `idp keys rotate` reaches a running server within keys.pollSeconds, like the engine's keys.

export interface IdpIdentity {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  metadataUrl: string;
}

export interface Credentials extends SigningCredentials {
  /** Certificates to publish (base64 DER), current first. */
  published: string[];
}

export function createIdpCredentials(deps: { keyStore: KeyStore; issuer: string; refreshSeconds: number }) {
  const identity: IdpIdentity = {
    entityId: deps.issuer,
    ssoUrl: `${deps.issuer}/saml/sso`,
    sloUrl: `${deps.issuer}/saml/slo`,
    metadataUrl: `${deps.issuer}/saml/metadata`,
  };
  let cached: { at: number; credentials: Credentials; entities: Map<boolean, IdpEntity> } | undefined;

  async function load() {
    if (cached && Date.now() - cached.at < deps.refreshSeconds * 1000) return cached;
    const saml = await deps.keyStore.samlCredentials();
    const credentials: Credentials = {
      privateKeyPem: saml.privateKeyPem,
      privateKey: createPrivateKey(saml.privateKeyPem),
      certificate: certificateBody(saml.certificatePem),
      published: saml.published.map(certificateBody),
    };
    cached = { at: Date.now(), credentials, entities: new Map() };
    return cached;
  }

  return {
    identity,
    async credentials(): Promise<Credentials> {
      return (await load()).credentials;
    },
    /** samlify's IdP entity, verifying request signatures or not. */
    async entity(verifySignatures: boolean): Promise<IdpEntity> {
      const state = await load();
      let entity = state.entities.get(verifySignatures);
      if (!entity) {
        entity = idpEntity({ ...identity, credentials: state.credentials, verifySignatures });
        state.entities.set(verifySignatures, entity);
      }
      return entity;
    },
    /** Drops the cache (tests and the CLI after a rotation). */
    reset() {
      cached = undefined;
    },
  };
}

export type IdpCredentials = ReturnType<typeof createIdpCredentials>;
