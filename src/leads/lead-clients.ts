import { createHash, timingSafeEqual } from 'node:crypto';
import type { Locale } from '../i18n/i18n.ts';
import type { Provider } from '../oidc/provider.ts';
import { leadPolicyOf, type LeadPolicy } from './lead-policy.ts';

// The sites that collect leads: OIDC clients of our engine with `lite_registration` metadata (lead-policy.ts),
// read through the engine's change-cached client lookup, so a metadata change applies at once. The API
// authenticates a site the way the token endpoint would (RFC 6749 §2.3.1): its client_id and client_secret, in the
// Authorization header (client_secret_basic) or in the body (client_secret_post).

export interface SiteClient {
  clientId: string;
  policy: LeadPolicy;
  nameIn(locale: Locale): string;
}

interface EngineClient {
  clientId: string;
  clientSecret?: string;
  clientAuthMethod?: string;
  metadata(): Record<string, unknown>;
}

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const form = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export function createLeadClients(provider: () => Provider) {
  async function find(clientId: string): Promise<EngineClient | undefined> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(clientId)) return undefined;
    return (await provider().Client.find(clientId).catch(() => undefined)) as EngineClient | undefined;
  }

  const siteOf = (client: EngineClient): SiteClient | undefined => {
    const metadata = client.metadata();
    const policy = leadPolicyOf(metadata);
    if (!policy) return undefined;
    return {
      clientId: client.clientId, policy,
      nameIn: (locale) => String(metadata[`client_name#${locale}`] ?? metadata.client_name ?? client.clientId),
    };
  };

  return {
    async site(clientId: string): Promise<SiteClient | undefined> {
      const client = await find(clientId);
      return client ? siteOf(client) : undefined;
    },

    /**
     * The client a request authenticates as, or undefined (wrong secret, unknown client, both or neither way
     * used, a client without a secret). `site` is undefined for a client that does not collect leads.
     */
    async authenticate(authorization: string | undefined, body: Record<string, unknown>): Promise<{ clientId: string; site?: SiteClient } | undefined> {
      const basic = basicCredentials(authorization);
      const posted = typeof body.client_id === 'string' && typeof body.client_secret === 'string'
        ? { id: body.client_id, secret: body.client_secret } : undefined;
      if (Boolean(basic) === Boolean(posted) || (authorization && !basic)) return undefined;
      const given = (basic ?? posted)!;
      const client = await find(given.id);
      const stored = client?.clientSecret;
      // Compared as digests: equal length, constant time, whatever was sent.
      const matches = timingSafeEqual(digest(stored ?? '\u0000unset'), digest(given.secret)) && stored !== undefined;
      if (!client || !matches || !SECRET_METHODS.has(client.clientAuthMethod ?? '')) return undefined;
      return { clientId: client.clientId, site: siteOf(client) };
    },
  };
}

export type LeadClients = ReturnType<typeof createLeadClients>;
