import type { Config } from '../config/config.schema.ts';
import type { Provider } from '../oidc/provider.ts';
import type { BindingCookie } from './binding-cookie.ts';
import type { ConnectorService } from './connector.service.ts';
import type { LinkingService } from './linking.service.ts';
import type { TransactionService } from './transaction.service.ts';

/**
 * What every page of an upstream sign-in needs, whether it signs in (interaction/stages/federated) or links an
 * identity to the signed-in account (/account/identities): the connectors, the bound transaction and the linking rules.
 */
export interface FederationFlowDeps {
  config: Config;
  provider: () => Provider;
  connectors: ConnectorService;
  transactions: TransactionService;
  linking: LinkingService;
  binding: BindingCookie;
}
