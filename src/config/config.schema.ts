import { z } from 'zod';
import type { RateLimits as NamedRateLimits } from '../shared/rate-limits.ts';
import { consentsConfigSchema } from '../consents/consents-config.schema.ts';
import { profileConfigSchema } from '../profile/profile-config.schema.ts';
import { leadsConfigSchema } from '../leads/leads-config.schema.ts';
import { isIpOrCidr } from '../http/trusted-proxies.ts';
import { cibaConfigSchema, deviceFlowConfigSchema } from '../oidc/async-grants-config.schema.ts';
import { tlsClientAuthConfigSchema } from '../oidc/tls-client-auth.ts';

// Every setting of the IdP, with its default and meaning. The loader (config.loader.ts) fills it from
// config/default.json, config/<NODE_ENV>.json, the file named by IDP_CONFIG, then the environment:
// PORT, ISSUER, MONGODB_URI, SMTP_URL, NODE_ENV, and IDP_<PATH> for any key here (e.g. ttl.accessToken
// is IDP_TTL_ACCESS_TOKEN).

const seconds = (fallback: number, what: string) =>
  z.number().int().positive().default(fallback).describe(`${what}, in seconds`);

const rateLimit = (points: number, duration: number, what: string) =>
  z.object({
    points: z.number().int().positive().default(points).describe(`how many ${what} are allowed per window`),
    duration: seconds(duration, 'the window'),
  }).prefault({}).describe(`rate limit on ${what}`);

const resourceServer = z.object({
  scopes: z.array(z.string().min(1)).default([]).describe('scopes this API understands'),
  accessTokenTTL: seconds(3600, 'lifetime of access tokens for this API'),
  accessTokenFormat: z.enum(['jwt', 'opaque']).default('jwt').describe('jwt (RFC 9068) or opaque'),
});

const weight = (fallback: number, what: string) =>
  z.number().min(0).max(100).default(fallback).describe(`risk weight (0-100) of ${what}`);

// Multi-factor authentication: factors, lockout, remembered devices and the adaptive risk check.
const mfaSchema = z.object({
  totpIssuer: z.string().min(1).default('Group ID').describe('issuer name shown in authenticator apps next to the account'),
  totpToleranceSteps: z.number().int().min(0).max(2).default(1)
    .describe('TOTP time steps of clock drift accepted either side (RFC 6238 §5.2 recommends at most one)'),
  emailCodeTtl: seconds(300, 'lifetime of a mailed one-time sign-in code'),
  emailCodeMaxAttempts: z.number().int().min(1).max(10).default(3).describe('wrong tries allowed on one mailed code'),
  maxFailures: z.number().int().min(1).default(5).describe('wrong second-factor answers before the account is locked out of MFA'),
  lockoutSeconds: seconds(900, 'how long MFA stays locked after too many wrong answers'),
  recoveryCodes: z.number().int().min(4).max(20).default(10).describe('how many single-use recovery codes are issued at once'),
  rememberDeviceDays: z.number().int().min(0).max(365).default(30)
    .describe('days a device the user chose to remember skips the risk-based MFA question (0 turns the option off)'),
  deviceCookieDays: z.number().int().min(1).max(800).default(400).describe('lifetime of the device-recognition cookie, in days'),
  recentAuthSeconds: seconds(900, 'how recent a sign-in must be to change factors on the account security page'),
  webauthn: z.object({
    rpName: z.string().min(1).default('Group ID').describe('relying party name shown by authenticators'),
    rpId: z.string().optional().describe('WebAuthn RP ID (a registrable domain); default: the issuer host name'),
  }).prefault({}),
  risk: z.object({
    threshold: z.number().min(0).default(50).describe('risk score at or above which MFA is asked even where optional'),
    weights: z.object({
      newDevice: weight(30, 'a device never used by this account (no device cookie bound to it)'),
      newNetwork: weight(25, 'a network (IPv4 /24, IPv6 /48) never seen for this account'),
      failedAttempts: weight(25, 'a burst of recent failed attempts on the account'),
      dormant: weight(15, 'a long time since the last sign-in'),
      newCountry: weight(30, 'a country never seen for this account (needs geoHeader)'),
      impossibleTravel: weight(60, 'a travel speed between two sign-ins no plane reaches (needs geoCoordinatesHeader)'),
    }).prefault({}),
    failedAttemptsBurst: z.number().int().min(1).default(3).describe('failed attempts within the window that count as a burst'),
    failedAttemptsWindowSeconds: seconds(3600, 'window in which failed attempts are counted'),
    dormantDays: z.number().int().min(1).default(90).describe('days without sign-in after which an account counts as dormant'),
    geoHeader: z.string().optional()
      .describe('request header set by a trusted proxy with the ISO 3166 country of the client (e.g. cf-ipcountry); unset = no geo signals'),
    geoCoordinatesHeader: z.string().optional()
      .describe('request header set by a trusted proxy with "latitude,longitude" of the client; unset = no impossible-travel signal'),
    maxTravelKmh: z.number().positive().default(1000).describe('faster travel between two sign-ins than this counts as impossible'),
  }).prefault({}),
}).prefault({});

export const configSchema = z.object({
  nodeEnv: z.enum(['development', 'production', 'test']).default('development')
    .describe('NODE_ENV: production refuses generated secrets and insecure settings'),
  port: z.number().int().min(0).max(65535).default(3000).describe('PORT: TCP port to listen on'),
  host: z.string().default('0.0.0.0').describe('address to bind'),
  issuer: z.url().optional().describe('ISSUER: the OpenID Provider identifier; default http://localhost:$PORT'),
  proxy: z.boolean().default(false)
    .describe('a TLS-offloading proxy is in front of the IdP; which one must be said with http.trustedProxies'),
  http: z.object({
    // A single entry given by environment arrives as a plain string (see parseEnvValue in config.loader.ts).
    trustedProxies: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().trim()
      .refine(isIpOrCidr, 'not an IP address or CIDR range (e.g. 10.0.0.1, 10.0.0.0/8, 2001:db8::/32)')))
      .default([])
      .describe('IP addresses or CIDR ranges (IPv4, IPv6) of the proxies whose X-Forwarded-For/Proto/Host are believed; '
        + 'from any other peer those headers are ignored and the socket address is the client (default: none)'),
  }).prefault({}),
  dataDir: z.string().default('./data').describe('where the embedded MongoDB and generated development secrets live'),

  mongodb: z.object({
    uri: z.string().optional().describe('MONGODB_URI: unset starts an embedded MongoDB under dataDir'),
    embeddedPort: z.number().int().min(1).max(65535).default(27117)
      .describe('fixed loopback port of the embedded MongoDB, so the CLI finds a running server'),
    serverSelectionTimeoutMS: z.number().int().positive().default(5000)
      .describe('how long a request waits for a reachable MongoDB before it answers 503'),
  }).prefault({}),

  secrets: z.object({
    cookieKeys: z.array(z.string().min(32)).min(1).optional()
      .describe('keys signing cookies, newest first (>= 32 chars each); generated in development'),
    keyEncryptionKey: z.string().min(32).optional()
      .describe('secret that encrypts private signing keys at rest (>= 32 chars); generated in development'),
    pairwiseSecret: z.string().min(32).optional()
      .describe('secret keying pairwise subjects and SAML persistent NameIDs (>= 32 chars); unset = derived from keyEncryptionKey. Changing it changes every pseudonym'),
  }).prefault({}),

  cookies: z.object({
    prefix: z.string().regex(/^[a-z][a-z0-9_]*$/).default('idp')
      .describe('prefix of every cookie name, so an RP on the same host never collides with ours'),
  }).prefault({}),

  ttl: z.object({
    accessToken: seconds(3600, 'access token lifetime'),
    clientCredentials: seconds(600, 'client_credentials access token lifetime'),
    authorizationCode: seconds(60, 'authorization code lifetime'),
    idToken: seconds(3600, 'ID token lifetime'),
    refreshToken: seconds(14 * 24 * 3600, 'refresh token lifetime'),
    session: seconds(14 * 24 * 3600, 'sign-in session lifetime'),
    interaction: seconds(3600, 'lifetime of one sign-in interaction'),
    grant: seconds(365 * 24 * 3600, 'lifetime of a consent grant'),
    emailVerification: seconds(24 * 3600, 'lifetime of an email verification link or code'),
    passwordReset: seconds(30 * 60, 'lifetime of a password reset link'),
  }).prefault({}),

  mtls: tlsClientAuthConfigSchema,

  resourceServers: z.record(z.url(), resourceServer).default({})
    .describe('APIs (resource indicators, RFC 8707) keyed by their audience URI'),

  passwords: z.object({
    minLength: z.number().int().min(8).default(8).describe('shortest accepted password (NIST SP 800-63B: 8)'),
    maxLength: z.number().int().max(1024).default(256).describe('longest accepted password'),
    minScore: z.number().int().min(0).max(4).default(2)
      .describe('least zxcvbn strength (0-4) of a new password; any password on the breached/common list is refused at every level'),
    memoryCost: z.number().int().min(8192).default(19456).describe('argon2id memory in KiB (OWASP: 19456)'),
    timeCost: z.number().int().min(1).default(2).describe('argon2id iterations (OWASP: 2)'),
    parallelism: z.number().int().min(1).default(1).describe('argon2id lanes (OWASP: 1)'),
  }).prefault({}),

  accounts: z.object({
    requireVerifiedEmail: z.boolean().default(true)
      .describe('an account must verify its email before it can finish a sign-in'),
    deletionGraceDays: z.number().int().min(0).max(90).default(0)
      .describe('days between "delete my account" and the erasure; signing in meanwhile cancels it (0: erased at once)'),
  }).prefault({}),

  migration: z.object({
    legacy: z.object({
      url: z.url().describe('the legacy member store\'s credential endpoint: POST {"email","password"} answers 200 with the profile, 401/404 for wrong credentials'),
      secret: z.string().min(16).describe('shared secret sent to the legacy endpoint in secretHeader'),
      secretHeader: z.string().regex(/^[A-Za-z0-9-]+$/).default('x-legacy-secret').describe('header carrying the shared secret'),
      timeoutMs: z.number().int().min(100).max(30_000).default(3000).describe('time the legacy endpoint has to answer one sign-in'),
      errorThresholdPercentage: z.number().int().min(1).max(100).default(50).describe('percent of failed calls that opens the circuit breaker'),
      volumeThreshold: z.number().int().min(1).default(5).describe('calls in the breaker\'s window before it may open'),
      resetTimeoutMs: z.number().int().min(100).default(30_000).describe('how long an open breaker refuses before one call tries again'),
    }).optional().describe('lazy migration: asked when an unknown email signs in; the account is then created here (unset: off)'),
  }).prefault({}),

  i18n: z.object({
    defaultLocale: z.enum(['ja', 'en']).default('ja').describe('language when neither ui_locales nor Accept-Language decide'),
  }).prefault({}),

  mail: z.object({
    smtpUrl: z.string().optional().describe('SMTP_URL: unset writes mails to the log (kind and recipient only)'),
    logBodies: z.boolean().default(false)
      .describe('development only: with SMTP_URL unset, also log subject and text (links and codes) of every mail'),
    allowLogOnly: z.boolean().default(false)
      .describe('let NODE_ENV=production start without SMTP_URL (mails are then only logged, not delivered)'),
    from: z.string().default('"ID" <no-reply@localhost>').describe('From header of every mail'),
  }).prefault({}),

  rateLimits: z.object({
    loginPerAccount: rateLimit(10, 15 * 60, 'failed sign-ins for one email'),
    loginPerIp: rateLimit(100, 15 * 60, 'failed sign-ins from one IP address'),
    mailPerIp: rateLimit(20, 60 * 60, 'mails (sign-up, reset, verification) triggered from one IP address'),
    codePerAccount: rateLimit(5, 15 * 60, 'wrong verification codes for one account'),
    leadPerIp: rateLimit(20, 60 * 60, 'lite registrations (newsletter sign-ups) sent from one IP address on the hosted page'),
    leadPerEmail: rateLimit(5, 24 * 3600, 'lite registrations for one email address (each mails the address)'),
    leadPerClient: rateLimit(10_000, 60 * 60, 'lite registrations one client sends through POST /api/v1/leads'),
    userCodePerIp: rateLimit(20, 15 * 60, 'wrong device user codes (RFC 8628 §5.1) typed from one IP address'),
  }).prefault({}),

  mfa: mfaSchema,

  deviceFlow: deviceFlowConfigSchema.describe('device authorization grant (RFC 8628): sign-in on a TV or CLI by a code typed on another screen'),
  ciba: cibaConfigSchema.describe('Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0): the client asks, the person approves from a mailed link'),

  keys: z.object({
    pollSeconds: seconds(30, 'how often a running server checks the key store for a rotation'),
  }).prefault({}),

  profile: profileConfigSchema.describe('profile attributes, per-site collection and progressive profiling'),
  consents: consentsConfigSchema.describe('legal consents and the controller named in consent receipts'),
  leads: leadsConfigSchema.describe('lite registration: email, consents and attributes without a password (src/leads)'),

  admin: z.object({
    accessTokenTTL: seconds(600, 'lifetime of access tokens for the admin API and SCIM'),
  }).prefault({}).describe('the management APIs: admin REST API at /admin/api/v1 and SCIM 2.0 at /scim/v2'),

  selfService: z.object({
    emailChangeTtl: seconds(30 * 60, 'lifetime of the code mailed to a new address on /account/email'),
    lastSeenIntervalSeconds: seconds(60, 'how often a use of the account pages refreshes a session\'s "last seen" (one write per interval)'),
  }).prefault({}).describe('the customer\'s self-service pages under /account (password, email, sessions, apps)'),

  console: z.object({
    sessionSeconds: seconds(1800, 'how recent an MFA sign-in must be to use the admin console (its sessions are short)'),
  }).prefault({}).describe('the admin console at /admin'),

  scim: z.object({
    emailsVerified: z.boolean().default(false)
      .describe('treat addresses provisioned by SCIM as verified (only for a directory that owns its users\' mailboxes)'),
    enterpriseAttributes: z.record(z.string(), z.string()).default({
      employeeNumber: 'employee_number', costCenter: 'cost_center', organization: 'organization', division: 'division', department: 'department',
    }).describe('SCIM enterprise extension attribute -> custom profile attribute; entries whose custom attribute is not configured are ignored'),
  }).prefault({}),

  audit: z.object({
    store: z.boolean().default(true).describe('also keep every audit event in MongoDB (collection audit_events), queryable by `idp audit list`'),
    retentionDays: z.number().int().min(1).max(3650).default(90).describe('days an audit event is kept in MongoDB (TTL)'),
    queueLimit: z.number().int().min(100).default(10_000)
      .describe('audit events waiting for MongoDB at most; beyond it new events are dropped and counted, never a sign-in slowed'),
    batchSize: z.number().int().min(1).max(1000).default(200).describe('audit events written to MongoDB in one insert'),
    flushMs: z.number().int().min(10).default(250).describe('how often queued audit events are written, in milliseconds'),
  }).prefault({}),

  events: z.object({
    enabled: z.boolean().default(true).describe('derive events from committed changes (change streams) and deliver webhooks in this server'),
    loginEvents: z.boolean().default(false).describe('also announce login.succeeded and login.failed (high volume)'),
    retentionDays: z.number().int().min(1).max(365).default(30).describe('days a derived event is kept (replays and late subscribers)'),
    leaseSeconds: seconds(30, 'lease of the one instance deriving events, and of each subscription\'s delivery worker'),
  }).prefault({}).describe('the event log announced to subscribers (docs/events)'),

  webhooks: z.object({
    allowPrivateTargets: z.boolean().default(false)
      .describe('development only: allow webhook URLs on loopback, private or link-local addresses'),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000).describe('time a subscriber has to answer one delivery, in milliseconds'),
    retryForSeconds: seconds(24 * 3600, 'how long a failing delivery is retried before it is dead-lettered'),
    backoffBaseMs: z.number().int().min(1).default(5000).describe('first retry delay in milliseconds; doubled per attempt, with jitter'),
    backoffMaxMs: z.number().int().min(1).default(3_600_000).describe('longest delay between two attempts, in milliseconds'),
    pollMs: z.number().int().min(10).default(500).describe('how often idle delivery workers look for new events, in milliseconds'),
    secretOverlapSeconds: seconds(24 * 3600, 'how long the previous secret keeps signing after a rotation'),
    deliveryRetentionDays: z.number().int().min(1).max(365).default(30).describe('days the delivery log is kept (TTL)'),
  }).prefault({}),

  export: z.object({
    settleSeconds: z.number().int().min(0).default(5)
      .describe('an export covers changes up to this many seconds ago, so writes still in flight land in the next run'),
  }).prefault({}),

  metrics: z.object({
    enabled: z.boolean().default(false).describe('collect Prometheus metrics and serve them at /metrics (on metrics.port, and/or on the main port with metrics.token)'),
    port: z.number().int().min(0).max(65535).optional()
      .describe('port of a separate listener serving only /metrics (preferred: nothing on the public port); unset = no separate listener'),
    host: z.string().default('127.0.0.1').describe('address the metrics listener binds (loopback by default)'),
    token: z.string().min(32).optional()
      .describe('bearer token (>= 32 chars) required to read /metrics; when set, /metrics is also served on the main port'),
  }).superRefine((metrics, ctx) => {
    if (metrics.enabled && metrics.port === undefined && metrics.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'metrics.enabled needs metrics.port (a separate listener) or metrics.token (served on the main port)' });
    }
  }).prefault({}).describe('Prometheus metrics'),

  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('log level'),
  }).prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema> & {
  issuer: string;
  secrets: { cookieKeys: string[]; keyEncryptionKey: string; pairwiseSecret?: string };
}>;

/** The names of the configured rate limits (`rateLimits.*`). */
export type LimitName = keyof Config['rateLimits'];
/** The app's rate limits (src/shared/rate-limits.ts), typed by the names configured here. */
export type RateLimits = NamedRateLimits<LimitName>;
