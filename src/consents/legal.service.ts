import { AppError } from '../shared/app-error.ts';
import type { Audit } from '../shared/audit.ts';
import type { ConsentMethod, ConsentRecord } from './consent-record.model.ts';
import type { ConsentRecordRepository } from './consent-record.repository.ts';
import type { LegalDocumentVersion, LocalizedContent } from './legal-document.model.ts';
import type { LegalDocumentRepository, NewVersion } from './legal-document.repository.ts';
import type { LegalDocumentsPolicy } from './legal-metadata.ts';

// Legal documents and consent decisions. A document's current version is its newest published version already in
// effect. Someone who accepted version v still agrees when every version published after v up to the current one
// was marked as not needing re-acceptance (an editorial fix); otherwise they are asked again.

/** Withdrawable on the account page at any time (GDPR Art. 7(3)); terms and privacy end with the account instead. */
const WITHDRAWABLE = new Set(['marketing', 'custom']);

export interface DocumentState {
  documentId: string;
  kind: string;
  current: LegalDocumentVersion;
  /** Lowest sequence number an acceptance must have to cover the current version. */
  baselineSeq: number;
  seqOf: Map<string, number>;
}

export interface DecisionMeta {
  clientId?: string;
  locale: string;
  ip?: string;
  userAgent?: string;
  method: ConsentMethod;
}

export interface Pending {
  required: DocumentState[];
  optional: DocumentState[];
}

export interface LegalServiceDeps {
  documents: LegalDocumentRepository;
  records: ConsentRecordRepository;
  audit: Audit;
}

/** Per document: its current version and what an acceptance must cover, from published versions newest first. */
export function documentStates(versions: LegalDocumentVersion[], now: Date): Map<string, DocumentState> {
  const byDocument = new Map<string, LegalDocumentVersion[]>();
  for (const version of versions) byDocument.set(version.documentId, [...(byDocument.get(version.documentId) ?? []), version]);
  const states = new Map<string, DocumentState>();
  for (const [documentId, list] of byDocument) {
    const inEffect = list.filter((v) => new Date(v.effectiveAt) <= now).sort((a, b) => b.seq! - a.seq!);
    const current = inEffect[0];
    if (!current) continue;
    const baseline = inEffect.find((v) => v.requiresReacceptance || v.seq === 1) ?? inEffect.at(-1)!;
    states.set(documentId, {
      documentId, kind: current.kind, current, baselineSeq: baseline.seq!, seqOf: new Map(list.map((v) => [v.version, v.seq!])),
    });
  }
  return states;
}

/** The latest decision per document from records newest first. */
export function latestDecisions(records: ConsentRecord[]): Map<string, ConsentRecord> {
  const latest = new Map<string, ConsentRecord>();
  for (const record of records) if (!latest.has(record.documentId)) latest.set(record.documentId, record);
  return latest;
}

export const isCovered = (state: DocumentState, decision: ConsentRecord | undefined): boolean =>
  decision?.decision === 'granted' && (state.seqOf.get(decision.version) ?? 0) >= state.baselineSeq;

export const contentFor = (version: LegalDocumentVersion, locale: string): LocalizedContent =>
  (version.content as Record<string, LocalizedContent | undefined>)[locale] ?? version.content.ja ?? version.content.en ?? { title: version.documentId };

export function createLegalService(deps: LegalServiceDeps) {
  const { documents, records, audit } = deps;

  async function load(accountId: string, documentIds: string[], now: Date) {
    const [versions, history] = await Promise.all([documents.publishedOf(documentIds), records.history(accountId, { documentIds })]);
    return { states: documentStates(versions, now), latest: latestDecisions(history) };
  }

  return {
    addVersion: (input: NewVersion) => documents.putDraft(input),
    async publish(documentId: string, version: string) {
      const published = await documents.publish(documentId, version);
      audit('legal_document.published', { documentId, version, requiresReacceptance: published.requiresReacceptance });
      return published;
    },
    listVersions: () => documents.all(),

    /** What a client's policy still needs from this account: required documents not covered, optional ones not granted. */
    async pending(accountId: string, policy: LegalDocumentsPolicy, now = new Date()): Promise<Pending> {
      const ids = [...policy.required, ...policy.optional];
      if (!ids.length) return { required: [], optional: [] };
      const { states, latest } = await load(accountId, ids, now);
      const pick = (list: string[]) => list.flatMap((id) => {
        const state = states.get(id);
        return state && !isCovered(state, latest.get(id)) ? [state] : [];
      });
      return { required: pick(policy.required), optional: pick(policy.optional) };
    },

    /** Records one decision per document, always at the document's current version. */
    async decide(accountId: string, decisions: Array<{ documentId: string; decision: 'granted' | 'withdrawn' }>, meta: DecisionMeta): Promise<ConsentRecord[]> {
      if (!decisions.length) return [];
      const { states } = await load(accountId, decisions.map((d) => d.documentId), new Date());
      const rows = decisions.map(({ documentId, decision }) => {
        const state = states.get(documentId);
        if (!state) throw new AppError('legal.unknown_document', 400);
        return { accountId, documentId, version: state.current.version, kind: state.kind, decision, ...meta };
      });
      const saved = await records.append(rows);
      for (const row of saved) {
        audit(row.decision === 'granted' ? 'consent_record.granted' : 'consent_record.withdrawn', {
          accountId, documentId: row.documentId, version: row.version, method: row.method, client: row.clientId, recordId: row._id,
        });
      }
      return saved;
    },

    /** Withdraws a currently granted optional consent (marketing, custom purposes). */
    async withdraw(accountId: string, documentId: string, meta: DecisionMeta): Promise<ConsentRecord> {
      const [latest] = await records.history(accountId, { documentIds: [documentId] });
      if (latest?.decision !== 'granted' || !WITHDRAWABLE.has(latest.kind)) throw new AppError('legal.not_withdrawable', 400);
      const [saved] = await records.append([{ ...latestFields(latest), decision: 'withdrawn', ...meta }]);
      audit('consent_record.withdrawn', { accountId, documentId, version: saved!.version, method: meta.method, recordId: saved!._id });
      return saved!;
    },

    /** The account's decisions as they stood at `at` (default now): latest per document, and the full history. */
    async overview(accountId: string, at?: Date) {
      const history = await records.history(accountId);
      const until = at ?? new Date();
      const asOf = latestDecisions(history.filter((r) => new Date(r.at) <= until));
      return { history, asOf: [...asOf.values()], withdrawable: (record: ConsentRecord) => record.decision === 'granted' && WITHDRAWABLE.has(record.kind) };
    },

    findRecord: (id: string) => records.findById(id),
    findVersion: (documentId: string, version: string) => documents.find(documentId, version),
  };
}

const latestFields = (record: ConsentRecord) => ({
  accountId: record.accountId, documentId: record.documentId, version: record.version, kind: record.kind,
});

export type LegalService = ReturnType<typeof createLegalService>;
