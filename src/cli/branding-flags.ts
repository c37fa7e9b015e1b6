import type { ParseArgsOptionsConfig } from 'node:util';
import { UsageError, type ParsedArgs } from './command.ts';

// Branding flags of `idp clients add|update` (src/branding): each sets one client metadata key, so a site's look is
// changed without writing JSON. An empty value (`--logo-uri ''`) removes the key on update. The values are
// validated by the engine with the rest of the metadata, like JSON input.

const FLAGS: Record<string, string> = {
  'client-name': 'client_name',
  'client-name-ja': 'client_name#ja',
  'client-name-en': 'client_name#en',
  'logo-uri': 'logo_uri',
  'primary-color': 'branding_primary_color',
  'background-color': 'branding_background_color',
  'text-color': 'branding_text_color',
  'policy-uri': 'policy_uri',
  'tos-uri': 'tos_uri',
  'support-uri': 'support_uri',
  'login-methods': 'login_methods',
  connectors: 'federation_connectors',
};
const LISTS = new Set(['login_methods', 'federation_connectors']);

export const BRANDING_OPTIONS: ParseArgsOptionsConfig = Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' }]));

export const BRANDING_USAGE = '[--client-name N] [--client-name-ja N] [--logo-uri U] [--primary-color #rrggbb] [--background-color #rrggbb] '
  + '[--text-color #rrggbb] [--policy-uri U] [--tos-uri U] [--support-uri U] [--login-methods password,passkey,federation] [--connectors id,id]';

/** The metadata the branding flags set; `null` (an empty value) removes a key, for `update`. */
export function brandingFromFlags(values: ParsedArgs['values'], allowRemoval: boolean): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const value = values[flag];
    if (typeof value !== 'string') continue;
    if (value === '') {
      if (!allowRemoval) throw new UsageError(`--${flag} needs a value`);
      metadata[key] = null;
    } else {
      metadata[key] = LISTS.has(key) ? value.split(',').map((item) => item.trim()).filter(Boolean) : value;
    }
  }
  return metadata;
}
