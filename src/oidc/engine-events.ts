import type Provider from 'oidc-provider';
import { isDatabaseUnavailable } from '../db/connection.ts';
import type { Audit } from '../shared/audit.ts';
import type { Logger } from '../shared/logger.ts';

// The engine's own events (docs/events.md) become audit log lines with the same dotted names. Errors that only
// mean "MongoDB is unreachable" are marked on the context, so the response becomes a 503 (see http/errors.ts).
export const DB_UNAVAILABLE = Symbol('db-unavailable');

export function wireEngineEvents(provider: Provider, logger: Logger, audit: Audit): void {
  provider.on('server_error', (ctx, error) => {
    if (isDatabaseUnavailable(error)) {
      (ctx.state as Record<symbol, boolean>)[DB_UNAVAILABLE] = true;
      logger.warn({ event: 'db.unavailable', route: ctx.oidc?.route, err: error.message }, 'db.unavailable');
      return;
    }
    logger.error({ event: 'server_error', err: error, route: ctx.oidc?.route }, 'server_error');
  });
  for (const name of ['authorization.error', 'grant.error', 'introspection.error', 'revocation.error', 'end_session.error',
    'userinfo.error', 'backchannel.error', 'pushed_authorization_request.error',
    // Device flow (RFC 8628) and CIBA: a run of backchannel_authentication.error unknown_user_id is someone probing emails.
    'device_authorization.error', 'code_verification.error', 'device_resume.error', 'backchannel_authentication.error'] as const) {
    (provider.on as (event: string, listener: (...args: never[]) => void) => void)(name, (ctx: { oidc?: { client?: { clientId: string } } }, error: Error & { error?: string; error_description?: string }) => {
      audit(name, { client: ctx.oidc?.client?.clientId, error: error.error ?? error.name, description: error.error_description });
    });
  }
  provider.on('grant.revoked', (_ctx, grantId) => audit('grant.revoked', { grantId }));
  provider.on('grant.success', (ctx) => audit('grant.succeeded', { client: ctx.oidc.client?.clientId }));
  provider.on('end_session.success', (ctx) => audit('session.ended', { client: ctx.oidc.client?.clientId }));
  provider.on('backchannel.success', (_ctx, client, accountId) => audit('backchannel.delivered', { client: client.clientId, accountId }));
  provider.on('authorization_code.consumed', (code) => audit('authorization_code.consumed', { client: code.clientId }));
}
