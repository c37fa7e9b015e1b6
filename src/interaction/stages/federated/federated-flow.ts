import type { ClaimResult } from '../../../accounts/account-claim.service.ts';
import type { Account } from '../../../accounts/account.repository.ts';
import type { AccountService } from '../../../accounts/account.service.ts';
import type { TransactionDocument } from '../../../federation/federation.models.ts';
import type { UpstreamProfile } from '../../../federation/linking.service.ts';
import type { FederationFlowDeps } from '../../../federation/federation-flow-deps.ts';
import { AppError } from '../../../shared/app-error.ts';
import type { RateLimits } from '../../../config/config.schema.ts';
import type { Mailer } from '../../../mail/mailer.ts';
import type { Audit } from '../../../shared/audit.ts';
import { ACR } from '../../../mfa/acr.ts';
import type { StageContext } from '../../stage.ts';

// What every step of the upstream sign-in shares: the current transaction, signing in, and the pages it renders.

export interface FederatedStageDeps extends FederationFlowDeps {
  /** Proves an existing account by password before linking (counted like a sign-in). */
  accounts: Pick<AccountService, 'authenticateAmong'>;
  mailer: Mailer;
  limits: RateLimits;
  audit: Audit;
}

export type FederatedFlow = ReturnType<typeof createFederatedFlow>;

export function createFederatedFlow(deps: FederatedStageDeps) {
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
    await stage.finishLogin({ accountId: account._id, acr: ACR.password, amr });
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

  return { base, current, signIn, candidatesOf, showFailure, showProof, showEmail, showSignup, showCode, showClaimed };
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
