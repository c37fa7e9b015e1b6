import type { WebDeps } from '../../modules/feature-module.ts';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { GroupNames } from '../../oidc/claims.ts';
import type { Config } from '../../config/config.schema.ts';
import type { ChangeCaches } from '../../db/change-cache.ts';
import type { Pages } from '../../http/pages.ts';
import type { KeyStore } from '../../keys/key-store.service.ts';
import type { ClientService } from '../../oidc/client.service.ts';
import type { Provider } from '../../oidc/provider.ts';
import { sessionExists, sessionUidOf } from '../../oidc/signed-in.ts';
import type { Audit } from '../../shared/audit.ts';
import { createAuthorizationCodeTaker } from '../../oidc/engine-store.ts';
import { createMessageReader } from './authn-request.reader.ts';
import { createIdpCredentials } from './idp-credentials.ts';
import { createNameIds } from './name-id.ts';
import type { PairwiseSubject } from '../../keys/pairwise-subject.ts';
import { createSamlAccountData } from './saml-account-data.ts';
import { createResponseService } from './response.service.ts';
import type { SamlModels } from './saml.models.ts';
import { createSamlRouter } from './saml.router.ts';
import { createSloService } from './slo.service.ts';
import { createSpRegistry } from './sp-registry.service.ts';
import { createSsoService } from './sso.service.ts';

// The SAML IdP for partner SPs, wired from the container's services: registry, SSO, responses, SLO, router.
export interface SamlIdpDeps {
  config: Config;
  models: SamlModels;
  keyStore: KeyStore;
  clients: ClientService;
  provider: () => Provider;
  accounts: AccountRepository;
  pages: Pages;
  audit: Audit;
  /** The change-stream caches; the registry's collection (SP_COLLECTION) must be one of those watched. */
  caches?: ChangeCaches;
  /** Group display names for a `groups` attribute. */
  groupNames?: GroupNames;
  /** The keyed hash behind persistent NameIDs, shared with OIDC pairwise subjects. */
  pairwise: PairwiseSubject;
}

/** How long our metadata says it is valid: SPs re-read it in time to see the next certificate. */
const METADATA_VALID_SECONDS = 7 * 24 * 3600;

export function createSamlIdpModule(deps: SamlIdpDeps) {
  const sps = createSpRegistry({ model: deps.models.SamlSp, clients: deps.clients, issuer: deps.config.issuer, caches: deps.caches });
  const credentials = createIdpCredentials({ keyStore: deps.keyStore, issuer: deps.config.issuer, refreshSeconds: deps.config.keys.pollSeconds });
  const read = createMessageReader({ sps, credentials, audit: deps.audit });
  const common = { config: deps.config, provider: deps.provider, models: deps.models, sps, credentials, audit: deps.audit };
  const sso = createSsoService({ ...common, read, accounts: deps.accounts });
  const nameIds = createNameIds(deps.pairwise);
  const responses = createResponseService({
    ...common, nameIds, accounts: deps.accounts, groupNames: deps.groupNames,
    takeCode: createAuthorizationCodeTaker(deps.models.SamlPending.db.db!),
  });
  const slo = createSloService({ ...common, read, pages: deps.pages });
  return {
    sps,
    credentials,
    /** The account's SAML sign-ins and persistent NameIDs, for its data export and erasure. */
    accountData: createSamlAccountData(deps.models, nameIds),
    routers: (web: WebDeps) => [createSamlRouter({
      pages: deps.pages, credentials, sso, responses, slo, bodyParser: web.samlForm, metadataValidSeconds: METADATA_VALID_SECONDS,
      sessionUidOf: (ctx) => sessionUidOf(deps.provider(), ctx),
      sessionExists: (uid) => sessionExists(deps.provider(), uid),
    })],
  };
}

export type SamlIdp = ReturnType<typeof createSamlIdpModule>;
