import type { Middleware } from 'koa';
import type Router from '@koa/router';
import type { AccountSection } from '../account/account.router.ts';
import type { Pages } from '../http/pages.ts';
import type { PolicyHooks } from '../oidc/policy/interaction-policy.ts';
import type { Provider } from '../oidc/provider.ts';

// The one shape of a feature's wiring (`<feature>/<feature>.module.ts` exporting `create<Feature>Module(deps)`),
// called once from the composition root (container.ts). A module builds its repositories and services from its
// deps and exposes, each only when it has one: its services (named properties, as the rest of the code and the
// tests read them: `container.federation.connectors`), its prompt hooks for the engine's interaction policy, its
// links on /account, and its routers. It never builds interaction stages: those are built in one place
// (src/interaction/stages/index.ts) from the services modules expose.

/** What the app (app.ts) hands every module's routers. */
export interface WebDeps {
  /** The current engine instance (rebuilt after a key rotation). */
  provider: () => Provider;
  pages: Pages;
  /** Body parser + CSRF for our own forms. */
  formMiddleware: Middleware[];
  /** The larger body parser of the SAML POST bindings. */
  samlForm: Middleware;
}

export interface FeatureModule {
  /** The module's services, by name. */
  [service: string]: unknown;
  /** Prompt hooks of the engine's interaction policy (src/oidc/policy). */
  policy?: Partial<PolicyHooks>;
  /** Links on /account, in the order shown. */
  accountSections?: AccountSection[];
  /** The module's routers, mounted by app.ts in the order returned. */
  routers?(web: WebDeps): Router[];
}
