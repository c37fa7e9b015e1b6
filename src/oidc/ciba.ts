import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';

// Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0), poll and ping modes, for clients registered
// for urn:openid:params:grant-type:ciba. The engine serves /backchannel (§7) and the token polling (§10); who the
// person is (login_hint), how they are reached (a mailed link to our approval page) and what they decide are ours,
// through CibaHooks. The decision goes back with approveBackchannelRequest / denyBackchannelRequest below.

export interface BackchannelRequestFacts {
  authReqId: string;
  accountId: string;
  clientId: string;
  clientName: string;
  scope: string;
  bindingMessage?: string;
  expiresAt: Date;
}

export interface CibaHooks {
  /** The account id for an email login_hint (normalized like sign-in), or undefined. */
  accountIdByEmail(email: string): Promise<string | undefined>;
  /** False when the person has as many requests waiting as they may (no client floods a mailbox). */
  mayNotify(accountId: string): Promise<boolean>;
  /** Reaches the person on their authentication device (§7.1 "triggers the authentication"). */
  notify(request: BackchannelRequestFacts): Promise<void>;
}

/** CIBA Core §7.1: binding_message is shown on both devices, so it must be short and plain; any script may be used. */
const BINDING_MESSAGE = /^[\p{L}\p{N}\p{Zs}\-._+/!?#:()]{1,40}$/u;

export function cibaFeature(config: Config, hooks: CibaHooks): NonNullable<NonNullable<Configuration['features']>['ciba']> {
  return {
    enabled: config.ciba.enabled,
    deliveryModes: ['poll', 'ping'],
    async processLoginHint(ctx, loginHint) {
      // An email as login_hint answers unknown_user_id when no account has it (§13): that tells the caller whether an
      // address is registered. Only a client that authenticated itself (the engine has by now) may learn that, never
      // a public client; the trade-off is documented in README.md.
      if (ctx.oidc.client?.clientAuthMethod === 'none') throw new errors.UnauthorizedClient('CIBA needs an authenticated client');
      if (typeof loginHint !== 'string' || loginHint.length > 320 || !loginHint.includes('@')) {
        throw new errors.InvalidRequest('login_hint must be the email address of the account');
      }
      const accountId = await hooks.accountIdByEmail(loginHint);
      // §13 access_denied: "the OpenID Provider denied the CIBA request", here for too many requests waiting.
      if (accountId && !(await hooks.mayNotify(accountId))) throw new errors.AccessDenied('too many requests are waiting for this person');
      return accountId;
    },
    processLoginHintToken() {
      throw new errors.InvalidRequest('login_hint_token is not supported; use login_hint with the email address');
    },
    validateBindingMessage(_ctx, bindingMessage) {
      if (bindingMessage !== undefined && !BINDING_MESSAGE.test(bindingMessage)) {
        throw new errors.InvalidBindingMessage('binding_message must be 1-40 letters, digits, spaces or -._+/!?#:()');
      }
    },
    // §7.1 request_context is for the OP's own policy; ours has none, so it is accepted and not used.
    validateRequestContext() {},
    // backchannel_user_code_parameter is not offered (discovery says so): a user_code sent anyway is not checked.
    verifyUserCode() {},
    async triggerAuthenticationDevice(ctx, request, account, client) {
      const metadata = client.metadata() as Record<string, unknown>;
      await hooks.notify({
        authReqId: request.jti, accountId: account.accountId, clientId: client.clientId,
        clientName: (metadata.client_name as string | undefined) ?? client.clientId,
        scope: (request as unknown as { scope?: string }).scope ?? '',
        bindingMessage: ctx.oidc.params?.binding_message as string | undefined,
        expiresAt: new Date((request.exp ?? Math.floor(Date.now() / 1000) + request.expiration) * 1000),
      });
    },
  };
}

/** CIBA Core §7.1 requested_expiry, bounded by config; otherwise the default lifetime. */
export function backchannelRequestTtl(config: Config) {
  return (ctx: KoaContextWithOIDC) => {
    const requested = Number(ctx?.oidc?.params?.requested_expiry);
    return Number.isSafeInteger(requested) && requested > 0 ? Math.min(requested, config.ciba.maxRequestTtl) : config.ciba.requestTtl;
  };
}

export interface Authentication {
  accountId: string;
  acr?: string;
  amr?: string[];
  authTime?: number;
}

/** The person approved: a Grant of the requested scopes goes to the engine (§10.1 the client then gets tokens). */
export async function approveBackchannelRequest(provider: Provider, authReqId: string, who: Authentication): Promise<void> {
  const request = await provider.BackchannelAuthenticationRequest.find(authReqId);
  if (!request) throw new Error('backchannel authentication request not found or expired');
  if (request.accountId !== who.accountId) throw new Error('backchannel authentication request of another account');
  const grant = new provider.Grant({ accountId: who.accountId, clientId: request.clientId! });
  const payload = request as unknown as { scope?: string; claims?: Record<string, Record<string, unknown> | undefined>; resource?: string | string[] };
  if (payload.scope) grant.addOIDCScope(payload.scope);
  const claims = [...Object.keys(payload.claims?.id_token ?? {}), ...Object.keys(payload.claims?.userinfo ?? {})];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const indicator of [payload.resource ?? []].flat()) if (payload.scope) grant.addResourceScope(indicator, payload.scope);
  await grant.save();
  await provider.backchannelResult(request, grant, { acr: who.acr, amr: who.amr, authTime: who.authTime });
}

/** The person said no: the client's next poll (or the ping that follows) gets access_denied (§11). */
export async function denyBackchannelRequest(provider: Provider, authReqId: string): Promise<void> {
  const request = await provider.BackchannelAuthenticationRequest.find(authReqId);
  if (!request) return;
  await provider.backchannelResult(request, new errors.AccessDenied('End-User denied the request'));
}
