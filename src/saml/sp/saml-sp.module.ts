import type { Config } from '../../config/config.schema.ts';
import { bindingCookie } from '../../federation/binding-cookie.ts';
import type { ConnectorFactory } from '../../federation/connector.ts';
import type { ConnectorService } from '../../federation/connector.service.ts';
import type { TransactionService } from '../../federation/transaction.service.ts';
import { AppError } from '../../shared/app-error.ts';
import type { Pages } from '../../http/pages.ts';
import type { Audit } from '../../shared/audit.ts';
import type { FeatureModule, WebDeps } from '../../modules/feature-module.ts';
import type { IdpCredentials } from '../idp/idp-credentials.ts';
import { createReplayCache, type SamlSpModels } from './replay.cache.ts';
import { createResponseValidator } from './response.validator.ts';
import { readIdpMetadata } from './saml-sp-lib.ts';
import { samlConnectorFactory, type SamlSpEndpoints } from './saml.connector.ts';
import { createSamlSpRouter } from './saml-sp.router.ts';

// Our SP for group-company SAML IdPs, wired once from the composition root: the `saml` connector type (so the
// federation's connector service, login buttons, transactions and linking step serve it like any upstream; the
// root puts it into the connector type registry before the federation module is built), the metadata and ACS
// routes, and `idp connectors add-saml`.

export interface SamlSpDeps {
  config: Config;
  models: SamlSpModels;
  connectors: ConnectorService;
  transactions: TransactionService;
  credentials: IdpCredentials;
  pages: Pages;
  audit: Audit;
}

export interface AddSamlInput {
  metadataXml: string;
  name: string;
  id?: string;
  mapping?: Record<string, unknown>;
  allowIdpInitiated?: boolean;
  idpInitiatedUrl?: string;
  /** The group company's IdP asserts verified email addresses (used for linking by email). Default false. */
  emailVerified?: boolean;
}

const METADATA_VALID_SECONDS = 7 * 24 * 3600;
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);

/** Our SP entityID per connector is its metadata URL (saml-metadata §4.1: the well-known location convention). */
export function samlSpEndpoints(issuer: string): SamlSpEndpoints {
  const base = (id: string) => `${issuer}/saml/sp/${encodeURIComponent(id)}`;
  return { entityId: (id) => `${base(id)}/metadata`, acsUrl: (id) => `${base(id)}/acs` };
}

/** The `saml` connector type, for the connector type registry (src/federation/connector-registry.ts). */
export function createSamlConnectorType(deps: Pick<SamlSpDeps, 'config' | 'models' | 'credentials'>): ConnectorFactory {
  const signing = async () => deps.credentials.credentials();
  const validator = createResponseValidator({ replay: createReplayCache(deps.models), credentials: signing });
  return samlConnectorFactory({ endpoints: samlSpEndpoints(deps.config.issuer), validator, credentials: signing });
}

export function createSamlSpModule(deps: SamlSpDeps) {
  const endpoints = samlSpEndpoints(deps.config.issuer);

  async function addSaml(input: AddSamlInput) {
    let idp;
    try {
      idp = readIdpMetadata(input.metadataXml);
    } catch (error) {
      throw new AppError(`connector.invalid: metadata: ${(error as Error).message}`, 400);
    }
    if (!idp.entityId || !idp.ssoUrl || idp.certificates.length === 0) {
      throw new AppError('connector.invalid: metadata: needs an entityID, an HTTP-Redirect SingleSignOnService and a signing certificate', 400);
    }
    if (deps.config.nodeEnv === 'production' && !idp.ssoUrl.startsWith('https:')) throw new AppError('connector.invalid: metadata: the SSO URL must use https', 400);
    const id = input.id ?? slug(input.name);
    const stored = await deps.connectors.add({
      id, type: 'saml', displayName: input.name, clientId: endpoints.entityId(id),
      endpoints: { authorization: idp.ssoUrl },
      mapping: { subject: 'nameID', email: 'email', name: 'name', given_name: 'given_name', family_name: 'family_name', ...input.mapping, email_verified: input.emailVerified === true },
      options: {
        entityId: idp.entityId, certificates: idp.certificates.join(' '),
        allowIdpInitiated: String(input.allowIdpInitiated === true),
        ...(input.idpInitiatedUrl ? { idpInitiatedUrl: input.idpInitiatedUrl } : {}),
      },
    });
    return { ...stored, spEntityId: endpoints.entityId(stored.id), metadataUrl: endpoints.entityId(stored.id), acsUrl: endpoints.acsUrl(stored.id) };
  }

  return {
    endpoints,
    addSaml,
    routers: ({ samlForm }: Pick<WebDeps, 'samlForm'>) => [createSamlSpRouter({
      connectors: deps.connectors, transactions: deps.transactions, binding: bindingCookie(deps.config.cookies.prefix),
      credentials: deps.credentials, endpoints, pages: deps.pages, audit: deps.audit, bodyParser: samlForm, metadataValidSeconds: METADATA_VALID_SECONDS,
    })],
  } satisfies FeatureModule;
}

export type SamlSpModule = ReturnType<typeof createSamlSpModule>;
