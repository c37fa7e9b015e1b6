import { z } from 'zod';

// Configuration of the profile capability: custom attributes beside the OIDC standard claims, the scope that
// releases them as claims, and the defaults of progressive profiling. Merged into config.schema.ts as `profile`.

const label = z.object({
  ja: z.string().min(1).describe('Japanese label'),
  en: z.string().min(1).describe('English label'),
}).describe('label shown next to the input, per locale');

/** Custom keys must not shadow a standard claim or a registered JWT claim. */
const RESERVED = new Set([
  'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'acr', 'amr', 'azp', 'nonce', 'sid', 'email',
  'email_verified', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
  'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified',
  'address', 'updated_at',
]);

export const customAttributeSchema = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/).refine((key) => !RESERVED.has(key), 'shadows a standard claim')
    .describe('claim name (lower case, digits, _); must not be a standard claim'),
  type: z.enum(['string', 'number', 'boolean', 'date', 'enum']).describe('value type'),
  pattern: z.string().optional().describe('string: regular expression the whole value must match'),
  minLength: z.number().int().min(0).optional().describe('string: shortest value'),
  maxLength: z.number().int().min(1).max(1000).default(200).describe('string: longest value'),
  min: z.union([z.number(), z.string()]).optional().describe('number: smallest value; date: earliest YYYY-MM-DD'),
  max: z.union([z.number(), z.string()]).optional().describe('number: largest value; date: latest YYYY-MM-DD'),
  values: z.array(z.string().min(1)).optional().describe('enum: the allowed values'),
  valueLabels: z.record(z.string(), label).optional().describe('enum: label of each value, per locale'),
  labels: label,
  editable: z.boolean().default(true).describe('whether the user may change the value once set'),
}).refine((a) => a.type !== 'enum' || (a.values?.length ?? 0) > 0, 'an enum attribute needs values');

export type CustomAttributeConfig = z.output<typeof customAttributeSchema>;

export const profileConfigSchema = z.object({
  customAttributes: z.array(customAttributeSchema).default([])
    .describe('custom profile attributes beside the OIDC standard claims'),
  customScope: z.string().regex(/^[a-z][a-z0-9_:.-]*$/).default('custom_profile')
    .describe('scope that releases the custom attributes as claims'),
  defaultCallingCode: z.string().regex(/^[1-9]\d{0,2}$/).default('81')
    .describe('country calling code for phone numbers typed in national form (0 + number)'),
  progressive: z.object({
    afterSignIns: z.number().int().min(0).default(3)
      .describe('progressive questions start once the account has completed this many sign-ins'),
    afterDays: z.number().int().min(0).optional()
      .describe('... or once the account is this many days old (unset: sign-ins only)'),
    skipDays: z.number().int().min(0).default(30).describe('a skipped question is not asked again for this many days'),
  }).prefault({}).describe('defaults of progressive profiling (a client may override them)'),
}).prefault({});

export type ProfileConfig = z.output<typeof profileConfigSchema>;
