import type { TestApp } from './test-app.ts';
import { client, registerRp, type Rp } from './rp.ts';

// A device client (RFC 8628): a public client with no redirect URIs, like a TV app or a CLI.
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export async function registerDeviceClient(app: TestApp, metadata: Record<string, unknown> = {}): Promise<Rp> {
  return registerRp(app, {
    redirect_uris: [], post_logout_redirect_uris: [], response_types: [], grant_types: [DEVICE_GRANT, 'refresh_token'],
    token_endpoint_auth_method: 'none', client_name: 'Living Room TV', first_party: false, ...metadata,
  });
}

/** One token request for a device code, by hand: the raw status and JSON the device would see. */
export async function pollOnce(app: TestApp, rp: Rp, deviceCode: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: rp.clientId }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

export { client };
