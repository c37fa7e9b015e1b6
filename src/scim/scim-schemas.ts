// The discovery documents of our SCIM service (RFC 7644 §4): what we support and the schemas of our resources
// (RFC 7643 §4.1 User, §4.2 Group, §4.3 the enterprise extension, restricted to what we map).

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  config: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export const MAX_RESULTS = 200;

interface Attribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multiValued?: boolean;
  required?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'writeOnly' | 'immutable';
  returned?: 'always' | 'never' | 'default';
  uniqueness?: 'none' | 'server';
  caseExact?: boolean;
  description?: string;
  subAttributes?: Attribute[];
}

const attr = (name: string, type: Attribute['type'] = 'string', extra: Partial<Attribute> = {}): Attribute => ({
  name, type, multiValued: false, required: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', caseExact: false, ...extra,
});

const USER_ATTRIBUTES: Attribute[] = [
  attr('userName', 'string', { required: true, uniqueness: 'server', description: 'the sign-in email address' }),
  attr('name', 'complex', { subAttributes: [attr('formatted'), attr('familyName'), attr('givenName'), attr('middleName')] }),
  attr('displayName'), attr('nickName'), attr('locale'), attr('timezone'),
  attr('active', 'boolean'),
  attr('password', 'string', { mutability: 'writeOnly', returned: 'never' }),
  attr('emails', 'complex', { multiValued: true, subAttributes: [attr('value'), attr('type'), attr('primary', 'boolean')] }),
  attr('phoneNumbers', 'complex', { multiValued: true, subAttributes: [attr('value'), attr('type'), attr('primary', 'boolean')] }),
  attr('addresses', 'complex', {
    multiValued: true,
    subAttributes: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((n) => attr(n)),
  }),
  attr('groups', 'complex', { multiValued: true, mutability: 'readOnly', subAttributes: [attr('value', 'string', { mutability: 'readOnly' }), attr('display', 'string', { mutability: 'readOnly' })] }),
];

const GROUP_ATTRIBUTES: Attribute[] = [
  attr('displayName', 'string', { required: true, uniqueness: 'server' }),
  attr('members', 'complex', { multiValued: true, subAttributes: [attr('value', 'string', { mutability: 'immutable' }), attr('display', 'string', { mutability: 'readOnly' }), attr('$ref', 'reference', { mutability: 'immutable' })] }),
];

/** Enterprise extension attributes we keep, each in the custom attribute configured for it. */
export function enterpriseAttributes(mapped: string[]): Attribute[] {
  return mapped.map((name) => attr(name));
}

const meta = (base: string, resourceType: string, id: string) => ({ resourceType, location: `${base}/${resourceType === 'Schema' ? 'Schemas' : 'ResourceTypes'}/${id}` });

export function schemaDocuments(base: string, enterpriseMapped: string[]) {
  const schemas = [
    { id: SCHEMA.user, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES },
    { id: SCHEMA.group, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES },
    ...(enterpriseMapped.length ? [{ id: SCHEMA.enterprise, name: 'EnterpriseUser', description: 'Enterprise User', attributes: enterpriseAttributes(enterpriseMapped) }] : []),
  ];
  return schemas.map((s) => ({ schemas: [SCHEMA.schema], ...s, meta: meta(base, 'Schema', s.id) }));
}

export function resourceTypes(base: string, enterpriseMapped: string[]) {
  return [
    {
      schemas: [SCHEMA.resourceType], id: 'User', name: 'User', endpoint: '/Users', description: 'User Account', schema: SCHEMA.user,
      ...(enterpriseMapped.length ? { schemaExtensions: [{ schema: SCHEMA.enterprise, required: false }] } : {}),
      meta: meta(base, 'ResourceType', 'User'),
    },
    { schemas: [SCHEMA.resourceType], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: SCHEMA.group, meta: meta(base, 'ResourceType', 'Group') },
  ];
}

export function serviceProviderConfig(base: string, documentationUri?: string) {
  return {
    schemas: [SCHEMA.config],
    ...(documentationUri ? { documentationUri } : {}),
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [{
      type: 'oauthbearertoken', name: 'OAuth Bearer Token', primary: true,
      description: 'A client_credentials access token of this IdP with the scope idp:scim (RFC 6750)',
    }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}
