import { z } from 'zod';

// The catalogue of events sent to subscribers: dotted noun.verb types, each with a versioned payload (`data`).
// A payload never carries a secret or a changed value, only names and ids: a subscriber that needs the values
// reads them through the admin API or the export. The JSON Schemas in docs/events/ are generated from these
// declarations (`node src/events/event-schemas.ts`); a test keeps them equal.

export const EVENT_VERSION = 1;

const accountId = z.string().describe('the account (OIDC `sub`)');
const userRef = { accountId };

export const EVENT_PAYLOADS = {
  'user.created': z.object({ ...userRef, emailVerified: z.boolean() }).describe('an account was created'),
  'user.updated': z.object({
    ...userRef,
    changed: z.array(z.string()).min(1).describe('names of the attributes that changed (dotted paths, e.g. profile.given_name); `password` for a new password, never a value'),
  }).describe('attributes of an account changed'),
  'user.deleted': z.object(userRef).describe('an account was erased'),
  'user.blocked': z.object(userRef).describe('an account was blocked'),
  'user.email_verified': z.object(userRef).describe('the account\'s email address was proven'),
  'identity.linked': z.object({ ...userRef, identityId: z.string(), connectorId: z.string() }).describe('an upstream identity was linked to an account'),
  'identity.unlinked': z.object({ identityId: z.string(), accountId: accountId.optional(), connectorId: z.string().optional() })
    .describe('an upstream identity was unlinked'),
  'mfa.enrolled': z.object({ ...userRef, factorId: z.string(), factorType: z.string() }).describe('a second factor was enrolled'),
  'mfa.removed': z.object({ factorId: z.string(), accountId: accountId.optional(), factorType: z.string().optional() })
    .describe('a second factor was removed'),
  'consent.granted': z.object({
    ...userRef, documentId: z.string(), version: z.string(), kind: z.string(), receiptId: z.string(), method: z.string(), clientId: z.string().optional(),
  }).describe('a legal document (terms, privacy policy, marketing ...) was accepted, in this version'),
  'consent.withdrawn': z.object({
    ...userRef, documentId: z.string(), version: z.string(), kind: z.string(), receiptId: z.string(), method: z.string(), clientId: z.string().optional(),
  }).describe('consent to a legal document was withdrawn'),
  'grant.revoked': z.object({ grantId: z.string() }).describe('an OIDC grant (what an application may access for an account) ended'),
  'login.succeeded': z.object({ accountId: accountId.optional(), clientId: z.string().optional() }).describe('a sign-in succeeded (opt-in: events.loginEvents)'),
  'login.failed': z.object({ accountId: accountId.optional(), clientId: z.string().optional() }).describe('a sign-in failed (opt-in: events.loginEvents)'),
  'client.created': z.object({ clientId: z.string(), clientName: z.string().optional() }).describe('an OIDC client was registered'),
  'client.updated': z.object({ clientId: z.string(), clientName: z.string().optional() }).describe('an OIDC client\'s metadata changed'),
  'client.deleted': z.object({ clientId: z.string() }).describe('an OIDC client was removed'),
  'saml_sp.created': z.object({ entityId: z.string() }).describe('a SAML service provider was registered'),
  'saml_sp.updated': z.object({ entityId: z.string() }).describe('a SAML service provider was replaced or changed'),
  'saml_sp.deleted': z.object({ entityId: z.string() }).describe('a SAML service provider was removed'),
  'lead.created': z.object({ leadId: z.string().describe('the lead (lite registration)'), clientId: z.string().optional().describe('the client whose form sent it') })
    .describe('an address was registered without a password (a newsletter form); not yet confirmed'),
  'lead.verified': z.object({ leadId: z.string() }).describe('a lead\'s submission was confirmed by its mailed link'),
  'lead.converted': z.object({ leadId: z.string(), ...userRef }).describe('a lead\'s consents and attributes were carried into the account of its address'),
  'lead.deleted': z.object({ leadId: z.string() }).describe('a lead was erased (by an operator, by erasure of its person, or unconfirmed for too long)'),
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;
export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as EventType[];

/** What a subscriber receives as the body (Standard Webhooks: `type`, `timestamp`, `data`). */
export function envelopeSchema(type: EventType) {
  return z.object({
    id: z.string().describe('the event id, also the webhook-id header: the idempotency key'),
    type: z.literal(type),
    version: z.literal(EVENT_VERSION).describe('payload version; a breaking change gets a new version'),
    timestamp: z.iso.datetime().describe('when the change was committed in MongoDB'),
    data: EVENT_PAYLOADS[type],
  });
}

/** An event type filter entry: a type, `noun.*`, or `*`. */
export const eventFilterEntry = z.string().regex(/^(\*|[a-z_]+\.(\*|[a-z_]+))$/, 'an event type, noun.* or *');

export function matchesFilter(filter: readonly string[], type: string): boolean {
  return filter.some((entry) => entry === '*' || entry === type || (entry.endsWith('.*') && type.startsWith(entry.slice(0, -1))));
}
