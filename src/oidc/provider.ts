import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';
import type { AccountRepository } from '../accounts/account.repository.ts';
import { SCOPE_CLAIMS, SUPPORTED_SCOPES, accountClaimsWithGroups, type GroupNames } from './claims.ts';
import { defaultManagementResource, resourceServerInfo, resourceServerScopes } from './resource-servers.ts';
import { createInteractionPolicy, type PolicyHooks } from './policy/interaction-policy.ts';
import { ADD_FACTOR_PARAM } from './policy/mfa.prompt.ts';
import { loadGrant } from './grants.ts';
import { CLIENT_METADATA_EXTENSIONS, validateClientExtension, validateWholeClient } from './client-metadata.ts';
import { wireEngineEvents } from './engine-events.ts';
import { pairwiseConfiguration } from './pairwise.ts';
import { FRONTCHANNEL_DISCOVERY, FRONTCHANNEL_METADATA, frontchannelMetadataProblem, includeSidForFrontchannel } from './frontchannel-logout.ts';
import type { PairwiseSubject } from '../keys/pairwise-subject.ts';
import { fapi2MetadataProblem, authorizationCodeTtl, rotateRefreshToken } from './fapi-profile.ts';
import { FAPI_DISCOVERY, bindFapiRefreshTokensToDpopKey, fapiConfiguration, fapiFeatures } from './fapi-engine.ts';
import type { Logger } from '../shared/logger.ts';
import type { Audit } from '../shared/audit.ts';
import { ACR, ACR_VALUES } from '../mfa/acr.ts';
import { deviceFlowFeature, userCodeGuessLimit } from './device-flow.ts';
import type { RateLimits } from '../config/config.schema.ts';
import type { DevicePages } from './device-pages.ts';
import { createPollThrottle } from './poll-throttle.ts';
import type { PollTimingModel } from './poll-timing.model.ts';
import { backchannelRequestTtl, cibaFeature, type CibaHooks } from './ciba.ts';
import type { CookieKeys } from '../http/cookie-keys.ts';

// The only importer of oidc-provider (with grants.ts, engine-events.ts and the policy folder). Most of what the
// protocol needs is configuration of the engine; see the engine's docs/README.md for every key used here.

export type { Provider, KoaContextWithOIDC };
export { errors as oidcErrors };

/** The password-only acr (src/mfa/acr.ts holds the one set of acr values). */

/** Pages the engine renders through us: its error page and the RP-initiated logout pages. */
export interface EnginePages {
  renderError(ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
  /** The device flow's user code, confirmation and success pages (RFC 8628 §3.3). */
  device: DevicePages;
}

export interface ProviderDeps {
  config: Config;
  /** The signer of every signed cookie, shared with our koa app (src/http/cookie-keys.ts). */
  cookieKeys: CookieKeys;
  jwks: { keys: Array<Record<string, unknown>> };
  Adapter: NonNullable<Configuration['adapter']>;
  accounts: AccountRepository;
  pages: EnginePages;
  logger: Logger;
  /** The audit trail the engine's own events join (log line and store). */
  audit: Audit;
  /** Group display names for the `groups` claim. */
  groupNames?: GroupNames;
  /** Services consulted by the interaction policy's checks (MFA, legal documents, profile completion). */
  policyHooks?: PolicyHooks;
  /** Claims of custom profile attributes and the scope that releases them (config.profile). */
  customClaims?: { scope: string; claims: string[] };
  /** The keyed hash behind pairwise subjects (shared with SAML persistent NameIDs); unset = public subjects only. */
  pairwise?: PairwiseSubject;
  /** Poll times of pending device codes and CIBA requests, for slow_down (src/oidc/poll-throttle.ts). */
  pollTimings?: PollTimingModel;
  /** How CIBA finds and reaches the person (src/ciba); without it CIBA is off. */
  ciba?: CibaHooks;
  /** Limits guessing of device user codes (RFC 8628 §5.1). */
  limits?: RateLimits;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config } = deps;

  const configuration: Configuration = {
    adapter: deps.Adapter,
    jwks: deps.jwks as Configuration['jwks'],
    findAccount: async (_ctx, sub) => {
      const account = await deps.accounts.findById(sub);
      if (!account || account.status !== 'active') return undefined;
      // `record` lets the policy's checks read the account this request already loaded (profile prompt).
      return { accountId: sub, record: account, claims: async () => accountClaimsWithGroups(account, deps.groupNames) as Promise<{ sub: string }> };
    },
    claims: {
      acr: null, amr: null, auth_time: null, sid: null, ...SCOPE_CLAIMS,
      ...(deps.customClaims ? { [deps.customClaims.scope]: deps.customClaims.claims } : {}),
    } as unknown as Configuration['claims'],
    // OIDC scopes plus the scopes of every configured API, so clients may be registered for them.
    scopes: [...new Set([
      ...SUPPORTED_SCOPES, ...resourceServerScopes(config),
      ...(deps.customClaims ? [deps.customClaims.scope] : []),
    ])],
    // Every acr we issue, weakest first (src/mfa/acr.ts); discovery lists them as acr_values_supported.
    acrValues: [...ACR_VALUES],
    // Keycloak's name for "sign in with this upstream IdP right away" (src/interaction/stages/federated/login-page.extension.ts).
    // idp_enrol: the account page's "add a two-step method" sign-in (src/oidc/policy/mfa.prompt.ts, account client only).
    extraParams: ['kc_idp_hint', ADD_FACTOR_PARAM],
    responseTypes: ['code', 'none'],
    // subject_type public (the account id) or pairwise (OIDC Core §8.1): src/oidc/pairwise.ts.
    ...pairwiseConfiguration(deps.pairwise),
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: clientMetadataValidation(config),
    loadExistingGrant: loadGrant,
    interactions: {
      policy: createInteractionPolicy(deps.policyHooks),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    cookies: engineCookies(config, deps.cookieKeys),
    // PAR, JAR, JARM, DPoP (+ nonces), tls_client_auth and the per-client FAPI 2.0 grade (src/oidc/fapi-engine.ts).
    ...fapiConfiguration(config),
    features: engineFeatures(deps),
    // Refresh tokens rotate on every use; reusing a rotated one is refused and revokes the grant. Not for FAPI
    // clients (FAPI 2.0 §5.3.2.1-9): their refresh tokens are bound to the DPoP key instead.
    rotateRefreshToken,
    ttl: engineTtl(config),
    discovery: {
      ui_locales_supported: ['ja', 'en'],
      claims_locales_supported: ['ja', 'en'],
      // OpenID Connect Front-Channel Logout 1.0 §3 (src/oidc/frontchannel-logout.ts).
      ...FRONTCHANNEL_DISCOVERY,
      ...FAPI_DISCOVERY,
    },
    renderError: deps.pages.renderError as unknown as Configuration['renderError'],
    // CORS only for the browser-facing endpoints of public clients and userinfo, from the client's own origins.
    clientBasedCORS: (ctx, origin, client) => {
      if (origin === 'null') return false;
      if (ctx.oidc.route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
      return client.redirectUris?.some((uri: string) => URL.parse(uri)?.origin === origin) ?? false;
    },
  };

  const provider = new Provider(config.issuer, configuration);
  wireProvider(provider, deps);
  return provider;
}

/** The engine's features: which endpoints and protocol extensions are on, and their policies. */
function engineFeatures(deps: ProviderDeps): Configuration['features'] {
  const { config } = deps;
  return {
    ...fapiFeatures(config),
    devInteractions: { enabled: false },
    // RFC 7662 §4: only the client the token was issued to, or a client registered as a resource server
    // (`introspection_allowed: true`), learns about a token. RFC 7009 §2.1: only the owner may revoke it.
    introspection: {
      enabled: true,
      allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId || client.metadata().introspection_allowed === true,
    },
    revocation: {
      enabled: true,
      allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
    },
    clientCredentials: { enabled: true },
    claimsParameter: { enabled: true },
    backchannelLogout: { enabled: true },
    userinfo: { enabled: true },
    deviceFlow: deviceFlowFeature(config, deps.pages.device),
    ciba: deps.ciba ? cibaFeature(config, deps.ciba) : { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: deps.pages.logoutSource,
      postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, _client, oneOf) => oneOf
        ?? (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials' ? defaultManagementResource(config, ctx.oidc.params?.scope) : undefined),
      getResourceServerInfo: (_ctx, indicator) => {
        const info = resourceServerInfo(config, indicator);
        if (!info) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        return info;
      },
    },
  };
}

/** Token, session and interaction lifetimes (config.ttl), per resource server where one sets its own. */
function engineTtl(config: Config): Configuration['ttl'] {
  return {
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken,
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.clientCredentials,
    AuthorizationCode: authorizationCodeTtl(config.ttl.authorizationCode),
    IdToken: config.ttl.idToken,
    RefreshToken: config.ttl.refreshToken,
    Session: config.ttl.session,
    Interaction: config.ttl.interaction,
    Grant: config.ttl.grant,
    DeviceCode: config.deviceFlow.codeTtl,
    BackchannelAuthenticationRequest: backchannelRequestTtl(config) as never,
  };
}

/** Our client metadata extensions and their checks (src/oidc/client-metadata.ts, frontchannel, FAPI 2.0). */
function clientMetadataValidation(config: Config): Configuration['extraClientMetadata'] {
  return {
    properties: [...Object.keys(CLIENT_METADATA_EXTENSIONS), ...FRONTCHANNEL_METADATA],
    validator(_ctx, key, value, metadata) {
      const problem = validateClientExtension(key, value)
        ?? frontchannelMetadataProblem(key, value, metadata as { redirect_uris?: unknown }, config.nodeEnv !== 'production')
        // The FAPI 2.0 grade is a promise about the whole client: checked against all of its metadata.
        ?? (key === 'security_profile' && value === 'fapi2' ? fapi2MetadataProblem(metadata as Record<string, unknown>) : undefined)
        ?? validateWholeClient(key, metadata as Record<string, unknown>, { allowHttp: config.nodeEnv !== 'production' });
      if (problem) throw new errors.InvalidClientMetadata(problem);
    },
  };
}

function engineCookies(config: Config, keys: CookieKeys): Configuration['cookies'] {
  const cookiePrefix = config.cookies.prefix;
  return {
    names: {
      session: `${cookiePrefix}_session`,
      interaction: `${cookiePrefix}_interaction`,
      resume: `${cookiePrefix}_resume`,
    },
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
    keys: keys as never,
  };
}

/** Middleware and listeners added to the engine once it exists. */
function wireProvider(provider: Provider, deps: ProviderDeps): void {
  const { config } = deps;
  wireEngineEvents(provider, deps.logger, deps.audit);
  includeSidForFrontchannel(provider);
  if (deps.limits) provider.use(userCodeGuessLimit(deps.limits));
  if (deps.pollTimings) {
    provider.use(createPollThrottle(deps.pollTimings, { device: config.deviceFlow.pollIntervalSeconds, ciba: config.ciba.pollIntervalSeconds }));
  }
  bindFapiRefreshTokensToDpopKey(provider);
  // Each accepted authorization is one completed sign-in (progressive profiling waits for the Nth).
  const profile = deps.policyHooks?.profile;
  if (profile) {
    provider.on('authorization.accepted', (ctx) => {
      profile.countSignIn(ctx as never).catch((error: Error) => deps.logger.warn({ err: error.message }, 'profile.count_failed'));
    });
  }
}
