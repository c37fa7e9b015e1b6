import { loginMethodsOf } from '../../../branding/branding-metadata.ts';
import type { ConnectorService } from '../../../federation/connector.service.ts';
import type { Provider } from '../../../oidc/provider.ts';

export async function clientMetadata(provider: () => Provider, clientId: string): Promise<Record<string, unknown>> {
  const client = await provider().Client.find(clientId);
  return (client?.metadata() ?? {}) as Record<string, unknown>;
}

/** The connectors a client offers: its `federation_connectors` list, or every enabled one. */
export async function offeredConnectors(deps: { provider: () => Provider; connectors: ConnectorService }, clientId: string) {
  const metadata = await clientMetadata(deps.provider, clientId);
  // login_methods without `federation` (src/branding): no upstream sign-in for this client at all.
  if (!loginMethodsOf(metadata).has('federation')) return [];
  return deps.connectors.enabled(metadata.federation_connectors as string[] | undefined);
}
