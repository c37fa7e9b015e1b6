import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, type Config } from './config.schema.ts';

// The only reader of process.env. Precedence, lowest first: config/default.json, config/<NODE_ENV>.json,
// the file named by IDP_CONFIG, IDP_* variables, then the contract variables PORT, ISSUER, MONGODB_URI,
// SMTP_URL and NODE_ENV.

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

const CONTRACT_ENV: Record<string, string> = {
  PORT: 'port',
  ISSUER: 'issuer',
  MONGODB_URI: 'mongodb.uri',
  SMTP_URL: 'mail.smtpUrl',
  NODE_ENV: 'nodeEnv',
};

export interface LoadOptions {
  env?: Env;
  configDir?: string;
  /** Last layer, used by tests and tools to set values directly. */
  overrides?: Json;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const sources = new Map<string, string>();

  let merged = readConfigFiles(env, options.configDir ?? path.resolve('config'), problems);
  applyEnv(merged, env, sources);
  if (options.overrides) merged = deepMerge(merged, options.overrides);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      // An array element (http.trustedProxies.1) came from the variable that set the array.
      const from = sources.get(key) ?? sources.get(issue.path.slice(0, -1).join('.'));
      problems.push(`${key || '(root)'}: ${issue.message}${from ? ` (from ${from})` : ''}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const config = parsed.data!;
  const issuer = config.issuer ?? `http://localhost:${config.port}`;
  const secrets = resolveSecrets(config, problems);
  problems.push(...deploymentProblems(config, issuer));
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze({ ...config, issuer: issuer.replace(/\/$/, ''), secrets: { ...config.secrets, ...secrets } }) as Config;
}

/** config/default.json, config/<NODE_ENV>.json and the IDP_CONFIG file, merged in that order. */
function readConfigFiles(env: Env, configDir: string, problems: string[]): Json {
  let merged: Json = {};
  const nodeEnv = env.NODE_ENV ?? 'development';
  for (const file of [path.join(configDir, 'default.json'), path.join(configDir, `${nodeEnv}.json`), env.IDP_CONFIG]) {
    if (!file || !existsSync(file)) {
      if (file === env.IDP_CONFIG && file) problems.push(`IDP_CONFIG: file not found: ${file}`);
      continue;
    }
    try {
      merged = deepMerge(merged, JSON.parse(readFileSync(file, 'utf8')) as Json);
    } catch (error) {
      problems.push(`${file}: not valid JSON (${(error as Error).message})`);
    }
  }
  return merged;
}

/** IDP_* variables, then the contract variables; `sources` remembers which variable set a key, for the messages. */
function applyEnv(merged: Json, env: Env, sources: Map<string, string>): void {
  for (const [key, name] of envNames()) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, key, parseEnvValue(raw));
    sources.set(key, name);
  }
  for (const [name, key] of Object.entries(CONTRACT_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, key, key === 'port' ? Number(raw) : raw);
    sources.set(key, name);
  }
}

/** Settings valid one by one but unsafe together, or in production. */
function deploymentProblems(config: z.output<typeof configSchema>, issuer: string): string[] {
  const problems: string[] = [];
  if (config.nodeEnv === 'production') {
    if (new URL(issuer).protocol !== 'https:') problems.push('issuer: must be https in production');
    if (!config.mail.smtpUrl && !config.mail.allowLogOnly) {
      problems.push('mail.smtpUrl: SMTP_URL is required in production (mails would only be logged, never delivered); '
        + 'set IDP_MAIL_ALLOW_LOG_ONLY=true to start anyway');
    }
    if (config.mail.logBodies) problems.push('mail.logBodies: not allowed in production (mail bodies hold sign-in links and codes)');
  }
  // `proxy` used to trust X-Forwarded-* from any peer; now the proxy must be named, or nothing forwarded is believed.
  if (config.proxy && config.http.trustedProxies.length === 0) {
    problems.push('http.trustedProxies: required when proxy is true: the addresses or CIDR ranges of the proxies in front '
      + '(IDP_HTTP_TRUSTED_PROXIES, e.g. \'["10.0.0.0/8"]\'); X-Forwarded-* from any other peer is ignored');
  }
  // The certificate header says who the client is: only a named proxy may set it (src/oidc/tls-client-auth.ts).
  if (config.mtls.certificateHeader && config.http.trustedProxies.length === 0) {
    problems.push('mtls.certificateHeader: needs http.trustedProxies, the proxies that verify client certificates and set the header');
  }
  return problems;
}

/** In development, missing secrets are generated once and kept under dataDir so restarts keep sessions. */
function resolveSecrets(config: z.output<typeof configSchema>, problems: string[]) {
  const { cookieKeys, keyEncryptionKey } = config.secrets;
  if (cookieKeys && keyEncryptionKey) return { cookieKeys, keyEncryptionKey };
  if (config.nodeEnv === 'production') {
    if (!cookieKeys) problems.push('secrets.cookieKeys: required in production (IDP_SECRETS_COOKIE_KEYS)');
    if (!keyEncryptionKey) problems.push('secrets.keyEncryptionKey: required in production (IDP_SECRETS_KEY_ENCRYPTION_KEY)');
    return { cookieKeys: [], keyEncryptionKey: '' };
  }
  const file = path.resolve(config.dataDir, 'dev-secrets.json');
  let stored: { cookieKeys?: string[]; keyEncryptionKey?: string } = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8'));
  const generated = {
    cookieKeys: stored.cookieKeys ?? [randomBytes(32).toString('base64url')],
    keyEncryptionKey: stored.keyEncryptionKey ?? randomBytes(32).toString('base64url'),
  };
  if (!stored.cookieKeys || !stored.keyEncryptionKey) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  }
  return { cookieKeys: cookieKeys ?? generated.cookieKeys, keyEncryptionKey: keyEncryptionKey ?? generated.keyEncryptionKey };
}

/** IDP_<PATH> for every leaf of the schema: ttl.accessToken -> IDP_TTL_ACCESS_TOKEN. */
export function envNames(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (schema: z.ZodType, prefix: string[]) => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(inner.shape)) walk(child as z.ZodType, [...prefix, key]);
      return;
    }
    const name = `IDP_${prefix.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
    out.push([prefix.join('.'), name]);
  };
  walk(configSchema, []);
  return out;
}

/** Key, env name and description of every setting: the configuration reference. */
export function describeConfig(): Array<{ key: string; env: string; description: string }> {
  return envNames().map(([key, env]) => {
    let schema: z.ZodType = configSchema;
    for (const part of key.split('.')) schema = (unwrap(schema) as z.ZodObject).shape[part] as z.ZodType;
    return { key, env, description: schema.description ?? unwrap(schema).description ?? '' };
  });
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { _zod: { def: { innerType?: z.ZodType } } };
  while (current._zod.def.innerType) current = current._zod.def.innerType as typeof current;
  return current;
}

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw.includes(',') ? raw.split(',').map((s) => s.trim()) : raw;
  }
}

function setPath(target: Json, key: string, value: unknown) {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Json;
  }
  node[parts.at(-1)!] = value;
}

function deepMerge(base: Json, extra: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
