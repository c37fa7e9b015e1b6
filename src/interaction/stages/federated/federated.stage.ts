import { isAppError } from '../../../shared/app-error.ts';
import type { TransactionDocument } from '../../../federation/federation.models.ts';
import type { UpstreamProfile } from '../../../federation/linking.service.ts';
import type { Stage, StageContext } from '../../stage.ts';
import { createFederatedFlow, type FederatedStageDeps } from './federated-flow.ts';
import { createProofHandlers } from './federated-proof.handlers.ts';
import { clientMetadata, offeredConnectors } from './offered-connectors.ts';

export type { FederatedStageDeps } from './federated-flow.ts';

// Upstream sign-in inside the `login` prompt: /interaction/:uid/federation?connector=<id> starts it; after the
// callback (src/federation/federation.router.ts) the browser comes back to /federation/continue, where the linking
// decision is made and, when needed, the person proves an existing account or confirms an email address.
// amr (RFC 8176 §2) says how: 'fed' for the upstream, plus 'pwd' or 'otp' when an account was proven to link.
// An account whose own address was never verified is claimed when the mailbox is proven by code (linking.service.ts):
// the person is shown what was removed before the sign-in finishes.

export function createFederatedStage(deps: FederatedStageDeps): Stage {
  const flow = createFederatedFlow(deps);

  /** After the callback: decide, then sign in, ask for proof, or ask for an email address. */
  async function decide(stage: StageContext, tx: TransactionDocument): Promise<void> {
    const profile = tx.profile as UpstreamProfile;
    const resolution = await deps.linking.resolve(tx.connectorId, profile);
    if (resolution.kind === 'signin') return flow.signIn(stage, tx, resolution.account, ['fed']);
    if (resolution.kind === 'create' && (await clientMetadata(deps.provider, stage.interaction.client.clientId)).federation_signup === 'confirm') {
      await deps.transactions.set(tx._id, 'awaiting_signup');
      return flow.showSignup(stage, profile);
    }
    if (resolution.kind === 'create') {
      const account = await deps.linking.createAccount(profile.email!, true, profile, tx.connectorId);
      if (account) {
        await deps.linking.link(account._id, tx.connectorId, profile, 'new_account');
        return flow.signIn(stage, tx, account, ['fed']);
      }
      return decide(stage, tx); // the address was taken meanwhile: prove it instead
    }
    if (resolution.kind === 'prove') {
      deps.audit('federation.link.proof_required', { connectorId: tx.connectorId, candidates: resolution.candidates.length });
      await deps.transactions.set(tx._id, 'awaiting_proof', { candidateIds: resolution.candidates.map((a) => a._id), email: profile.email });
      tx.candidateIds = resolution.candidates.map((a) => a._id);
      tx.email = profile.email;
      return flow.showProof(stage, tx, resolution.candidates);
    }
    if (profile.email) deps.audit('federation.link.refused', { connectorId: tx.connectorId, reason: 'email_not_verified' });
    await deps.transactions.set(tx._id, 'awaiting_email');
    return flow.showEmail(stage, profile.email ?? '');
  }

  async function continueFlow(stage: StageContext): Promise<void> {
    const tx = await deps.transactions.current(stage.interaction.uid, deps.binding.read(stage.ctx)?.value);
    if (!tx) return flow.showFailure(stage, undefined, 'federation.no_transaction');
    if (tx.status === 'failed') return flow.showFailure(stage, tx, tx.error ?? 'federation.upstream_error');
    if (tx.status === 'awaiting_proof') return flow.showProof(stage, tx, await flow.candidatesOf(tx));
    if (tx.status === 'awaiting_signup') return flow.showSignup(stage, tx.profile as UpstreamProfile);
    if (tx.status === 'awaiting_email') return tx.codeDigest ? flow.showCode(stage) : flow.showEmail(stage, tx.profile?.email ?? '');
    if (tx.status === 'claimed') return flow.showClaimed(stage, tx);
    if (tx.status !== 'authenticated') return flow.showFailure(stage, tx, 'federation.no_transaction');
    try {
      await decide(stage, tx);
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      await deps.transactions.failed(tx._id, error.code);
      await flow.showFailure(stage, tx, error.code, error.status);
    }
  }

  async function start(stage: StageContext) {
    const connectorId = typeof stage.ctx.query.connector === 'string' ? stage.ctx.query.connector : '';
    const offered = await offeredConnectors(deps, stage.interaction.client.clientId);
    const connector = offered.some((c) => c.id === connectorId) ? await deps.connectors.get(connectorId) : undefined;
    if (!connector) return flow.showFailure(stage, undefined, 'federation.unknown_connector', 404);
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

  const proof = createProofHandlers(deps, flow, { continueFlow, decide });
  return {
    prompt: 'login',
    forms: [proof.proveByPassword, proof.verifyCode, proof.confirmSignup],
    routes: [
      { method: 'GET', path: '/federation', handle: start },
      { method: 'GET', path: '/federation/continue', handle: continueFlow },
      // Sends the code to the one candidate, or to the address typed: it reads a form in one status only.
      { method: 'POST', path: '/federation/code', handle: proof.sendCode },
      { method: 'POST', path: '/federation/claimed', handle: proof.continueClaimed },
    ],
  };
}
