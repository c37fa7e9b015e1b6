import type { Configuration } from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';
import type { DevicePages } from './device-pages.ts';

// The device authorization grant (RFC 8628), offered to clients that register the grant type
// urn:ietf:params:oauth:grant-type:device_code. The engine serves the device authorization endpoint (/device/auth),
// the verification URI (/device) and the polling at /token; we give it its pages and the user code's shape.

export function deviceFlowFeature(config: Config, pages: DevicePages): NonNullable<NonNullable<Configuration['features']>['deviceFlow']> {
  return {
    enabled: config.deviceFlow.enabled,
    // RFC 8628 §6.1: a short code of letters that cannot be mistaken for one another (no vowels, no digits: BCDF...),
    // read from one screen and typed on another; 20^8 codes, and each lives only codeTtl seconds (§5.1).
    charset: 'base-20',
    mask: '****-****',
    userCodeInputSource: pages.userCodeInputSource as never,
    userCodeConfirmSource: pages.userCodeConfirmSource as never,
    successSource: pages.successSource as never,
  };
}
