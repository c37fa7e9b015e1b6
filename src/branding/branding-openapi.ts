import { z } from 'zod';
import { LOGIN_METHODS } from './branding-metadata.ts';

// The branding members of client metadata as the admin API's OpenAPI document describes them (src/admin/schemas.ts).
// Loose on purpose: the engine validates them with the rest of the metadata (src/oidc/client-metadata.ts), and its
// message names the key and the expected form. In a PATCH, null removes a member.
const text = (description: string) => z.string().nullish().describe(description);

export const BRANDING_OPENAPI_SHAPE = {
  client_name: text('The site name shown on the hosted pages and in mails (RFC 7591 §2)'),
  'client_name#ja': text('The site name in Japanese (RFC 7591 §2.2 language tag); also client_name#en'),
  logo_uri: text('Logo shown by the browser (never fetched by the server); https, http only in development and test'),
  policy_uri: text('Privacy policy link in the footer (RFC 7591 §2); https'),
  tos_uri: text('Terms of use link in the footer (RFC 7591 §2); https'),
  support_uri: text('Help link in the footer; https'),
  branding_primary_color: text('Buttons, links and focus rings: #rrggbb'),
  branding_background_color: text('Page background: #rrggbb'),
  branding_text_color: text('Text colour: #rrggbb'),
  login_methods: z.array(z.enum(LOGIN_METHODS)).nullish()
    .describe('Sign-in methods the sign-in page offers (others are refused); absent: all. Connectors: federation_connectors'),
};
