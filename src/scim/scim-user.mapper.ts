import { createHash } from 'node:crypto';
import type { AccountDocument, Address } from '../accounts/account.model.ts';
import { SCHEMA } from './scim-schemas.ts';

// Our accounts as SCIM Users (RFC 7643 §4.1) and back. userName is the sign-in email; the name parts, phone and
// address are the OIDC standard claims; enterprise extension attributes live in configured custom attributes.

export interface EnterpriseMapping {
  /** SCIM enterprise attribute name (employeeNumber ...) -> our custom attribute key. */
  [scimName: string]: string;
}

export interface ScimUserInput {
  userName?: string;
  externalId?: string | null;
  active?: boolean;
  password?: string;
  displayName?: string;
  nickName?: string;
  locale?: string;
  timezone?: string;
  name?: { formatted?: string; givenName?: string; familyName?: string; middleName?: string };
  emails?: Array<{ value?: string; type?: string; primary?: boolean }>;
  phoneNumbers?: Array<{ value?: string; type?: string; primary?: boolean }>;
  addresses?: Array<Record<string, unknown>>;
  enterprise?: Record<string, unknown>;
}

/** Our claims from the standard SCIM attributes: every one, so a PUT also clears what it leaves out (`''`). */
export function attributesFromScim(input: ScimUserInput, mapping: EnterpriseMapping): Record<string, string | number | boolean> {
  const primary = <T extends { primary?: boolean }>(list: T[] | undefined) => list?.find((item) => item.primary) ?? list?.[0];
  const phone = primary(input.phoneNumbers);
  const address = (primary(input.addresses as Array<{ primary?: boolean }>) ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const attributes: Record<string, string | number | boolean> = {
    name: text(input.displayName) || text(input.name?.formatted),
    given_name: text(input.name?.givenName),
    family_name: text(input.name?.familyName),
    middle_name: text(input.name?.middleName),
    nickname: text(input.nickName),
    locale: text(input.locale),
    zoneinfo: text(input.timezone),
    phone_number: text(phone?.value),
    'address.street_address': text(address.streetAddress),
    'address.locality': text(address.locality),
    'address.region': text(address.region),
    'address.postal_code': text(address.postalCode),
    'address.country': text(address.country),
  };
  for (const [scimName, key] of Object.entries(mapping)) {
    const value = input.enterprise?.[scimName];
    attributes[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : '';
  }
  return attributes;
}

const dropEmpty = <T extends Record<string, unknown>>(value: T): T | undefined => {
  const kept = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== ''));
  return Object.keys(kept).length ? kept as T : undefined;
};

function scimAddress(address: Address | undefined) {
  if (!address) return undefined;
  const mapped = dropEmpty({
    formatted: address.formatted, streetAddress: address.street_address, locality: address.locality,
    region: address.region, postalCode: address.postal_code, country: address.country,
  });
  return mapped ? [{ ...mapped, type: 'home', primary: true }] : undefined;
}

export function toScimUser(account: AccountDocument, base: string, mapping: EnterpriseMapping, groupNames: Map<string, string>) {
  const profile = account.profile ?? {};
  const enterprise = dropEmpty(Object.fromEntries(Object.entries(mapping).map(([scimName, key]) => [scimName, account.custom?.[key]])));
  const resource = {
    schemas: [SCHEMA.user, ...(enterprise ? [SCHEMA.enterprise] : [])],
    id: account._id,
    ...(account.externalId ? { externalId: account.externalId } : {}),
    userName: account.email,
    ...(dropEmpty({ formatted: profile.name, givenName: profile.given_name, familyName: profile.family_name, middleName: profile.middle_name })
      ? { name: dropEmpty({ formatted: profile.name, givenName: profile.given_name, familyName: profile.family_name, middleName: profile.middle_name }) } : {}),
    ...(profile.name ? { displayName: profile.name } : {}),
    ...(profile.nickname ? { nickName: profile.nickname } : {}),
    ...(profile.locale ? { locale: profile.locale } : {}),
    ...(profile.zoneinfo ? { timezone: profile.zoneinfo } : {}),
    active: account.status === 'active',
    emails: [{ value: account.email, type: 'work', primary: true }],
    ...(profile.phone_number ? { phoneNumbers: [{ value: profile.phone_number, type: 'mobile', primary: true }] } : {}),
    ...(scimAddress(profile.address) ? { addresses: scimAddress(profile.address) } : {}),
    ...(account.groups?.length ? { groups: account.groups.map((id) => ({ value: id, display: groupNames.get(id), $ref: `${base}/Groups/${id}` })) } : {}),
    ...(enterprise ? { [SCHEMA.enterprise]: enterprise } : {}),
  };
  return { ...resource, meta: { resourceType: 'User', created: account.createdAt, lastModified: account.updatedAt, location: `${base}/Users/${account._id}`, version: etagOf(resource) } };
}

/** A weak entity tag (RFC 9110 §8.8.3) of the representation: it changes exactly when the resource does. */
export function etagOf(resource: unknown): string {
  return `W/"${createHash('sha256').update(JSON.stringify(resource)).digest('base64url').slice(0, 22)}"`;
}
