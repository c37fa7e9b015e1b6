import { z } from 'zod';
import { BRANDING_OPENAPI_SHAPE } from '../branding/branding-openapi.ts';

// Shapes of the admin API's resources (the JSON the API answers with), registered as OpenAPI components. They
// document the answers and the tests validate real answers against them; handlers build the answers themselves.

// Answers are serialised with JSON.stringify, so dates arrive as RFC 3339 strings.
const when = z.iso.datetime().describe('RFC 3339 date-time');

export const userSchema = z.object({
  id: z.string().describe('the account id, also the OIDC `sub`'),
  email: z.string(),
  email_verified: z.boolean(),
  status: z.enum(['active', 'blocked']),
  profile: z.record(z.string(), z.unknown()).describe('standard claims (OIDC Core §5.1)'),
  custom: z.record(z.string(), z.unknown()).optional().describe('custom attributes of the attribute schema'),
  external_id: z.string().optional().describe('id in a provisioning directory (SCIM externalId)'),
  groups: z.array(z.string()).optional().describe('ids of the groups the account belongs to'),
  roles: z.array(z.enum(['admin', 'auditor'])).optional().describe('admin console roles'),
  has_password: z.boolean(),
  created_at: when,
  updated_at: when.optional(),
  last_login_at: when.optional(),
}).meta({ id: 'User' });

export const userPageSchema = z.object({
  items: z.array(userSchema),
  total: z.number().int().describe('how many accounts match, across all pages'),
  next_cursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
}).meta({ id: 'UserPage' });

export const sessionSchema = z.object({
  id: z.string(),
  login_at: when.optional(),
  acr: z.string().optional(),
  amr: z.array(z.string()).optional(),
  clients: z.array(z.string()).describe('clients this session signed in to'),
  expires_at: when.optional(),
}).meta({ id: 'Session' });

export const grantSchema = z.object({
  id: z.string(),
  client: z.string(),
  scope: z.string().optional(),
  resources: z.record(z.string(), z.string()).optional().describe('scopes granted per API (RFC 8707)'),
  created_at: when.optional(),
  expires_at: when.optional(),
}).meta({ id: 'Grant' });

export const factorSchema = z.object({
  id: z.string(),
  type: z.string().describe('totp, webauthn, email or recovery'),
  name: z.string().optional(),
  created_at: when.optional(),
  last_used_at: when.optional(),
}).meta({ id: 'Factor' });

export const identitySchema = z.object({
  id: z.string(),
  connector: z.string().describe('the upstream connector id'),
  subject: z.string().describe("the person's id at the upstream"),
  email: z.string().optional(),
  created_at: when,
  last_used_at: when.optional(),
}).meta({ id: 'LinkedIdentity' });

export const consentRecordSchema = z.object({
  id: z.string().describe('also the consent receipt id'),
  document: z.string(),
  version: z.string(),
  kind: z.string(),
  decision: z.enum(['granted', 'withdrawn']),
  at: when,
  client: z.string().optional(),
  locale: z.string(),
  method: z.string(),
}).meta({ id: 'ConsentRecord' });

export const auditEventSchema = z.object({
  id: z.string(),
  at: when,
  type: z.string().describe('dotted noun.verb, e.g. login.failed'),
  outcome: z.enum(['success', 'failure', 'info']),
  actor: z.object({ type: z.string(), id: z.string().optional() }).optional(),
  accountId: z.string().optional(),
  client: z.string().optional(),
  sp: z.string().optional(),
  ip: z.string().optional(),
  userAgent: z.string().optional(),
  requestId: z.string().optional(),
  reason: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'AuditEvent' });

export const auditPageSchema = z.object({
  items: z.array(auditEventSchema),
  next_cursor: z.string().optional(),
}).meta({ id: 'AuditEventPage' });

export const metadataSchema = z.record(z.string(), z.unknown());
/** Client metadata in a request: RFC 7591 plus our extensions, the branding members described (src/branding). */
export const clientMetadataSchema = z.object(BRANDING_OPENAPI_SHAPE).catchall(z.unknown()).meta({ id: 'ClientMetadata' });

export const clientSchema = z.object({ client_id: z.string(), ...BRANDING_OPENAPI_SHAPE }).catchall(z.unknown())
  .describe('RFC 7591 client metadata plus our extensions (security_profile "fapi2" with jwks or jwks_uri: the FAPI 2.0 grade); '
    + 'client_secret only in the answer that created it')
  .meta({ id: 'Client' });

export const samlSpSchema = z.object({ entityId: z.string() }).catchall(z.unknown()).meta({ id: 'SamlServiceProvider' });
export const connectorSchema = z.object({ id: z.string() }).catchall(z.unknown()).meta({ id: 'Connector' });
export const legalVersionSchema = z.object({ id: z.string(), version: z.string(), status: z.string() }).catchall(z.unknown())
  .meta({ id: 'LegalDocumentVersion' });

export const idParams = z.object({ id: z.string().min(1).max(200).describe('the resource id') });
