import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

// A small, real OAuth 2.0 authorization server on 127.0.0.1 for the generic OAuth 2.0 connector: /authorize
// approves at once for `nextUser` (or answers access_denied when `cancel` is set), /token checks the client
// secret, redirect_uri and the PKCE verifier, /profile and /emails answer like GitHub's API. It can also act as
// an OpenID Provider whose ID tokens are deliberately wrong (`tamper`: nonce, iss, aud), to prove we refuse them.

export interface MiniServer {
  url: string;
  nextUser: Record<string, unknown>;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
  cancel: boolean;
  tamper: Record<string, unknown>;
  close(): Promise<void>;
}

const readBody = (req: http.IncomingMessage) => new Promise<URLSearchParams>((resolve) => {
  let text = '';
  req.on('data', (chunk: Buffer) => (text += chunk.toString()));
  req.on('end', () => resolve(new URLSearchParams(text)));
});

export async function startMiniServer(options: { clientId: string; clientSecret: string }): Promise<MiniServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'mini-1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { redirectUri: string; challenge: string; nonce?: string; user: Record<string, unknown> }>();
  const tokens = new Map<string, Record<string, unknown>>();
  const state: MiniServer = {
    url, nextUser: {}, emails: [], cancel: false, tamper: {},
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  async function token(req: http.IncomingMessage, res: http.ServerResponse) {
    const form = await readBody(req);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [form.get('client_id'), form.get('client_secret')];
    if (id !== options.clientId || secret !== options.clientSecret) return json(res, 401, { error: 'invalid_client' });
    const grant = codes.get(form.get('code') ?? '');
    codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (!grant || grant.redirectUri !== form.get('redirect_uri') || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
      return json(res, 400, { error: 'invalid_grant' });
    }
    const accessToken = randomBytes(16).toString('hex');
    tokens.set(accessToken, grant.user);
    const idToken = await new SignJWT({ nonce: grant.nonce, ...grant.user, sub: String(grant.user.sub ?? grant.user.id), ...state.tamper })
      .setProtectedHeader({ alg: 'RS256', kid: 'mini-1' })
      .setIssuer(String(state.tamper.iss ?? url)).setAudience(String(state.tamper.aud ?? options.clientId))
      .setIssuedAt().setExpirationTime('5m').sign(privateKey);
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, ...(grant.nonce ? { id_token: idToken } : {}) });
  }

  server.on('request', async (req, res) => {
    const here = new URL(req.url ?? '/', url);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    switch (here.pathname) {
      case '/.well-known/openid-configuration':
        return json(res, 200, {
          issuer: url, authorization_endpoint: `${url}/authorize`, token_endpoint: `${url}/token`, jwks_uri: `${url}/jwks`,
          response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
        });
      case '/jwks':
        return json(res, 200, { keys: [publicJwk] });
      case '/authorize': {
        const back = new URL(here.searchParams.get('redirect_uri')!);
        back.searchParams.set('state', here.searchParams.get('state') ?? '');
        if (state.cancel) {
          back.searchParams.set('error', 'access_denied');
        } else {
          const code = randomBytes(16).toString('hex');
          codes.set(code, {
            redirectUri: here.searchParams.get('redirect_uri')!, challenge: here.searchParams.get('code_challenge') ?? '',
            nonce: here.searchParams.get('nonce') ?? undefined, user: state.nextUser,
          });
          back.searchParams.set('code', code);
        }
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      case '/token':
        return token(req, res);
      case '/profile':
        return tokens.has(bearer) ? json(res, 200, tokens.get(bearer)) : json(res, 401, { message: 'Bad credentials' });
      case '/emails':
        return tokens.has(bearer) ? json(res, 200, state.emails) : json(res, 401, { message: 'Bad credentials' });
      default:
        return json(res, 404, { error: 'not_found' });
    }
  });
  return state;
}
