import type { Account } from '../../../accounts/account.repository.ts';
import { contentFor, type DocumentState, type LegalService } from '../../../consents/legal.service.ts';
import { AppError } from '../../../shared/app-error.ts';
import type { Audit } from '../../../shared/audit.ts';
import type { Stage, StageContext } from '../../stage.ts';

// The engine's `legal` prompt: the client's required documents not yet accepted at their current version, each an
// unticked checkbox `accept=<document id>` (consent must be an affirmative act, GDPR Recital 32), and its optional
// documents offered unticked beside them. Accepting records one consent record per ticked document; declining
// returns access_denied to the client. Which documents are asked is recomputed here, never taken from the form.

export interface LegalStageDeps {
  legal: LegalService;
  findAccount(id: string): Promise<Account | null>;
  audit: Audit;
}

export function createLegalStage(deps: LegalStageDeps): Stage {
  async function load(stage: StageContext) {
    const accountId = stage.interaction.session?.accountId;
    const account = accountId ? await deps.findAccount(accountId) : null;
    if (!account) throw new AppError('legal.no_account', 400);
    const details = stage.interaction.prompt.details as { required?: string[]; optional?: string[] };
    const pending = await deps.legal.pending(account._id, { required: details.required ?? [], optional: details.optional ?? [] });
    return { account, pending };
  }

  const view = (state: DocumentState, locale: string, required: boolean, ticked: Set<string>) => {
    const content = contentFor(state.current, locale);
    return {
      id: state.documentId, inputId: `doc-${state.documentId}`, required, checked: ticked.has(state.documentId),
      title: content.title, url: content.url, text: content.text, version: state.current.version,
      renewed: state.baselineSeq > 1,
    };
  };

  function show(stage: StageContext, pending: Awaited<ReturnType<typeof load>>['pending'], ticked = new Set<string>(), error?: string) {
    stage.render('legal', {
      title: 'legal.title',
      required: pending.required.map((s) => view(s, stage.locale, true, ticked)),
      optional: pending.optional.map((s) => view(s, stage.locale, false, ticked)),
      error,
    }, error ? 400 : 200);
  }

  async function submit(stage: StageContext) {
    const { account, pending } = await load(stage);
    const client = stage.interaction.client.clientId;
    if (stage.form.decision === 'deny') {
      deps.audit('legal.refused', { accountId: account._id, client, documents: pending.required.map((s) => s.documentId) });
      await stage.finish({ error: 'access_denied', error_description: 'End-User did not accept the required legal documents' }, { merge: true });
      return;
    }
    const raw = stage.form.accept;
    const ticked = new Set((Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string'));
    if (pending.required.some((s) => !ticked.has(s.documentId))) {
      show(stage, pending, ticked, 'legal.accept_required');
      return;
    }
    const chosen = [...pending.required, ...pending.optional.filter((s) => ticked.has(s.documentId))];
    // The first sign-in of a new account is its sign-up: the checkbox then belongs to the sign-up (method `signup`).
    const method = (account.profiling?.signIns ?? 0) === 0 ? 'signup' : 'prompt';
    await deps.legal.decide(account._id, chosen.map((s) => ({ documentId: s.documentId, decision: 'granted' as const })), {
      clientId: client, locale: stage.locale, ip: stage.ctx.ip, userAgent: stage.ctx.get('user-agent').slice(0, 300) || undefined, method,
    });
    await stage.finish({ legal: { accepted: chosen.map((s) => s.documentId) } }, { merge: true });
  }

  return {
    prompt: 'legal',
    routes: [
      {
        method: 'GET',
        path: '',
        async handle(stage) {
          const { pending } = await load(stage);
          if (!pending.required.length) return stage.finish({ legal: { accepted: [] } }, { merge: true });
          show(stage, pending);
        },
      },
      { method: 'POST', path: '', handle: submit },
    ],
  };
}
