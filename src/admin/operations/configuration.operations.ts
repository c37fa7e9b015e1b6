import { z } from 'zod';
import { newVersionSchema, publicVersion, toNewVersion } from '../../consents/legal-document.input.ts';
import { documentId } from '../../consents/legal-metadata.ts';
import { attributeMapping, nameIdFormat } from '../../saml/idp/sp-registry.service.ts';
import { defineOperation, type Operation } from '../operation.ts';
import { clientMetadataSchema, clientSchema, connectorSchema, legalVersionSchema, metadataSchema, samlSpSchema } from '../schemas.ts';
import type { AdminDeps } from './admin-deps.ts';

// What the IdP federates with: OIDC clients, SAML service providers, upstream connectors, and the legal documents
// sites ask consent for. The same services as `idp clients|saml sps|connectors|consents docs`; every change takes
// effect at once on every instance (the engine and the registries read through the change-stream caches).

const clientParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/).describe('the client_id') });
const spParams = z.object({ entityId: z.string().min(1).max(1024).describe('the SP entityID, URL-encoded') });
const connectorParams = z.object({ id: z.string().min(1).max(64).describe('the connector id') });
const versionParams = z.object({ id: documentId, version: z.string().min(1).max(40) });

const spBody = z.object({
  metadata_xml: z.string().min(1).max(1024 * 1024).describe('the SP metadata (saml-metadata-2.0)'),
  attributes: attributeMapping.optional().describe('claim -> SAML attribute name, or {name, nameFormat, friendlyName}'),
  nameid_format: z.string().optional().describe('persistent, transient, email or unspecified (or the full URN)'),
  encrypt_assertions: z.boolean().default(false),
  sign_response: z.boolean().default(false),
  allow_idp_initiated: z.boolean().default(false),
  first_party: z.boolean().default(false),
  branding: z.record(z.string(), z.unknown()).optional()
    .describe('client metadata that brands the SP\'s pages: client_name#ja, logo_uri, branding_primary_color, login_methods ...'),
}).strict();

const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export function configurationOperations(deps: AdminDeps): Operation[] {
  return [...clientOperations(deps), ...samlOperations(deps), ...connectorOperations(deps), ...legalOperations(deps)];
}

function clientOperations({ clients }: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listClients', method: 'get', path: '/clients', tag: 'Clients', access: 'read',
      summary: 'OIDC clients (without secrets)',
      responses: [{ status: 200, description: 'Clients', schema: listOf(clientSchema) }],
      handle: async () => ({ items: await clients.list() }),
    }),
    defineOperation({
      operationId: 'createClient', method: 'post', path: '/clients', tag: 'Clients', access: 'write',
      summary: 'Register an OIDC client (RFC 7591 metadata plus our extensions); the answer holds the secret, once',
      body: clientMetadataSchema,
      responses: [{ status: 201, description: 'The stored client, with client_id and client_secret', schema: clientSchema }],
      handle: async ({ body, baseUrl }) => {
        const created = await clients.add(body);
        return { $status: 201, $body: created, $headers: { Location: `${baseUrl}/clients/${created.client_id}` } };
      },
    }),
    defineOperation({
      operationId: 'getClient', method: 'get', path: '/clients/{id}', tag: 'Clients', access: 'read',
      summary: 'Read a client (without its secret)', params: clientParams,
      responses: [{ status: 200, description: 'The client', schema: clientSchema }],
      handle: async ({ params }) => clients.get(params.id),
    }),
    defineOperation({
      operationId: 'updateClient', method: 'patch', path: '/clients/{id}', tag: 'Clients', access: 'write',
      summary: 'Change client metadata (a key set to null is removed)', params: clientParams, body: clientMetadataSchema,
      responses: [{ status: 200, description: 'The changed client', schema: clientSchema }],
      handle: async ({ params, body }) => clients.update(params.id, body),
    }),
    defineOperation({
      operationId: 'rotateClientSecret', method: 'post', path: '/clients/{id}/secret', tag: 'Clients', access: 'write',
      summary: 'Issue a new client secret (shown once); the old one stops working at once', params: clientParams,
      responses: [{ status: 200, description: 'The client with its new secret', schema: clientSchema }],
      handle: async ({ params }) => clients.rotateSecret(params.id),
    }),
    defineOperation({
      operationId: 'deleteClient', method: 'delete', path: '/clients/{id}', tag: 'Clients', access: 'write',
      summary: 'Remove a client', params: clientParams,
      responses: [{ status: 204, description: 'Removed' }],
      async handle({ params }) {
        await clients.remove(params.id);
        return { $status: 204 };
      },
    }),
  ];
}

function samlOperations({ sps }: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listSamlServiceProviders', method: 'get', path: '/saml/sps', tag: 'SAML', access: 'read',
      summary: 'SAML service providers of our IdP',
      responses: [{ status: 200, description: 'Service providers', schema: listOf(samlSpSchema) }],
      handle: async () => ({ items: await sps.list() }),
    }),
    defineOperation({
      operationId: 'putSamlServiceProvider', method: 'post', path: '/saml/sps', tag: 'SAML', access: 'write',
      summary: 'Register (or replace, same entityID) a SAML SP from its metadata', body: spBody,
      responses: [{ status: 201, description: 'The stored SP', schema: samlSpSchema }],
      async handle({ body }) {
        const { metadataXml: _xml, _id, ...stored } = await sps.add(body.metadata_xml, {
          attributes: body.attributes, nameIdFormat: body.nameid_format ? nameIdFormat(body.nameid_format) : undefined,
          encryptAssertions: body.encrypt_assertions, signResponse: body.sign_response,
          allowIdpInitiated: body.allow_idp_initiated, firstParty: body.first_party, branding: body.branding,
        });
        return { $status: 201, $body: { entityId: _id, ...stored } };
      },
    }),
    defineOperation({
      operationId: 'deleteSamlServiceProvider', method: 'delete', path: '/saml/sps/{entityId}', tag: 'SAML', access: 'write',
      summary: 'Remove a SAML SP', params: spParams,
      responses: [{ status: 204, description: 'Removed' }],
      async handle({ params }) {
        await sps.remove(params.entityId);
        return { $status: 204 };
      },
    }),
  ];
}

function connectorOperations({ federation }: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listConnectors', method: 'get', path: '/connectors', tag: 'Connectors', access: 'read',
      summary: 'Upstream sign-in connectors (social login, group IdPs), without secrets',
      responses: [{ status: 200, description: 'Connectors', schema: listOf(connectorSchema) }],
      handle: async () => ({ items: await federation.connectors.list() }),
    }),
    defineOperation({
      operationId: 'createConnector', method: 'post', path: '/connectors', tag: 'Connectors', access: 'write',
      summary: 'Add an upstream connector (the same JSON as `idp connectors add`)', body: metadataSchema,
      responses: [{ status: 201, description: 'The stored connector', schema: connectorSchema }],
      handle: async ({ body }) => ({ $status: 201, $body: await federation.connectors.add(body) }),
    }),
    defineOperation({
      operationId: 'deleteConnector', method: 'delete', path: '/connectors/{id}', tag: 'Connectors', access: 'write',
      summary: 'Remove an upstream connector', params: connectorParams,
      responses: [{ status: 204, description: 'Removed' }],
      async handle({ params }) {
        await federation.connectors.remove(params.id);
        return { $status: 204 };
      },
    }),
  ];
}

function legalOperations({ legal }: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listLegalDocumentVersions', method: 'get', path: '/legal-documents', tag: 'Legal documents', access: 'read',
      summary: 'Every version of every legal document (drafts and published)',
      responses: [{ status: 200, description: 'Versions', schema: listOf(legalVersionSchema) }],
      handle: async () => ({ items: (await legal.listVersions()).map(publicVersion) }),
    }),
    defineOperation({
      operationId: 'addLegalDocumentVersion', method: 'post', path: '/legal-documents', tag: 'Legal documents', access: 'write',
      summary: 'Add a draft version of a legal document (the same JSON as `idp consents docs add`)',
      body: newVersionSchema,
      responses: [{ status: 201, description: 'The draft', schema: legalVersionSchema }],
      handle: async ({ body }) => ({ $status: 201, $body: publicVersion(await legal.addVersion(toNewVersion(body))) }),
    }),
    defineOperation({
      operationId: 'publishLegalDocumentVersion', method: 'post', path: '/legal-documents/{id}/versions/{version}/publish',
      tag: 'Legal documents', access: 'write', summary: 'Publish a draft version (sites then ask for it)', params: versionParams,
      responses: [{ status: 200, description: 'The published version', schema: legalVersionSchema }],
      handle: async ({ params }) => publicVersion(await legal.publish(params.id, params.version)),
    }),
  ];
}
