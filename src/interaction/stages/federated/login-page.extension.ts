import type { LoginPageExtension } from '../login/login.stage.ts';
import type { ConnectorService } from '../../../federation/connector.service.ts';
import type { Provider } from '../../../oidc/provider.ts';
import type { TransactionService } from '../../../federation/transaction.service.ts';
import { offeredConnectors } from './offered-connectors.ts';

// The upstream sign-in buttons on the sign-in and sign-up pages (one per connector the client offers, each with
// data-connector="<id>"), and the `kc_idp_hint` authorization parameter (as Keycloak names it) that skips the
// page and goes straight to one connector, once: after a failed or cancelled attempt the page is shown.

export function createFederationLoginExtension(deps: {
  provider: () => Provider; connectors: ConnectorService; transactions: TransactionService;
}): LoginPageExtension {
  return {
    async model(stage) {
      const connectors = await offeredConnectors(deps, stage.interaction.client.clientId);
      return {
        connectors: connectors.map((c) => ({
          id: c.id, name: c.displayName, logoUri: c.logoUri,
          href: `/interaction/${stage.interaction.uid}/federation?connector=${encodeURIComponent(c.id)}`,
        })),
      };
    },
    async intercept(stage) {
      const hint = stage.interaction.params.kc_idp_hint;
      if (!hint || (await deps.transactions.anyFor(stage.interaction.uid))) return false;
      const offered = await offeredConnectors(deps, stage.interaction.client.clientId);
      if (!offered.some((c) => c.id === hint)) return false;
      stage.ctx.status = 303;
      stage.ctx.redirect(`/interaction/${stage.interaction.uid}/federation?connector=${encodeURIComponent(hint)}`);
      return true;
    },
  };
}
