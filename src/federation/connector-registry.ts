import type { ConnectorFactory } from './connector.ts';
import { createOAuth2Connector } from './types/oauth2.connector.ts';
import { createOidcConnector } from './types/oidc.connector.ts';

// Connector types by name. The SAML work adds `saml` here (its connector also ends in a NormalizedProfile).
export const CONNECTOR_TYPES: Record<string, ConnectorFactory> = {
  oidc: createOidcConnector,
  oauth2: createOAuth2Connector,
};
