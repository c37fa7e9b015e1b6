import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Config } from '../config/config.schema.ts';
import type { Pages } from '../http/pages.ts';
import type { Audit } from '../shared/audit.ts';
import type { Provider } from '../oidc/provider.ts';
import type { Interaction, StageContext, StageRegistry } from './stage.ts';
import { openStepState, sealStepState } from './step-state.ts';
import { AppError } from '../shared/app-error.ts';
import { loginRouteOffered } from '../branding/login-method-gate.ts';
import { brandView } from '../branding/brand-view.ts';

// /interaction/:uid[/sub-path]: loads the engine's interaction, finds the stage registered for its current
// prompt, and hands the request to that stage's route. A request for another stage's sub-path (an old tab, the
// back button) is sent to the current step. An expired or unknown interaction shows a page with a way back to
// the client, never a stack trace.

export interface InteractionRouterDeps {
  config: Config;
  provider: () => Provider;
  stages: StageRegistry;
  pages: Pages;
  audit: Audit;
  /** Body parsing and CSRF, applied to these routes only (the engine parses its own bodies). */
  formMiddleware: Middleware[];
  /** Runs when a sign-in finishes, before the engine's later prompts (a lead of the address is carried into the account). */
  onLogin?: (accountId: string) => Promise<void>;
}

const RETURN_COOKIE = 'return';

/** The document title of each interaction view (WCAG 2.4.2: every page has a title saying what it is for). */
const TITLES: Record<string, string> = {
  login: 'login.title', register: 'register.title', 'verify-email': 'verify.title', consent: 'consent.title',
  'forgot-password': 'forgot.title', 'forgot-password-sent': 'forgot.sent_title',
};

export function createInteractionRouter(deps: InteractionRouterDeps): Router {
  const router = new Router();
  const paths = new Set<string>();
  for (const stage of deps.stages.values()) for (const route of stage.routes) paths.add(route.path);
  paths.add('/abort');

  for (const sub of paths) {
    const pattern = `/interaction/:uid${sub}`;
    router.get(pattern, ...deps.formMiddleware, (ctx) => dispatch(ctx, 'GET', sub));
    router.post(pattern, ...deps.formMiddleware, (ctx) => dispatch(ctx, 'POST', sub));
  }

  async function dispatch(ctx: Context, method: 'GET' | 'POST', sub: string) {
    const loaded = await load(ctx);
    if (!loaded) return;
    const { interaction } = loaded;
    const stageContext = createStageContext(ctx, interaction, loaded.engine);
    if (sub === '/abort') {
      deps.audit('interaction.aborted', { client: interaction.client.clientId, prompt: interaction.prompt.name });
      await stageContext.finish({ error: 'access_denied', error_description: 'End-User aborted interaction' });
      return;
    }
    const stage = deps.stages.get(interaction.prompt.name);
    const route = stage?.routes.find((r) => r.method === method && r.path === sub);
    if (!stage) throw new Error(`no stage registered for prompt ${interaction.prompt.name}`);
    if (!route) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${interaction.uid}`);
      return;
    }
    // A sign-in method the client does not offer (login_methods, src/branding) is refused, not only hidden.
    if (!loginRouteOffered(ctx.state.brandClient as Record<string, unknown>, stage.prompt, method, sub)) {
      throw new AppError('branding.method_not_offered', 403);
    }
    await route.handle(stageContext);
  }

  async function load(ctx: Context): Promise<{ interaction: Interaction; engine: EngineInteraction } | undefined> {
    const provider = deps.provider();
    let details: EngineInteraction;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (error) {
      if ((error as Error).name !== 'SessionNotFound') throw error;
      await renderExpired(ctx);
      return undefined;
    }
    if (details.uid !== ctx.params.uid) {
      await renderExpired(ctx);
      return undefined;
    }
    const params = details.params as Interaction['params'];
    const client = await provider.Client.find(params.client_id);
    if (!client) throw new Error('interaction for an unknown client');
    const metadata = client.metadata() as Record<string, unknown>;
    // Every page of this request, error pages included, carries the client's branding (src/http/pages.ts).
    ctx.state.brandClient = metadata;
    ctx.cookies.set(`${deps.config.cookies.prefix}_${RETURN_COOKIE}`, client.clientId, {
      signed: true, httpOnly: true, sameSite: 'lax', path: '/interaction', maxAge: 24 * 3600 * 1000, secure: ctx.secure,
    });
    const interaction: Interaction = {
      uid: details.uid,
      prompt: details.prompt as Interaction['prompt'],
      params,
      session: details.session as Interaction['session'],
      grantId: details.grantId,
      lastSubmission: details.lastSubmission as Record<string, unknown> | undefined,
      client: {
        clientId: client.clientId,
        name: (metadata.client_name as string | undefined) ?? client.clientId,
        localizedNames: localizedNames(metadata),
        firstParty: metadata.first_party === true,
        logoUri: metadata.logo_uri as string | undefined,
        clientUri: metadata.client_uri as string | undefined,
        policyUri: metadata.policy_uri as string | undefined,
        tosUri: metadata.tos_uri as string | undefined,
      },
    };
    return { interaction, engine: details };
  }

  /** The interaction is gone (expired, finished, or another browser): offer the way back to the client's site. */
  async function renderExpired(ctx: Context) {
    let back: { name: string; url: string } | undefined;
    const clientId = ctx.cookies.get(`${deps.config.cookies.prefix}_${RETURN_COOKIE}`, { signed: true });
    const client = clientId ? await deps.provider().Client.find(clientId).catch(() => undefined) : undefined;
    if (client) {
      const metadata = client.metadata() as Record<string, string | undefined>;
      const url = metadata.initiate_login_uri ?? metadata.client_uri ?? URL.parse(client.redirectUris?.[0] ?? '')?.origin;
      if (url && /^https?:/.test(url)) back = { name: metadata.client_name ?? client.clientId, url };
    }
    deps.audit('interaction.expired', { client: client?.clientId });
    deps.pages.render(ctx, 'pages/expired', { back }, { status: 400, client: client?.metadata() as Record<string, unknown> | undefined });
  }

  function createStageContext(ctx: Context, interaction: Interaction, engine: EngineInteraction): StageContext {
    const pendingName = `${deps.config.cookies.prefix}_pending`;
    const pendingOptions = {
      signed: true, httpOnly: true, sameSite: 'lax' as const, path: `/interaction/${interaction.uid}`, secure: ctx.secure,
    };
    const locale = deps.pages.locale(ctx, interaction.params.ui_locales);
    const common = {
      uid: interaction.uid,
      client: { ...interaction.client, name: interaction.client.localizedNames?.[locale] ?? interaction.client.name },
      abortUrl: `/interaction/${interaction.uid}/abort`,
      action: (sub = '') => `/interaction/${interaction.uid}${sub}`,
    };
    const stage: StageContext = {
      ctx,
      interaction,
      locale,
      brand: ctx.state.brandClient ? brandView(ctx.state.brandClient as Record<string, unknown>, locale) : undefined,
      form: (ctx.request.body ?? {}) as Record<string, unknown>,
      render(view, model = {}, status = 200) {
        deps.pages.render(ctx, `interaction/${view}`, { ...common, action: common.action(), title: TITLES[view], ...model }, {
          status, uiLocales: interaction.params.ui_locales, redirectUri: interaction.params.redirect_uri,
        });
      },
      async finish(result, options = {}) {
        const to = await saveResult(engine, result, options.merge ?? false);
        ctx.set('Cache-Control', 'no-store');
        ctx.status = 303;
        ctx.redirect(to);
      },
      async finishLogin(login, extra = {}) {
        stage.pending.clear();
        await deps.onLogin?.(login.accountId);
        await stage.finish({ ...extra, login: { remember: true, ...login } });
      },
      pending: {
        get: (binding = {}) => openStepState(ctx.cookies.get(pendingName, { signed: true }), { uid: interaction.uid, ...binding }),
        set: (value, { accountId, ttlSeconds = deps.config.ttl.interaction } = {}) => {
          const sealed = sealStepState(value, { uid: interaction.uid, accountId }, ttlSeconds * 1000);
          ctx.cookies.set(pendingName, sealed, { ...pendingOptions, maxAge: ttlSeconds * 1000 });
        },
        clear: () => ctx.cookies.set(pendingName, null, pendingOptions),
      },
    };
    return stage;
  }

  return router;
}

type EngineInteraction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * What the engine's interactionResult() does (lib/provider.js), on the interaction this request already loaded:
 * interactionResult() would look it up in the store a second time, one more MongoDB round trip per step.
 */
async function saveResult(interaction: EngineInteraction, result: Record<string, unknown>, mergeWithLastSubmission: boolean): Promise<string> {
  interaction.result = mergeWithLastSubmission && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

/** Language-tagged client names (RFC 7591 §2.2, `client_name#ja`), by language. */
function localizedNames(metadata: Record<string, unknown>): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    const tag = /^client_name#([a-z]{2})(?:-[A-Za-z0-9-]+)?$/.exec(key)?.[1];
    if (tag && typeof value === 'string') names[tag] = value;
  }
  return names;
}
