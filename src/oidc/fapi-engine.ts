import { hkdfSync } from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';
import { checkClientAssertion, checkRequestObject, isFapi2 } from './fapi-profile.ts';
import { tlsClientAuthFeature } from './tls-client-auth.ts';

// The engine features behind the per-client FAPI 2.0 grade (src/oidc/fapi-profile.ts). Each is on for every client,
// and asked for by metadata: PAR, JAR, JARM and DPoP are optional for other clients, required for FAPI clients by
// their require_* / dpop_bound_access_tokens metadata. Nothing here changes what an ordinary client must send.

type Features = NonNullable<Configuration['features']>;

/** The engine's client authentications (its default list), plus tls_client_auth when a proxy passes certificates. */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/** One DPoP nonce secret for every instance (RFC 9449 §8): derived from the key encryption key they all share. */
function dpopNonceSecret(config: Config): Buffer {
  return Buffer.from(hkdfSync('sha256', config.secrets.keyEncryptionKey, 'idp', 'dpop-nonce', 32));
}

export function fapiFeatures(config: Config): Pick<Features, 'fapi' | 'pushedAuthorizationRequests' | 'requestObjects' | 'jwtResponseModes' | 'dPoP' | 'mTLS' | 'encryption'> {
  const mTLS = tlsClientAuthFeature(config.mtls);
  return {
    // The engine's own FAPI 2.0 checks (PKCE S256, redirect_uri required, client assertion aud, request object
    // exp/nbf) for exactly the clients that chose the profile.
    fapi: { enabled: true, profile: (_ctx: KoaContextWithOIDC, client: unknown) => (isFapi2(client as never) ? '2.0' : undefined) },
    // RFC 9126. Not required globally (discovery keeps require_pushed_authorization_requests false); required per
    // client by require_pushed_authorization_requests (FAPI 2.0 §5.3.2.2-3). request_uri lives 60 s (< 600 s, §5.3.2.2-12).
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
    // RFC 9101 request objects, signed; require_signed_request_object makes them mandatory per client.
    requestObjects: { enabled: true, requireSignedRequestObject: false, assertJwtClaimsAndHeader: checkRequestObject as never },
    // JWE: request objects encrypted to our ECDH-ES key (src/keys) when the client registers
    // request_object_encryption_alg/enc (RFC 9101 §6.1); ID tokens, userinfo and JARM to the client's keys likewise.
    encryption: { enabled: true },
    // JARM: response_mode jwt (query.jwt, fragment.jwt, form_post.jwt), signed with our keys.
    jwtResponseModes: { enabled: true },
    // RFC 9449. Nonces (§8) are offered to everyone and required from FAPI clients (FAPI 2.0 §5.3.2.1-10 allows it).
    dPoP: { enabled: true, nonceSecret: dpopNonceSecret(config), requireNonce: (ctx) => isFapi2(ctx.oidc.client), allowReplay: false },
    ...(mTLS ? { mTLS } : {}),
  };
}

/**
 * Said outright in discovery rather than left to the default of an absent key (RFC 9126 §5, RFC 9101 §10.5): nothing
 * is required of every client; FAPI clients' requirements are in their own metadata.
 */
export const FAPI_DISCOVERY = { require_pushed_authorization_requests: false, require_signed_request_object: false } as const;

/** Configuration keys outside `features` that the profile needs. */
export function fapiConfiguration(config: Config): Pick<Configuration, 'assertJwtClientAuthClaimsAndHeader' | 'clientAuthMethods' | 'enabledJWA'> {
  return {
    // DPoP proofs: the engine's ES256 and EdDSA, plus PS256 for clients whose keys are RSA (FAPI 2.0 §5.4.1).
    enabledJWA: { dPoPSigningAlgValues: ['ES256', 'PS256', 'Ed25519', 'EdDSA'] },
    assertJwtClientAuthClaimsAndHeader: checkClientAssertion as never,
    clientAuthMethods: config.mtls.certificateHeader ? [...CLIENT_AUTH_METHODS, 'tls_client_auth'] : [...CLIENT_AUTH_METHODS],
  };
}

/**
 * FAPI clients' refresh tokens are bound to the DPoP key of the token request that issued them, as the engine does
 * for public clients (RFC 9449 §5): a stolen refresh token is then useless without that key, on top of the client's
 * own authentication. The engine binds a new refresh token only for public clients, so its save sets the binding;
 * rotated tokens (none for FAPI clients) would carry it over by themselves.
 */
export function bindFapiRefreshTokensToDpopKey(provider: Provider): void {
  const prototype = provider.RefreshToken.prototype as unknown as { save(...args: unknown[]): Promise<string>; jkt?: string };
  const save = prototype.save;
  prototype.save = function saveWithDpopBinding(this: typeof prototype, ...args: unknown[]) {
    const ctx = Provider.ctx as KoaContextWithOIDC | undefined;
    const accessToken = ctx?.oidc?.entities.AccessToken as { jkt?: string } | undefined;
    if (!this.jkt && accessToken?.jkt && isFapi2(ctx?.oidc.client)) this.jkt = accessToken.jkt;
    return save.apply(this, args);
  };
}
