import { z } from 'zod';

// Configuration of the two grants where the person approves on another screen than the one asking: the device
// authorization grant (RFC 8628) and Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0).
// Merged into config.schema.ts as `deviceFlow` and `ciba`.

const seconds = (fallback: number, min: number, what: string) =>
  z.number().int().min(min).default(fallback).describe(`${what}, in seconds`);

export const deviceFlowConfigSchema = z.object({
  enabled: z.boolean().default(true)
    .describe('offer the device authorization grant (RFC 8628) to clients registered for urn:ietf:params:oauth:grant-type:device_code'),
  codeTtl: seconds(600, 1, 'lifetime of a device code and its user code (RFC 8628 §3.2 expires_in)'),
  pollIntervalSeconds: seconds(5, 1, 'least time between two token requests for one device code; faster polls get slow_down (RFC 8628 §3.5)'),
}).prefault({});

export const cibaConfigSchema = z.object({
  enabled: z.boolean().default(true)
    .describe('offer CIBA (poll and ping modes) to clients registered for urn:openid:params:grant-type:ciba'),
  requestTtl: seconds(600, 1, 'lifetime of a backchannel authentication request when the client asks for no requested_expiry'),
  maxRequestTtl: seconds(1800, 1, 'longest lifetime a client may ask for with requested_expiry'),
  pollIntervalSeconds: seconds(5, 1, 'least time between two token requests for one auth_req_id in poll mode (CIBA Core §7.3 interval)'),
  maxPendingPerAccount: z.number().int().min(1).max(100).default(5)
    .describe('requests waiting for one person at most; more are refused with access_denied, so no client can flood a mailbox'),
}).prefault({});

export type DeviceFlowConfig = z.output<typeof deviceFlowConfigSchema>;
export type CibaConfig = z.output<typeof cibaConfigSchema>;
