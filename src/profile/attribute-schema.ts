import type { Locale } from '../i18n/i18n.ts';
import type { CustomAttributeConfig, ProfileConfig } from './profile-config.schema.ts';

// One schema of profile attributes: the OIDC standard claims (Core 1.0 §5.1; `address` as its §5.1.1 members
// `address.postal_code` ...) plus the custom attributes of the configuration. Every writer (sign-up, profile
// completion, account page, CLI) validates through validateAttributes() below, so a value is checked the same way
// wherever it comes from.

export type AttributeType = 'string' | 'number' | 'boolean' | 'date' | 'enum' | 'phone' | 'url';

export interface AttributeDefinition {
  /** Claim name, also the form field name (`given_name`, `address.postal_code`, a custom key). */
  key: string;
  type: AttributeType;
  standard: boolean;
  /** The user may change it on the account page once set (completion of a missing value is always allowed). */
  editable: boolean;
  pattern?: RegExp;
  minLength?: number;
  maxLength: number;
  min?: number | string;
  max?: number | string;
  values?: string[];
  /** i18n key (standard) or per-locale texts (custom). */
  label: string | Record<Locale, string>;
  valueLabels?: Record<string, string | Record<Locale, string>>;
  /** HTML autocomplete token (WCAG 1.3.5). */
  autocomplete?: string;
}

export type AttributeValue = string | number | boolean;
export type FieldErrors = Record<string, string>;

const text = (key: string, maxLength: number, autocomplete?: string, extra: Partial<AttributeDefinition> = {}): AttributeDefinition => ({
  key, type: 'string', standard: true, editable: true, maxLength, label: `profile.fields.${key}`, autocomplete, ...extra,
});

/** Standard claims we collect. `email` is the sign-in identifier: present on every account, changed elsewhere. */
const STANDARD: AttributeDefinition[] = [
  text('email', 254, 'email', { editable: false }),
  text('name', 200, 'name'),
  text('family_name', 100, 'family-name'),
  text('given_name', 100, 'given-name'),
  text('middle_name', 100, 'additional-name'),
  text('nickname', 100, 'nickname'),
  text('preferred_username', 64, 'username', { pattern: /^[A-Za-z0-9._-]+$/ }),
  { ...text('birthdate', 10, 'bday'), type: 'date', min: '1900-01-01', max: 'today' },
  {
    ...text('gender', 20, 'sex'), type: 'enum', values: ['female', 'male', 'other'],
    valueLabels: { female: 'profile.gender.female', male: 'profile.gender.male', other: 'profile.gender.other' },
  },
  { ...text('phone_number', 20, 'tel'), type: 'phone' },
  { ...text('website', 500, 'url'), type: 'url' },
  { ...text('picture', 500, 'photo'), type: 'url' },
  { ...text('profile', 500), type: 'url' },
  { ...text('zoneinfo', 64), type: 'enum', values: Intl.supportedValuesOf('timeZone') },
  { ...text('locale', 35, 'language'), pattern: /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/ },
  text('address.postal_code', 16, 'postal-code', { pattern: /^[0-9A-Za-z][0-9A-Za-z -]{1,14}$/ }),
  text('address.region', 100, 'address-level1'),
  text('address.locality', 100, 'address-level2'),
  text('address.street_address', 200, 'street-address'),
  text('address.country', 60, 'country-name'),
];

/** A composite claim required as a whole stands for these members (what a Japanese address needs). */
const COMPOSITES: Record<string, string[]> = {
  address: ['address.postal_code', 'address.region', 'address.locality', 'address.street_address'],
};

function customDefinition(custom: CustomAttributeConfig): AttributeDefinition {
  return {
    key: custom.key, type: custom.type, standard: false, editable: custom.editable,
    pattern: custom.pattern ? new RegExp(`^(?:${custom.pattern})$`, 'u') : undefined,
    minLength: custom.minLength, maxLength: custom.maxLength, min: custom.min, max: custom.max, values: custom.values,
    label: custom.labels, valueLabels: custom.valueLabels,
  };
}

export interface AccountAttributes {
  email?: string;
  profile?: object & { address?: object };
  custom?: object;
}

export function createAttributeSchema(config: ProfileConfig) {
  const definitions = new Map<string, AttributeDefinition>();
  for (const definition of [...STANDARD, ...config.customAttributes.map(customDefinition)]) definitions.set(definition.key, definition);
  const customKeys = config.customAttributes.map((c) => c.key);

  /** Expands composites (`address`) and drops unknown names: the keys of the inputs to ask for. */
  function expand(keys: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const key of keys) for (const member of COMPOSITES[key] ?? [key]) if (definitions.has(member)) out.add(member);
    return [...out];
  }

  function read(account: AccountAttributes, key: string): unknown {
    if (key === 'email') return account.email;
    const definition = definitions.get(key);
    if (!definition) return undefined;
    const field = (from: object | undefined, name: string) => (from as Record<string, unknown> | undefined)?.[name];
    if (!definition.standard) return field(account.custom, key);
    if (key.startsWith('address.')) return field(account.profile?.address, key.slice('address.'.length));
    return field(account.profile, key);
  }

  const isPresent = (account: AccountAttributes, key: string) => {
    const value = read(account, key);
    return value !== undefined && value !== null && value !== '';
  };

  return {
    customKeys,
    customScope: config.customScope,
    get: (key: string) => definitions.get(key),
    /** Every attribute definition, standard claims first. */
    all: () => [...definitions.values()],
    expand,
    read,
    /** The members of `keys` (expanded) the account has no value for. */
    missing: (account: AccountAttributes, keys: Iterable<string>) => expand(keys).filter((key) => !isPresent(account, key)),
    /**
     * Checks and normalises the submitted values of `keys`. Every key in `required` must have a value; empty optional
     * inputs are left out. Returns the values, or the error code of each failing field (`profile.<failure>`).
     */
    validate(input: Record<string, unknown>, keys: string[], required: Iterable<string> = keys) {
      const mustHave = new Set(required);
      const values: Record<string, AttributeValue> = {};
      const errors: FieldErrors = {};
      for (const key of keys) {
        const definition = definitions.get(key);
        if (!definition) continue;
        const raw = input[key];
        const trimmed = typeof raw === 'string' ? raw.normalize('NFC').trim() : raw;
        if (trimmed === undefined || trimmed === '') {
          if (mustHave.has(key)) errors[key] = 'profile.required';
          continue;
        }
        const result = checkValue(definition, trimmed, config.defaultCallingCode);
        if ('error' in result) errors[key] = result.error;
        else values[key] = result.value;
      }
      return { values, errors };
    },
  };
}

export type AttributeSchema = ReturnType<typeof createAttributeSchema>;

type Checked = { value: AttributeValue } | { error: string };

const today = () => new Date().toISOString().slice(0, 10);

/** One value against its definition. Form inputs arrive as strings; the CLI may pass JSON numbers and booleans. */
export function checkValue(definition: AttributeDefinition, raw: unknown, callingCode = '81'): Checked {
  if (Array.isArray(raw) || (typeof raw === 'object' && raw !== null)) return { error: 'profile.invalid' };
  const value = String(raw);
  switch (definition.type) {
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(value);
      if (!Number.isFinite(n) || value.trim() === '') return { error: 'profile.not_a_number' };
      if (typeof definition.min === 'number' && n < definition.min) return { error: 'profile.out_of_range' };
      if (typeof definition.max === 'number' && n > definition.max) return { error: 'profile.out_of_range' };
      return { value: n };
    }
    case 'boolean':
      if (raw === true || value === 'true') return { value: true };
      if (raw === false || value === 'false') return { value: false };
      return { error: 'profile.invalid' };
    case 'date': {
      // Calendar dates only (ISO 8601 YYYY-MM-DD, OIDC Core §5.1 birthdate); Date.parse alone accepts 2023-02-31.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
        return { error: 'profile.invalid_date' };
      }
      const min = definition.min === 'today' ? today() : definition.min;
      const max = definition.max === 'today' ? today() : definition.max;
      if ((typeof min === 'string' && value < min) || (typeof max === 'string' && value > max)) return { error: 'profile.out_of_range' };
      return { value };
    }
    case 'enum':
      return definition.values?.includes(value) ? { value } : { error: 'profile.invalid_choice' };
    case 'phone':
      return normalizePhone(value, callingCode);
    case 'url': {
      const url = URL.parse(value);
      if (!url || !['http:', 'https:'].includes(url.protocol) || value.length > definition.maxLength) return { error: 'profile.invalid_url' };
      return { value: url.toString() };
    }
    default:
      if (value.length > definition.maxLength) return { error: 'profile.too_long' };
      if (definition.minLength !== undefined && value.length < definition.minLength) return { error: 'profile.too_short' };
      if (/[\u0000-\u001f\u007f]/.test(value)) return { error: 'profile.invalid' };
      if (definition.pattern && !definition.pattern.test(value)) return { error: 'profile.invalid_format' };
      return { value };
  }
}

/**
 * E.164 (OIDC Core §5.1 phone_number: "E.164 is RECOMMENDED"). A national number typed with its trunk prefix
 * (090-1234-5678) gets the configured calling code (+81 90 1234 5678).
 */
export function normalizePhone(value: string, callingCode: string): Checked {
  const compact = value.replace(/[\s().-]/g, '');
  let e164: string;
  if (/^\+[1-9]\d{6,14}$/.test(compact)) e164 = compact;
  else if (/^0\d{8,13}$/.test(compact)) e164 = `+${callingCode}${compact.slice(1)}`;
  else return { error: 'profile.invalid_phone' };
  return e164.length <= 16 ? { value: e164 } : { error: 'profile.invalid_phone' };
}

/** The label of an attribute in a locale: an i18n key for standard claims, configured texts for custom ones. */
export function labelOf(definition: AttributeDefinition, locale: Locale, t: (key: string) => string): string {
  return typeof definition.label === 'string' ? t(definition.label) : definition.label[locale];
}
