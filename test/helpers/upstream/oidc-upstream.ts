import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

// A real upstream OpenID Provider (node-oidc-provider) on 127.0.0.1, as a group company's IdP or a social login
// would be: devInteractions off, its own tiny sign-in page (a form naming the user, and a Cancel button that
// answers access_denied), consent granted automatically.

export interface UpstreamUser {
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
}

export interface OidcUpstream {
  issuer: string;
  users: Record<string, UpstreamUser>;
  close(): Promise<void>;
}

const readBody = (req: http.IncomingMessage) => new Promise<URLSearchParams>((resolve) => {
  let text = '';
  req.on('data', (chunk: Buffer) => (text += chunk.toString()));
  req.on('end', () => resolve(new URLSearchParams(text)));
});

export async function startOidcUpstream(options: {
  name: string; clientId: string; clientSecret: string; redirectUris: string[]; idTokenClaims?: boolean;
}): Promise<OidcUpstream> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `${options.name}-1`, alg: 'RS256', use: 'sig' };
  const users: Record<string, UpstreamUser> = {};

  const configuration: Configuration = {
    clients: [{
      client_id: options.clientId, client_secret: options.clientSecret, redirect_uris: options.redirectUris,
      grant_types: ['authorization_code'], response_types: ['code'],
    }],
    jwks: { keys: [jwk as never] },
    findAccount: async (_ctx, sub) => (users[sub] ? { accountId: sub, claims: async () => ({ sub, ...users[sub] }) } : undefined),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    // With false, scope claims go into the ID token too (as Google does); with true, only userinfo has them.
    conformIdTokenClaims: !(options.idTokenClaims ?? true),
    features: { devInteractions: { enabled: false } },
    cookies: {
      names: { session: `${options.name}_session`, interaction: `${options.name}_interaction`, resume: `${options.name}_resume` },
      keys: ['upstream-cookie-key-0123456789abcdef'],
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  };
  // Its in-memory store is what a test upstream wants; the engine's warning about it would only be noise.
  const warn = console.warn;
  console.warn = () => undefined;
  const provider = new Provider(issuer, configuration);
  console.warn = warn;
  const engine = provider.callback();

  server.on('request', async (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return engine(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'consent') {
        const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
        grant.addOIDCScope(String(details.params.scope));
        await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
        return;
      }
      if (req.method === 'GET') {
        res.setHeader('content-type', 'text/html');
        res.end(`<form method="post" action="/interaction/${details.uid}"><input name="login"><button type="submit">Sign in</button></form>`);
        return;
      }
      const form = await readBody(req);
      const result = form.get('cancel')
        ? { error: 'access_denied', error_description: 'End-User cancelled' }
        : { login: { accountId: form.get('login') ?? '' } };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });

  return {
    issuer, users,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
