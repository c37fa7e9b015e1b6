import type { Locale } from '../i18n/i18n.ts';
import type { AttributeDefinition, AttributeSchema, FieldErrors } from './attribute-schema.ts';

// View models of profile inputs (views/partials/profile-fields.hbs): one input per attribute, named after the claim
// (public contract: `given_name`, `address.postal_code` ...), labelled, with its error next to it.

export interface FieldView {
  key: string;
  id: string;
  labelKey?: string;
  labelText?: string;
  inputType: string;
  select: boolean;
  autocomplete?: string;
  value: string;
  maxLength?: number;
  options?: Array<{ value: string; labelKey?: string; labelText?: string; selected: boolean }>;
  error?: string;
  errorId?: string;
}

const INPUT_TYPES: Record<string, string> = { phone: 'tel', url: 'url', date: 'date', number: 'number' };

/** Japanese order: family name first (and postal code before the rest of the address, as on Japanese forms). */
const ORDER: Record<Locale, string[]> = {
  ja: ['name', 'family_name', 'given_name', 'middle_name', 'address.postal_code', 'address.region', 'address.locality', 'address.street_address'],
  en: ['name', 'given_name', 'middle_name', 'family_name', 'address.street_address', 'address.locality', 'address.region', 'address.postal_code'],
};

export function orderKeys(keys: string[], locale: Locale): string[] {
  const rank = (key: string) => {
    const i = ORDER[locale].indexOf(key);
    return i === -1 ? ORDER[locale].length : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b));
}

function labelOf(definition: AttributeDefinition, locale: Locale) {
  return typeof definition.label === 'string' ? { labelKey: definition.label } : { labelText: definition.label[locale] };
}

function optionsOf(definition: AttributeDefinition, locale: Locale, value: string) {
  const blank = { value: '', labelKey: 'profile.choose', selected: value === '' };
  const list = definition.type === 'boolean' ? ['true', 'false'] : definition.values ?? [];
  return [blank, ...list.map((option) => {
    const label = definition.type === 'boolean' ? `profile.${option === 'true' ? 'yes' : 'no'}` : definition.valueLabels?.[option];
    const labelled = label === undefined ? { labelText: option } : typeof label === 'string' ? { labelKey: label } : { labelText: label[locale] };
    return { value: option, ...labelled, selected: option === value };
  })];
}

export function buildFields(schema: AttributeSchema, keys: string[], values: Record<string, unknown>, errors: FieldErrors, locale: Locale): FieldView[] {
  return orderKeys(keys, locale).flatMap((key) => {
    const definition = schema.get(key);
    if (!definition) return [];
    const value = values[key] === undefined || values[key] === null ? '' : String(values[key]);
    const id = `f-${key.replace(/[^a-z0-9_]/gi, '-')}`;
    const select = definition.type === 'enum' || definition.type === 'boolean';
    return [{
      key, id, ...labelOf(definition, locale), select, value,
      inputType: INPUT_TYPES[definition.type] ?? 'text',
      autocomplete: definition.autocomplete,
      maxLength: ['string', 'phone', 'url'].includes(definition.type) ? definition.maxLength : undefined,
      options: select ? optionsOf(definition, locale, value) : undefined,
      error: errors[key],
      errorId: errors[key] ? `${id}-error` : undefined,
    }];
  });
}

/** Values to show before the person types: what the account has, plus a name composed from its parts. */
export function prefill(schema: AttributeSchema, account: Parameters<AttributeSchema['read']>[0], keys: string[], locale: Locale) {
  const values: Record<string, unknown> = {};
  for (const key of keys) values[key] = schema.read(account, key);
  if (keys.includes('name') && !values.name) {
    const family = schema.read(account, 'family_name');
    const given = schema.read(account, 'given_name');
    if (family && given) values.name = locale === 'ja' ? `${family} ${given}` : `${given} ${family}`;
  }
  return values;
}

/**
 * A submitted value by claim name. The form parser (co-body, qs with allowDots) turns `address.postal_code` into
 * `{ address: { postal_code } }`; either shape is read. Non-strings (arrays from repeated fields) count as absent.
 */
export function formValue(form: Record<string, unknown>, key: string): string | undefined {
  let value: unknown = form[key];
  if (value === undefined && key.includes('.')) {
    value = key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), form);
  }
  return typeof value === 'string' ? value : undefined;
}
