import { z } from 'zod';
import type { UpstreamProfile } from '../../../federation/linking.service.ts';
import type { TransactionDocument } from '../../../federation/federation.models.ts';
import { AppError } from '../../../shared/app-error.ts';
import { code, email, formError, parseForm, password } from '../../forms.ts';
import type { StageContext } from '../../stage.ts';
import type { FederatedFlow, FederatedStageDeps } from './federated-flow.ts';

// The POST steps after the upstream callback: confirming a new account, proving an existing one by password or by
// a mailed code, and continuing after a claim. A step the transaction is not at goes back to `continueFlow`.

export interface FlowSteps {
  continueFlow(stage: StageContext): Promise<void>;
  decide(stage: StageContext, tx: TransactionDocument): Promise<void>;
}

export function createProofHandlers(deps: FederatedStageDeps, flow: FederatedFlow, steps: FlowSteps) {
  const { continueFlow, decide } = steps;

  /** Clients with `federation_signup: confirm`: the person sees what the account will hold and may edit the name. */
  async function confirmSignup(stage: StageContext) {
    const tx = await flow.current(stage);
    if (tx.status !== 'awaiting_signup') return continueFlow(stage);
    const profile = tx.profile as UpstreamProfile;
    let name: string | undefined;
    try {
      name = parseForm(z.object({ name: z.string().trim().max(200) }), stage.form, 'federation').name || undefined;
    } catch (error) {
      const failure = formError(stage.ctx, error);
      return flow.showSignup(stage, profile, failure.code, failure.status);
    }
    const claims = { ...profile.claims, name };
    const account = await deps.linking.createAccount(profile.email!, true, { ...profile, claims }, tx.connectorId);
    if (!account) {
      await deps.transactions.set(tx._id, 'authenticated');
      return decide(stage, tx); // the address was taken meanwhile: prove it instead
    }
    await deps.linking.link(account._id, tx.connectorId, profile, 'new_account');
    await flow.signIn(stage, tx, account, ['fed']);
  }

  async function proveByPassword(stage: StageContext) {
    const tx = await flow.current(stage);
    if (tx.status !== 'awaiting_proof') return continueFlow(stage);
    const candidates = await flow.candidatesOf(tx);
    try {
      const input = parseForm(z.object({ password }), stage.form, 'federation');
      const proven = await deps.accounts.authenticateAmong(candidates, input.password, stage.ctx.ip);
      if (!proven) {
        deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'proof_failed', method: 'password', ip: stage.ctx.ip });
        throw new AppError('federation.proof_failed', 400, { field: 'password' });
      }
      await deps.linking.link(proven._id, tx.connectorId, tx.profile as UpstreamProfile, 'password');
      await flow.signIn(stage, tx, proven, ['fed', 'pwd']);
    } catch (error) {
      const failure = formError(stage.ctx, error);
      await flow.showProof(stage, tx, candidates, failure.code, failure.status);
    }
  }

  async function sendCode(stage: StageContext) {
    const tx = await flow.current(stage);
    let to: string;
    try {
      if (tx.status === 'awaiting_proof') {
        const candidates = await flow.candidatesOf(tx);
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
      if (tx.status === 'awaiting_email') return flow.showEmail(stage, String(stage.form.email ?? ''), failure.code, failure.status);
      return flow.showProof(stage, tx, await flow.candidatesOf(tx), failure.code, failure.status);
    }
    const issued = await deps.transactions.issueCode(tx._id, to);
    // Same page and mail whether or not an account uses the address (no enumeration).
    await deps.mailer.send('federation-code', to, stage.locale, { code: issued, minutes: Math.round(deps.config.ttl.interaction / 60), brand: stage.brand });
    deps.audit('federation.code.sent', { connectorId: tx.connectorId });
    if (tx.status === 'awaiting_proof') await deps.transactions.set(tx._id, 'awaiting_proof', { email: tx.email });
    flow.showCode(stage);
  }

  async function verifyCode(stage: StageContext) {
    const tx = await flow.current(stage);
    if (tx.status !== 'awaiting_proof' && tx.status !== 'awaiting_email') return continueFlow(stage);
    try {
      const input = parseForm(z.object({ code }), stage.form, 'federation');
      if (!(await deps.transactions.checkCode(tx._id, input.code))) {
        deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'proof_failed', method: 'code' });
        throw new AppError('federation.invalid_code', 400, { field: 'code' });
      }
    } catch (error) {
      const failure = formError(stage.ctx, error);
      return flow.showCode(stage, failure.code, failure.status);
    }
    return linkByMailbox(stage, tx);
  }

  /** The code proved the mailbox of `tx.email`: create, link or claim the account that uses it. */
  async function linkByMailbox(stage: StageContext, tx: TransactionDocument) {
    const profile = tx.profile as UpstreamProfile;
    const owners = await deps.linking.accountsWithEmail(tx.email!);
    if (tx.status === 'awaiting_email' && owners.length === 0) {
      const account = await deps.linking.createAccount(tx.email!, true, { ...profile, email: tx.email }, tx.connectorId);
      if (!account) throw new AppError('federation.try_again', 409);
      await deps.linking.link(account._id, tx.connectorId, profile, 'new_account_email_code');
      return flow.signIn(stage, tx, account, ['fed', 'otp']);
    }
    const allowed = tx.status === 'awaiting_proof' ? owners.filter((a) => tx.candidateIds?.includes(a._id)) : owners;
    if (allowed.length !== 1) {
      // Several accounts share the address: the code proved the mailbox, a password must say which account.
      await deps.transactions.set(tx._id, 'awaiting_proof', { candidateIds: allowed.map((a) => a._id) });
      return flow.showProof(stage, { ...tx, candidateIds: allowed.map((a) => a._id) }, allowed);
    }
    const account = allowed[0]!;
    if (account.status !== 'active') return flow.signIn(stage, tx, account, ['fed', 'otp']); // refused, nothing claimed
    // Claimed before linking: the identities linked before the proof go, the one just proven stays.
    const claimed = account.emailVerified ? undefined : await deps.linking.claimByMailbox(account._id, tx.connectorId);
    await deps.linking.link(account._id, tx.connectorId, profile, claimed ? 'email_code_claim' : 'email_code');
    if (!claimed) return flow.signIn(stage, tx, account, ['fed', 'otp']);
    await deps.transactions.set(tx._id, 'claimed', { accountId: account._id, claimed });
    flow.showClaimed(stage, { ...tx, accountId: account._id, claimed });
  }

  /** "Continue" on the page that told the person what the claim removed. */
  async function continueClaimed(stage: StageContext) {
    const tx = await flow.current(stage);
    if (tx.status !== 'claimed' || !tx.accountId) return continueFlow(stage);
    const account = (await deps.linking.accountsByIds([tx.accountId]))[0];
    if (!account) throw new AppError('federation.try_again', 409);
    await flow.signIn(stage, tx, account, ['fed', 'otp']);
  }

  return { confirmSignup, proveByPassword, sendCode, verifyCode, continueClaimed };
}
