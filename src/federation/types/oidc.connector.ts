import type { Connector, ConnectorFactory, ConnectorRecord } from '../connector.ts';
import { mapProfile } from '../claim-mapping.ts';
import { appleClientSecret } from './apple-client-secret.ts';
import { authorizationParams, client, clientAuth, configCache, requestOptions } from './upstream-client.ts';

// Generic OpenID Connect (Core 1.0 §3.1: authorization code flow) with discovery, PKCE, state and nonce; the
// ID token is validated by openid-client (signature from the upstream's JWKS, iss, aud, exp, nonce). Google,
// Apple, LINE, Yahoo! JAPAN, Microsoft and group-company IdPs are this type with preset settings.

/** The client secret sent to the token endpoint: stored, or (Apple) a short-lived JWT signed with our key. */
function currentSecret(record: ConnectorRecord): string | undefined {
  if (record.options.clientSecretJwt === 'apple') return appleClientSecret(record);
  return record.clientSecret;
}

/** Apple sends the person's name only once, as a JSON `user` form field beside the code (form_post). */
async function appleUserName(callback: Request): Promise<Record<string, string>> {
  if (callback.method !== 'POST') return {};
  const form = await callback.clone().formData().catch(() => undefined);
  const raw = form?.get('user');
  if (typeof raw !== 'string' || raw.length > 2048) return {};
  try {
    const user = JSON.parse(raw) as { name?: { firstName?: unknown; lastName?: unknown } };
    const out: Record<string, string> = {};
    if (typeof user.name?.firstName === 'string') out.given_name = user.name.firstName;
    if (typeof user.name?.lastName === 'string') out.family_name = user.name.lastName;
    return out;
  } catch {
    return {};
  }
}

export const createOidcConnector: ConnectorFactory = (record, deps): Connector => {
  if (!record.issuer) throw new Error(`connector ${record.id}: an OIDC connector needs an issuer`);
  const issuer = record.issuer;
  const config = configCache(async () => {
    const options = requestOptions(deps, issuer);
    // The secret is passed per request for Apple (it expires), so discovery gets the auth method only.
    return client.discovery(new URL(issuer), record.clientId, undefined, clientAuth(record, currentSecret(record)), options);
  });
  // Apple's JWT secret expires: rebuild the client authentication before each code exchange.
  const withFreshAuth = async () => {
    const base = await config();
    if (record.options.clientSecretJwt !== 'apple') return base;
    const fresh = new client.Configuration(base.serverMetadata(), record.clientId, undefined, clientAuth(record, currentSecret(record)));
    if (issuer.startsWith('http:')) client.allowInsecureRequests(fresh);
    return fresh;
  };

  return {
    record,
    async authorizationUrl(transaction, loginHint) {
      const params = await authorizationParams(record, transaction, true);
      if (loginHint) params.login_hint = loginHint;
      return client.buildAuthorizationUrl(await config(), params);
    },
    async complete(callback, transaction) {
      const current = await withFreshAuth();
      const appleName = await appleUserName(callback); // before the grant reads (and consumes) the body
      const tokens = await client.authorizationCodeGrant(current, callback, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      let document: Record<string, unknown> = { ...claims, ...appleName };
      // Some upstreams (Yahoo! JAPAN) put the email in userinfo only; userinfo's sub must equal the ID token's.
      const emailPath = record.mapping.email ?? 'email';
      if (document[emailPath] === undefined && current.serverMetadata().userinfo_endpoint && tokens.access_token) {
        const userinfo = await client.fetchUserInfo(current, tokens.access_token, claims.sub);
        document = { ...userinfo, ...document };
      }
      return mapProfile(record.id, record.mapping, document);
    },
  };
};
