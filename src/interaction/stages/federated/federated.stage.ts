import { z } from 'zod';
import { loginMethodsOf } from '../branding/branding-metadata.ts';
import type { ClaimResult } from '../accounts/account-claim.service.ts';
import type { Account } from '../accounts/account.repository.ts';
import type { PasswordHasher } from '../accounts/password.hasher.ts';
import type { Config } from '../config/config.schema.ts';
import { AppError, isAppError } from '../http/app-error.ts';
import type { RateLimits } from '../http/rate-limits.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Audit } from '../ops/audit.ts';
import { ACR_PASSWORD, type Provider } from '../oidc/provider.ts';
import { code, email, formError, parseForm, password } from '../interaction/forms.ts';
import type { Stage, StageContext } from '../interaction/stage.ts';
import type { BindingCookie } from './binding-cookie.ts';
import type { ConnectorService } from './connector.service.ts';
import type { TransactionDocument } from './federation.models.ts';
import type { LinkingService, UpstreamProfile } from './linking.service.ts';
import type { TransactionService } from './transaction.service.ts';

// Upstream sign-in inside the `login` prompt: /interaction/:uid/federation?connector=<id> starts it; after the
// callback (federation.router.ts) the browser comes back to /federation/continue, where the linking decision is
// made and, when needed, the person proves an existing account or confirms an email address.
// amr (RFC 8176 §2) says how: 'fed' for the upstream, plus 'pwd' or 'otp' when an account was proven to link.
// An account whose own address was never verified is claimed when the mailbox is proven by code (linking.service.ts):
// the person is shown what was removed before the sign-in finishes.

export interface FederatedStageDeps {
  config: Config;
  provider: () => Provider;
  connectors: ConnectorService;
  transactions: TransactionService;
  linking: LinkingService;
  binding: BindingCookie;
  hasher: PasswordHasher;
  mailer: Mailer;
  limits: RateLimits;
  audit: Audit;
}

async function clientMetadata(provider: () => Provider, clientId: string): Promise<Record<string, unknown>> {
  const client = await provider().Client.find(clientId);
  return (client?.metadata() ?? {}) as Record<string, unknown>;
}

/** The connectors a client offers: its `federation_connectors` list, or every enabled one. */
export async function offeredConnectors(deps: Pick<FederatedStageDeps, 'provider' | 'connectors'>, clientId: string) {
  const metadata = await clientMetadata(deps.provider, clientId);
  // login_methods without `federation` (src/branding): no upstream sign-in for this client at all.
  if (!loginMethodsOf(metadata).has('federation')) return [];
  return deps.connectors.enabled(metadata.federation_connectors as string[] | undefined);
}

export function createFederatedStage(deps: FederatedStageDeps): Stage {
  const base = (stage: StageContext) => `/interaction/${stage.interaction.uid}/federation`;

  async function current(stage: StageContext): Promise<TransactionDocument> {
    const tx = await deps.transactions.current(stage.interaction.uid, deps.binding.read(stage.ctx)?.value);
    if (!tx) throw new AppError('federation.no_transaction', 400);
    return tx;
  }

  async function connectorName(id: string) {
    return (await deps.connectors.enabled([id]))[0]?.displayName ?? id;
  }

  async function signIn(stage: StageContext, tx: TransactionDocument, account: Account, amr: string[]) {
    if (account.status !== 'active') {
      deps.audit('federation.login.refused', { connectorId: tx.connectorId, accountId: account._id, reason: 'blocked' });
      throw new AppError('account.blocked', 403);
    }
    await deps.transactions.set(tx._id, 'done', { accountId: account._id });
    deps.audit('login.succeeded', { accountId: account._id, client: stage.interaction.client.clientId, amr, connectorId: tx.connectorId });
    await stage.finishLogin({ accountId: account._id, acr: ACR_PASSWORD, amr });
  }

  async function showFailure(stage: StageContext, tx: Pick<TransactionDocument, 'connectorId'> | undefined, error: string, status = 400) {
    const name = tx ? await connectorName(tx.connectorId) : undefined;
    stage.render('federation-failed', {
      title: 'federation.failed_title', error, name,
      retryUrl: tx ? `${base(stage)}?connector=${encodeURIComponent(tx.connectorId)}` : undefined,
      loginUrl: `/interaction/${stage.interaction.uid}`,
    }, status);
  }

  async function showProof(stage: StageContext, tx: TransactionDocument, candidates: Account[], error?: string, status = 200) {
    stage.render('federation-link', {
      title: 'federation.link_title', error, name: await connectorName(tx.connectorId), email: candidates[0]?.email,
      passwordAction: `${base(stage)}/password`, codeAction: `${base(stage)}/code`,
      // One address, several accounts: the mailbox proves them all, so only a password tells which one.
      offerCode: candidates.length === 1, several: candidates.length > 1,
      // The upstream verified this address, so saying that the account's own address is unverified tells its owner only.
      unverified: candidates.length === 1 && !candidates[0]!.emailVerified,
    }, status);
  }

  const showEmail = (stage: StageContext, typed: string, error?: string, status = 200) => stage.render('federation-email', {
    title: 'federation.email_title', error, email: typed, emailAction: `${base(stage)}/code`,
  }, status);

  const showSignup = (stage: StageContext, profile: UpstreamProfile, error?: string, status = 200) => stage.render('federation-signup', {
    title: 'federation.signup_title', error, email: profile.email, name: profile.claims.name ?? '', signupAction: `${base(stage)}/signup`,
  }, status);

  const showCode = (stage: StageContext, error?: string, status = 200) => stage.render('federation-code', {
    title: 'federation.code_title', error, verifyAction: `${base(stage)}/verify`,
  }, status);

  const showClaimed = (stage: StageContext, tx: TransactionDocument) => stage.render('federation-claimed', {
    title: 'federation.claimed_title', email: tx.email, continueAction: `${base(stage)}/claimed`,
    removed: claimedParts(tx.claimed),
  });

  async function candidatesOf(tx: TransactionDocument): Promise<Account[]> {
    return deps.linking.accountsByIds(tx.candidateIds ?? []);
  }

  /** After the callback: decide, then sign in, ask for proof, or ask for an email address. */
  async function decide(stage: StageContext, tx: TransactionDocument) {
    const profile = tx.profile as UpstreamProfile;
    const resolution = await deps.linking.resolve(tx.connectorId, profile);
    if (resolution.kind === 'signin') return signIn(stage, tx, resolution.account, ['fed']);
    if (resolution.kind === 'create' && (await clientMetadata(deps.provider, stage.interaction.client.clientId)).federation_signup === 'confirm') {
      await deps.transactions.set(tx._id, 'awaiting_signup');
      return showSignup(stage, profile);
    }
    if (resolution.kind === 'create') {
      const account = await deps.linking.createAccount(profile.email!, true, profile, tx.connectorId);
      if (account) {
        await deps.linking.link(account._id, tx.connectorId, profile, 'new_account');
        return signIn(stage, tx, account, ['fed']);
      }
      return decide(stage, tx); // the address was taken meanwhile: prove it instead
    }
    if (resolution.kind === 'prove') {
      deps.audit('federation.link.proof_required', { connectorId: tx.connectorId, candidates: resolution.candidates.length });
      await deps.transactions.set(tx._id, 'awaiting_proof', { candidateIds: resolution.candidates.map((a) => a._id), email: profile.email });
      tx.candidateIds = resolution.candidates.map((a) => a._id);
      tx.email = profile.email;
      return showProof(stage, tx, resolution.candidates);
    }
    if (profile.email) deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'email_not_verified' });
    await deps.transactions.set(tx._id, 'awaiting_email');
    return showEmail(stage, profile.email ?? '');
  }

  async function continueFlow(stage: StageContext) {
    const tx = await deps.transactions.current(stage.interaction.uid, deps.binding.read(stage.ctx)?.value);
    if (!tx) return showFailure(stage, undefined, 'federation.no_transaction');
    if (tx.status === 'failed') return showFailure(stage, tx, tx.error ?? 'federation.upstream_error');
    if (tx.status === 'awaiting_proof') return showProof(stage, tx, await candidatesOf(tx));
    if (tx.status === 'awaiting_signup') return showSignup(stage, tx.profile as UpstreamProfile);
    if (tx.status === 'awaiting_email') return tx.codeDigest ? showCode(stage) : showEmail(stage, tx.profile?.email ?? '');
    if (tx.status === 'claimed') return showClaimed(stage, tx);
    if (tx.status !== 'authenticated') return showFailure(stage, tx, 'federation.no_transaction');
    try {
      await decide(stage, tx);
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      await deps.transactions.failed(tx._id, error.code);
      await showFailure(stage, tx, error.code, error.status);
    }
  }

  async function start(stage: StageContext) {
    const connectorId = typeof stage.ctx.query.connector === 'string' ? stage.ctx.query.connector : '';
    const offered = await offeredConnectors(deps, stage.interaction.client.clientId);
    const connector = offered.some((c) => c.id === connectorId) ? await deps.connectors.get(connectorId) : undefined;
    if (!connector) return showFailure(stage, undefined, 'federation.unknown_connector', 404);
    const binding = deps.binding.create(stage.ctx, stage.interaction.uid, deps.config.ttl.interaction);
    const redirectUri = `${deps.config.issuer}/federation/${connector.record.id}/callback`;
    const upstream = await deps.transactions.start(connector.record.id, stage.interaction.uid, binding.value, redirectUri);
    // The RP's login_hint (OIDC Core §3.1.2.1) is passed on: it names the person, whatever the IdP.
    const url = await connector.authorizationUrl(upstream, stage.interaction.params.login_hint);
    deps.audit('federation.started', { connectorId: connector.record.id, client: stage.interaction.client.clientId });
    stage.ctx.set('Cache-Control', 'no-store');
    stage.ctx.status = 303;
    stage.ctx.redirect(url.toString());
  }

  return {
    prompt: 'login',
    routes: [
      { method: 'GET', path: '/federation', handle: start },
      { method: 'GET', path: '/federation/continue', handle: continueFlow },
      { method: 'POST', path: '/federation/password', handle: (stage) => proveByPassword(stage) },
      { method: 'POST', path: '/federation/code', handle: (stage) => sendCode(stage) },
      { method: 'POST', path: '/federation/verify', handle: (stage) => verifyCode(stage) },
      { method: 'POST', path: '/federation/signup', handle: (stage) => confirmSignup(stage) },
      { method: 'POST', path: '/federation/claimed', handle: (stage) => continueClaimed(stage) },
    ],
  };

  /** Clients with `federation_signup: confirm`: the person sees what the account will hold and may edit the name. */
  async function confirmSignup(stage: StageContext) {
    const tx = await current(stage);
    if (tx.status !== 'awaiting_signup') return continueFlow(stage);
    const profile = tx.profile as UpstreamProfile;
    let name: string | undefined;
    try {
      name = parseForm(z.object({ name: z.string().trim().max(200) }), stage.form, 'federation').name || undefined;
    } catch (error) {
      const failure = formError(stage.ctx, error);
      return showSignup(stage, profile, failure.code, failure.status);
    }
    const claims = { ...profile.claims, name };
    const account = await deps.linking.createAccount(profile.email!, true, { ...profile, claims }, tx.connectorId);
    if (!account) {
      await deps.transactions.set(tx._id, 'authenticated');
      return decide(stage, tx); // the address was taken meanwhile: prove it instead
    }
    await deps.linking.link(account._id, tx.connectorId, profile, 'new_account');
    await signIn(stage, tx, account, ['fed']);
  }

  async function proveByPassword(stage: StageContext) {
    const tx = await current(stage);
    if (tx.status !== 'awaiting_proof') return continueFlow(stage);
    const candidates = await candidatesOf(tx);
    try {
      const input = parseForm(z.object({ password }), stage.form, 'federation');
      await deps.limits.check('loginPerIp', stage.ctx.ip);
      for (const candidate of candidates) await deps.limits.check('loginPerAccount', candidate.emailNormalized);
      let proven: Account | undefined;
      // Every candidate's hash is checked (no early exit), so the time says nothing about which one matched.
      for (const candidate of candidates) {
        const ok = candidate.passwordHash ? await deps.hasher.verify(candidate.passwordHash, input.password) : false;
        if (ok && !proven) proven = candidate;
      }
      if (!proven) {
        await deps.limits.consume('loginPerIp', stage.ctx.ip).catch(() => undefined);
        await deps.limits.consume('loginPerAccount', candidates[0]?.emailNormalized ?? '').catch(() => undefined);
        deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'proof_failed', method: 'password', ip: stage.ctx.ip });
        throw new AppError('federation.proof_failed', 400, { field: 'password' });
      }
      await deps.linking.link(proven._id, tx.connectorId, tx.profile as UpstreamProfile, 'password');
      await signIn(stage, tx, proven, ['fed', 'pwd']);
    } catch (error) {
      const failure = formError(stage.ctx, error);
      await showProof(stage, tx, candidates, failure.code, failure.status);
    }
  }

  async function sendCode(stage: StageContext) {
    const tx = await current(stage);
    let to: string;
    try {
      if (tx.status === 'awaiting_proof') {
        const candidates = await candidatesOf(tx);
        if (candidates.length !== 1) throw new AppError('federation.proof_failed', 400);
        to = candidates[0]!.email;
      } else if (tx.status === 'awaiting_email') {
        to = parseForm(z.object({ email }), stage.form, 'federation').email;
      } else {
        return continueFlow(stage);
      }
      await deps.limits.consume('mailPerIp', stage.ctx.ip);
    } catch (error) {
      const failure = formError(stage.ctx, error);
      if (tx.status === 'awaiting_email') return showEmail(stage, String(stage.form.email ?? ''), failure.code, failure.status);
      return showProof(stage, tx, await candidatesOf(tx), failure.code, failure.status);
    }
    const issued = await deps.transactions.issueCode(tx._id, to);
    // Same page and mail whether or not an account uses the address (no enumeration).
    await deps.mailer.send('federation-code', to, stage.locale, { code: issued, minutes: Math.round(deps.config.ttl.interaction / 60), brand: stage.brand });
    deps.audit('federation.code.sent', { connectorId: tx.connectorId });
    if (tx.status === 'awaiting_proof') await deps.transactions.set(tx._id, 'awaiting_proof', { email: tx.email });
    showCode(stage);
  }

  async function verifyCode(stage: StageContext) {
    const tx = await current(stage);
    if (tx.status !== 'awaiting_proof' && tx.status !== 'awaiting_email') return continueFlow(stage);
    try {
      const input = parseForm(z.object({ code }), stage.form, 'federation');
      if (!(await deps.transactions.checkCode(tx._id, input.code))) {
        deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'proof_failed', method: 'code' });
        throw new AppError('federation.invalid_code', 400, { field: 'code' });
      }
    } catch (error) {
      const failure = formError(stage.ctx, error);
      return showCode(stage, failure.code, failure.status);
    }
    const profile = tx.profile as UpstreamProfile;
    const owners = await deps.linking.accountsWithEmail(tx.email!);
    if (tx.status === 'awaiting_email' && owners.length === 0) {
      const account = await deps.linking.createAccount(tx.email!, true, { ...profile, email: tx.email }, tx.connectorId);
      if (!account) throw new AppError('federation.try_again', 409);
      await deps.linking.link(account._id, tx.connectorId, profile, 'new_account_email_code');
      return signIn(stage, tx, account, ['fed', 'otp']);
    }
    const allowed = tx.status === 'awaiting_proof' ? owners.filter((a) => tx.candidateIds?.includes(a._id)) : owners;
    if (allowed.length !== 1) {
      // Several accounts share the address: the code proved the mailbox, a password must say which account.
      await deps.transactions.set(tx._id, 'awaiting_proof', { candidateIds: allowed.map((a) => a._id) });
      return showProof(stage, { ...tx, candidateIds: allowed.map((a) => a._id) }, allowed);
    }
    const account = allowed[0]!;
    if (account.status !== 'active') return signIn(stage, tx, account, ['fed', 'otp']); // refused, nothing claimed
    // Claimed before linking: the identities linked before the proof go, the one just proven stays.
    const claimed = account.emailVerified ? undefined : await deps.linking.claimByMailbox(account._id, tx.connectorId);
    await deps.linking.link(account._id, tx.connectorId, profile, claimed ? 'email_code_claim' : 'email_code');
    if (!claimed) return signIn(stage, tx, account, ['fed', 'otp']);
    await deps.transactions.set(tx._id, 'claimed', { accountId: account._id, claimed });
    showClaimed(stage, { ...tx, accountId: account._id, claimed });
  }

  /** "Continue" on the page that told the person what the claim removed. */
  async function continueClaimed(stage: StageContext) {
    const tx = await current(stage);
    if (tx.status !== 'claimed' || !tx.accountId) return continueFlow(stage);
    const account = (await deps.linking.accountsByIds([tx.accountId]))[0];
    if (!account) throw new AppError('federation.try_again', 409);
    await signIn(stage, tx, account, ['fed', 'otp']);
  }
}

/** The parts a claim removed, as i18n keys of the page's list (only those there were). */
function claimedParts(claimed: ClaimResult | undefined): string[] {
  if (!claimed) return [];
  const parts: Array<[boolean, string]> = [
    [claimed.password, 'password'], [claimed.sessions + claimed.grants > 0, 'sessions'], [claimed.factors > 0, 'factors'],
    [claimed.devices > 0, 'devices'], [claimed.identities > 0, 'identities'],
  ];
  return parts.filter(([present]) => present).map(([, key]) => `federation.claimed.${key}`);
}
