import type { Context } from 'koa';
import type { Pages } from '../http/pages.ts';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { scopeLabels } from './scope-labels.ts';

// The pages of the device authorization grant (RFC 8628 §3.3) at the engine's /device, in our layout and languages:
// the user code input, the confirmation (which client, which scopes, the code to compare) and the success page.
// The engine hands us its forms; we keep their action and xsrf token (the engine's CSRF protection of these
// posts) and render our own markup. The sign-in, MFA and consent between confirmation and success are our normal
// interaction stages: the engine continues the device flow as an interaction.

export interface DevicePages {
  userCodeInputSource(ctx: KoaContextWithOIDC, form: string, out?: { error?: string }, err?: Error): Promise<void>;
  userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, client: DeviceClient, deviceInfo: unknown, userCode: string): Promise<void>;
  successSource(ctx: KoaContextWithOIDC): Promise<void>;
}

interface DeviceClient {
  clientId: string;
  metadata(): Record<string, unknown>;
}

/** Set on the request when the input page reports a code that does not exist (counted by userCodeGuessLimit). */
export const WRONG_USER_CODE = Symbol('wrongUserCode');

/** The engine's re-render errors (lib/helpers/re_render_errors.js) by name -> what the person reads. */
const INPUT_ERRORS: Record<string, string> = {
  NoCodeError: 'device.errors.no_code',
  NotFoundError: 'device.errors.not_found',
  ExpiredError: 'device.errors.expired',
  AlreadyUsedError: 'device.errors.already_used',
  AbortedError: 'device.errors.aborted',
};

function formFields(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (!action || !xsrf) throw new Error('unexpected device form from the engine');
  return { action, xsrf };
}

function clientName(client: DeviceClient | undefined, locale: string): string | undefined {
  if (!client) return undefined;
  const metadata = client.metadata();
  return (metadata[`client_name#${locale}`] ?? metadata.client_name ?? client.clientId) as string;
}

export function createDevicePages(pages: Pages): DevicePages {
  return {
    async userCodeInputSource(ctx, form, out, err) {
      const { action, xsrf } = formFields(form);
      // The code the person typed comes back with the engine's error, so they can correct it.
      const typed = (err as (Error & { userCode?: unknown }) | undefined)?.userCode;
      const known = err ? INPUT_ERRORS[err.name] : undefined;
      const message = known ?? (err || out?.error ? 'device.errors.other' : undefined);
      const aborted = err?.name === 'AbortedError';
      if (err?.name === 'NotFoundError') (ctx.state as Record<symbol, unknown>)[WRONG_USER_CODE] = true;
      pages.render(ctx as unknown as Context, 'device/input', {
        action, xsrf, message, aborted, userCode: typeof typed === 'string' ? typed : undefined, title: 'device.title',
      }, { status: known || !err ? 200 : (ctx.status >= 400 ? ctx.status : 400) });
    },
    async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      const { action, xsrf } = formFields(form);
      const locale = pages.locale(ctx as unknown as Context);
      const code = (ctx.oidc.entities as { DeviceCode?: { params?: { scope?: string } } }).DeviceCode;
      pages.render(ctx as unknown as Context, 'device/confirm', {
        action, xsrf, userCode, clientName: clientName(client, locale), scopes: scopeLabels(code?.params?.scope), title: 'device.confirm_title',
      });
    },
    async successSource(ctx) {
      const locale = pages.locale(ctx as unknown as Context);
      pages.render(ctx as unknown as Context, 'device/success', {
        clientName: clientName(ctx.oidc.client as unknown as DeviceClient | undefined, locale), title: 'device.success_title',
      });
    },
  };
}
