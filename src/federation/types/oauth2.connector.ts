import type { Connector, ConnectorFactory, ConnectorRecord } from '../connector.ts';
import { mapProfile } from '../claim-mapping.ts';
import { authorizationParams, client, clientAuth, requestOptions } from './upstream-client.ts';

// Generic OAuth 2.0 (RFC 6749 §4.1 with PKCE, RFC 7636) for upstreams without OpenID Connect (Facebook, GitHub):
// the code is exchanged for an access token, the profile endpoint is read with it, and the connector's claim
// mapping turns that JSON into a NormalizedProfile. There is no ID token: the profile endpoint, reached over TLS
// with a token bound to our client, is the source of truth.

interface GitHubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/** GitHub's /user shows only a public email, unverified: /user/emails says which address is verified. */
export function verifiedEmail(emails: unknown): { email?: string; email_verified: boolean } {
  if (!Array.isArray(emails)) return { email_verified: false };
  const list = emails as GitHubEmail[];
  const chosen = list.find((e) => e.primary === true && e.verified === true) ?? list.find((e) => e.verified === true);
  return typeof chosen?.email === 'string' ? { email: chosen.email, email_verified: true } : { email_verified: false };
}

function buildConfig(record: ConnectorRecord, allowHttp: boolean) {
  const { authorization, token } = record.endpoints;
  if (!authorization || !token || !record.endpoints.userinfo) {
    throw new Error(`connector ${record.id}: an OAuth 2.0 connector needs authorization, token and userinfo endpoints`);
  }
  const config = new client.Configuration(
    { issuer: record.issuer ?? new URL(authorization).origin, authorization_endpoint: authorization, token_endpoint: token },
    record.clientId, undefined, clientAuth(record, record.clientSecret),
  );
  for (const url of [authorization, token, record.endpoints.userinfo]) {
    for (const execute of requestOptions({ allowHttp }, url).execute) execute(config);
  }
  return config;
}

export const createOAuth2Connector: ConnectorFactory = (record, deps): Connector => {
  const config = buildConfig(record, deps.allowHttp);

  async function readJson(accessToken: string, url: string): Promise<unknown> {
    const response = await client.fetchProtectedResource(config, accessToken, new URL(url), 'GET', undefined,
      new Headers({ accept: 'application/json', 'user-agent': 'idp-federation' }));
    if (!response.ok) throw new Error(`profile endpoint answered ${response.status}`);
    return response.json();
  }

  return {
    record,
    async authorizationUrl(transaction) {
      return client.buildAuthorizationUrl(config, await authorizationParams(record, transaction, false));
    },
    async complete(callback, transaction) {
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: transaction.codeVerifier, expectedState: transaction.state, idTokenExpected: false,
      });
      const profile = await readJson(tokens.access_token, record.endpoints.userinfo!);
      if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) throw new Error('profile is not a JSON object');
      let document = profile as Record<string, unknown>;
      if (record.endpoints.emails) document = { ...document, ...verifiedEmail(await readJson(tokens.access_token, record.endpoints.emails)) };
      return mapProfile(record.id, record.mapping, document);
    },
  };
};
