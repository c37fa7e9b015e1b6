import type { ConnectorFactory } from './connector.ts';
import { createOAuth2Connector } from './types/oauth2.connector.ts';
import { createOidcConnector } from './types/oidc.connector.ts';

// Connector types by name, built once by the composition root (container.ts) and passed to the connector service:
// `oidc` and `oauth2` are ours, other protocols (the SAML SP's `saml`) come in as `extra` (each also ends in a
// NormalizedProfile). Frozen: nothing adds a type at run time.
export type ConnectorTypes = Readonly<Record<string, ConnectorFactory>>;

export function createConnectorTypes(extra: Record<string, ConnectorFactory> = {}): ConnectorTypes {
  return Object.freeze({ oidc: createOidcConnector, oauth2: createOAuth2Connector, ...extra });
}
