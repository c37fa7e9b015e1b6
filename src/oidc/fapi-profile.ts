import { errors, type Client, type KoaContextWithOIDC } from 'oidc-provider';

// The FAPI 2.0 grade, chosen per client with the `security_profile: "fapi2"` client metadata. Section numbers are
// those of the FAPI 2.0 Security Profile (final); JAR and JARM come from FAPI 2.0 Message Signing (signed requests and
// responses), on top of the Security Profile. Other clients keep the engine's ordinary behaviour: everything here
// only applies when the client asked for it.

export const FAPI2 = 'fapi2';

/** §5.4.1-1.2 allows PS256, ES256 and EdDSA (Ed25519); we narrow it to the two every FAPI library signs with. */
export const FAPI2_SIGNING_ALGS: readonly string[] = ['ES256', 'PS256'];
/** §5.3.2.1-6: MTLS (tls_client_auth) or private_key_jwt. */
export const FAPI2_AUTH_METHODS: readonly string[] = ['private_key_jwt', 'tls_client_auth'];
/** §5.3.2.1-11: authorization codes live at most 60 seconds. */
export const FAPI2_CODE_TTL = 60;
/** JARM only: the authorization response is always a signed JWT (FAPI 2.0 Message Signing, signed responses). */
export const FAPI2_RESPONSE_MODES: readonly string[] = ['jwt', 'query.jwt', 'form_post.jwt'];
/** Our own signing keys are RS256 or ES256 (src/keys): what we sign for a FAPI client is therefore ES256. */
const SERVER_SIGNING_ALG = 'ES256';

type WithMetadata = { metadata(): Record<string, unknown> } | undefined;

export function isFapi2(client: WithMetadata | Client): boolean {
  return (client as WithMetadata)?.metadata().security_profile === FAPI2;
}

/**
 * What a FAPI client gets unless its metadata says otherwise, filled in before the engine validates it, so the
 * stored metadata says plainly what the client must do.
 */
export function withProfileDefaults<T extends Record<string, unknown>>(metadata: T): T {
  if (metadata.security_profile !== FAPI2) return metadata;
  return {
    token_endpoint_auth_method: 'private_key_jwt',
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    require_pushed_authorization_requests: true,
    require_signed_request_object: true,
    response_modes: [...FAPI2_RESPONSE_MODES],
    dpop_bound_access_tokens: true,
    id_token_signed_response_alg: SERVER_SIGNING_ALG,
    authorization_signed_response_alg: SERVER_SIGNING_ALG,
    ...metadata,
  };
}

const ALG_KEYS = [
  'id_token_signed_response_alg', 'authorization_signed_response_alg', 'request_object_signing_alg',
  'token_endpoint_auth_signing_alg', 'userinfo_signed_response_alg', 'introspection_signed_response_alg',
] as const;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The first way this metadata falls short of the profile, or undefined when it meets it. */
export function fapi2MetadataProblem(metadata: Record<string, unknown>): string | undefined {
  if (!FAPI2_AUTH_METHODS.includes(String(metadata.token_endpoint_auth_method))) {
    return `token_endpoint_auth_method must be ${FAPI2_AUTH_METHODS.join(' or ')} (FAPI 2.0 §5.3.2.1-6)`;
  }
  if (metadata.require_pushed_authorization_requests !== true) return 'require_pushed_authorization_requests must be true (FAPI 2.0 §5.3.2.2-3)';
  if (metadata.require_signed_request_object !== true) return 'require_signed_request_object must be true (FAPI 2.0 Message Signing, RFC 9101)';
  if (metadata.dpop_bound_access_tokens !== true) return 'dpop_bound_access_tokens must be true (FAPI 2.0 §5.3.2.1-4, RFC 9449)';
  const responseTypes = metadata.response_types as unknown[] | undefined;
  if (!Array.isArray(responseTypes) || responseTypes.some((type) => type !== 'code')) return 'response_types must be ["code"] (FAPI 2.0 §5.3.2.2-1)';
  const responseModes = metadata.response_modes as unknown[] | undefined;
  if (!Array.isArray(responseModes) || responseModes.some((mode) => !FAPI2_RESPONSE_MODES.includes(String(mode)))) {
    return `response_modes must hold only ${FAPI2_RESPONSE_MODES.join(', ')} (JARM, FAPI 2.0 Message Signing)`;
  }
  const grantTypes = metadata.grant_types as unknown[] | undefined;
  if (Array.isArray(grantTypes) && grantTypes.some((type) => type !== 'authorization_code' && type !== 'refresh_token')) {
    return 'grant_types may only hold authorization_code and refresh_token';
  }
  for (const key of ALG_KEYS) {
    const alg = metadata[key];
    if (alg !== undefined && !FAPI2_SIGNING_ALGS.includes(String(alg))) return `${key} must be ${FAPI2_SIGNING_ALGS.join(' or ')} (FAPI 2.0 §5.4.1)`;
  }
  // Key wrapping with the client secret (A128KW, dir ...) needs a secret, which FAPI clients do not have.
  if (/^(A|dir$)/.test(String(metadata.request_object_encryption_alg ?? ''))) {
    return 'request_object_encryption_alg must be one of our public keys\' (ECDH-ES): FAPI clients have no client secret';
  }
  for (const uri of (metadata.redirect_uris as string[] | undefined) ?? []) {
    const parsed = URL.parse(uri);
    const loopback = parsed?.protocol === 'http:' && LOOPBACK.has(parsed.hostname) && metadata.application_type === 'native';
    if (parsed?.protocol !== 'https:' && !loopback) return 'redirect_uris must use https (or loopback http for native clients; FAPI 2.0 §5.3.2.2-8)';
  }
  return undefined;
}

export type JwtAssertion = (ctx: KoaContextWithOIDC, claims: Record<string, unknown>, header: Record<string, unknown>, client: Client) => void;

/**
 * Client assertions (private_key_jwt). This hook replaces the engine's default, which for FAPI 2.0 clients requires
 * the issuer as the one audience string (§5.3.2.1-8): kept here, with the profile's algorithms (§5.4.1).
 */
export const checkClientAssertion: JwtAssertion = (ctx, claims, header, client) => {
  if (!isFapi2(client)) return;
  if (claims.aud !== ctx.oidc.issuer) throw new errors.InvalidClientAuth('audience (aud) must equal the issuer identifier url');
  if (!FAPI2_SIGNING_ALGS.includes(String(header.alg))) {
    throw new errors.InvalidClientAuth(`the client assertion must be signed with ${FAPI2_SIGNING_ALGS.join(' or ')}`);
  }
};

/**
 * Request objects (RFC 9101). This hook replaces the engine's default, so it keeps what the default does: CIBA
 * requests need exp, iat, nbf and jti (CIBA §7.1.1); FAPI clients need exp, aud and nbf at most an hour apart. And
 * for FAPI clients the profile's algorithms only (§5.4.1).
 */
export const checkRequestObject: JwtAssertion = (ctx, claims, header, client) => {
  const fapi = isFapi2(client);
  const required = new Set(fapi ? ['exp', 'aud', 'nbf'] : []);
  if (ctx.oidc.route === 'backchannel_authentication') for (const claim of ['exp', 'iat', 'nbf', 'jti']) required.add(claim);
  for (const claim of required) {
    if (claims[claim] === undefined) throw new errors.InvalidRequestObject(`Request Object is missing the '${claim}' claim`);
  }
  if (!fapi) return;
  const lifetime = Number(claims.exp) - Number(claims.nbf);
  if (!(lifetime > 0 && lifetime <= 3600)) throw new errors.InvalidRequestObject("Request Object 'exp' claim too far from 'nbf' claim");
  if (!FAPI2_SIGNING_ALGS.includes(String(header.alg))) {
    throw new errors.InvalidRequestObject(`Request Object must be signed with ${FAPI2_SIGNING_ALGS.join(' or ')} (FAPI 2.0 §5.4.1)`);
  }
};

/** §5.3.2.1-11: the configured lifetime, but never more than 60 seconds for a FAPI client. */
export const authorizationCodeTtl = (configured: number) =>
  (_ctx: KoaContextWithOIDC, _code: unknown, client: Client) => (isFapi2(client) ? Math.min(configured, FAPI2_CODE_TTL) : configured);

/** §5.3.2.1-9 (and its Note 1): no refresh token rotation for FAPI clients; other clients keep rotating. */
export const rotateRefreshToken = (ctx: KoaContextWithOIDC) => !isFapi2(ctx.oidc.client);
