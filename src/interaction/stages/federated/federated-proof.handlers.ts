import { z } from 'zod';
import type { UpstreamProfile } from '../../../federation/linking.service.ts';
import type { TransactionDocument } from '../../../federation/federation.models.ts';
import { AppError } from '../../../shared/app-error.ts';
import { code, defineStageForm, email, formError, parseForm, password, type Loaded } from '../../forms.ts';
import type { StageContext } from '../../stage.ts';
import type { FederatedFlow, FederatedStageDeps } from './federated-flow.ts';

// The POST steps after the upstream callback: confirming a new account, proving an existing one by password or by
// a mailed code, and continuing after a claim. A step the transaction is not at goes back to `continueFlow`; the
// transaction is loaded and its status checked before the form is read (the forms' `load`, see forms.ts).

export interface FlowSteps {
  continueFlow(stage: StageContext): Promise<void>;
  decide(stage: StageContext, tx: TransactionDocument): Promise<void>;
}

export function createProofHandlers(deps: FederatedStageDeps, flow: FederatedFlow, steps: FlowSteps) {
  const { continueFlow, decide } = steps;

  /**
   * The transaction, when it is at one of `statuses`; read before the form, as the step depends on it. Elsewhere the
   * flow goes on from where the transaction is, and the form is not read.
   */
  async function atStep(stage: StageContext, ...statuses: Array<TransactionDocument['status']>): Promise<Loaded<TransactionDocument>> {
    const tx = await flow.current(stage);
    if (statuses.includes(tx.status)) return { value: tx };
    await continueFlow(stage);
    return { skip: true };
  }

  /** Clients with `federation_signup: confirm`: the person sees what the account will hold and may edit the name. */
  const confirmSignup = defineStageForm({
    path: '/federation/signup',
    schema: z.object({ name: z.string().trim().max(200) }),
    errors: 'federation',
    load: (stage) => atStep(stage, 'awaiting_signup'),
    // Only the name is checked on the form; creating and linking the account fail to the error page.
    valid: async () => undefined,
    async done(stage, input, tx) {
      const profile = tx.profile as UpstreamProfile;
      const claims = { ...profile.claims, name: input.name || undefined };
      const account = await deps.linking.createAccount(profile.email!, true, { ...profile, claims }, tx.connectorId);
      if (!account) {
        await deps.transactions.set(tx._id, 'authenticated');
        return decide(stage, tx); // the address was taken meanwhile: prove it instead
      }
      await deps.linking.link(account._id, tx.connectorId, profile, 'new_account');
      await flow.signIn(stage, tx, account, ['fed']);
    },
    invalid: (stage, failure, tx) => flow.showSignup(stage, tx.profile as UpstreamProfile, failure.code, failure.status),
  });

  const proveByPassword = defineStageForm({
    path: '/federation/password',
    schema: z.object({ password }),
    errors: 'federation',
    load: async (stage) => {
      const at = await atStep(stage, 'awaiting_proof');
      return 'skip' in at ? at : { value: { tx: at.value, candidates: await flow.candidatesOf(at.value) } };
    },
    // A refused sign-in (blocked account) is said on this page too, like a wrong password.
    async valid(stage, input, { tx, candidates }) {
      const proven = await deps.accounts.authenticateAmong(candidates, input.password, stage.ctx.ip);
      if (!proven) {
        deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'proof_failed', method: 'password', ip: stage.ctx.ip });
        throw new AppError('federation.proof_failed', 400, { field: 'password' });
      }
      await deps.linking.link(proven._id, tx.connectorId, tx.profile as UpstreamProfile, 'password');
      await flow.signIn(stage, tx, proven, ['fed', 'pwd']);
    },
    invalid: (stage, failure, { tx, candidates }) => flow.showProof(stage, tx, candidates, failure.code, failure.status),
  });

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

  const verifyCode = defineStageForm({
    path: '/federation/verify',
    schema: z.object({ code }),
    errors: 'federation',
    load: (stage) => atStep(stage, 'awaiting_proof', 'awaiting_email'),
    async valid(_stage, input, tx) {
      if (!(await deps.transactions.checkCode(tx._id, input.code))) {
        deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'proof_failed', method: 'code' });
        throw new AppError('federation.invalid_code', 400, { field: 'code' });
      }
    },
    // Once the code is right, what linking refuses (a blocked account, a race) goes to the error page.
    done: (stage, _input, tx) => linkByMailbox(stage, tx),
    invalid: (stage, failure) => flow.showCode(stage, failure.code, failure.status),
  });

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
