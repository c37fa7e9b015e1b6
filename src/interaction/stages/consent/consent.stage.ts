import { z } from 'zod';
import type { Audit } from '../../../shared/audit.ts';
import { grantConsent, type ConsentDetails } from '../../../oidc/grants.ts';
import type { Provider } from '../../../oidc/provider.ts';
import { parseForm } from '../../forms.ts';
import type { Stage } from '../../stage.ts';

// The engine's `consent` prompt for third-party clients (first-party ones are granted in oidc/grants.ts): shows
// what the client asks for; allow adds exactly that to the grant, deny returns access_denied to the client.
const decisionForm = z.object({ decision: z.enum(['allow', 'deny']) });

export function createConsentStage(deps: { provider: () => Provider; audit: Audit }): Stage {
  return {
    prompt: 'consent',
    routes: [
      {
        method: 'GET',
        path: '',
        async handle(stage) {
          const details = stage.interaction.prompt.details as ConsentDetails;
          const scopes = (details.missingOIDCScope ?? []).filter((s) => s !== 'openid').map((scope) => ({ key: `scopes.${scope}`, scope }));
          const claims = details.missingOIDCClaims ?? [];
          const apis = Object.entries(details.missingResourceScopes ?? {}).map(([indicator, list]) => ({ indicator, scopes: list.join(' ') }));
          stage.render('consent', { scopes, claims, apis, hasOfflineAccess: scopes.some((s) => s.scope === 'offline_access') });
        },
      },
      {
        method: 'POST',
        path: '',
        async handle(stage) {
          const { decision } = parseForm(decisionForm, stage.form, 'consent');
          const { interaction } = stage;
          const accountId = interaction.session?.accountId;
          if (decision === 'deny' || !accountId) {
            deps.audit('consent.denied', { accountId, client: interaction.client.clientId });
            await stage.finish({ error: 'access_denied', error_description: 'End-User denied the request' }, { merge: true });
            return;
          }
          const grantId = await grantConsent(deps.provider(), {
            grantId: interaction.grantId, accountId, clientId: interaction.client.clientId,
            details: interaction.prompt.details as ConsentDetails,
          });
          deps.audit('consent.granted', { accountId, client: interaction.client.clientId, details: interaction.prompt.details });
          await stage.finish({ consent: interaction.grantId ? {} : { grantId } }, { merge: true });
        },
      },
    ],
  };
}
