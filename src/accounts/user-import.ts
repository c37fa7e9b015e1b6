import { createReadStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { AuditActor } from '../audit/audit-event.model.ts';
import type { Models } from '../db/models.ts';
import { isAppError } from '../shared/app-error.ts';
import { email as emailSchema } from '../interaction/forms.ts';
import type { Audit } from '../shared/audit.ts';
import { normalizeEmail } from './account.repository.ts';
import { rawHashSchema, toStoredHash, UnsupportedHashError } from './legacy-hashes.ts';
import type { BulkAccounts } from './bulk-create.ts';
import type { UserDirectory } from './user-directory.service.ts';

// `idp users import --file users.ndjson`: one JSON object per line, read as a stream (readline), so a file of
// millions of lines needs no more memory than one batch (bulk-create.ts writes a batch in a few round trips). A line that fails is reported with its number
// and skipped; the others go on. Re-running is idempotent: a line whose account exists (same external id, or same
// email case-insensitively) is skipped. A checkpoint file records the last line below which everything is done, so
// an interrupted import resumes there. Password hashes of other systems are stored as they are (legacy-hashes.ts)
// and replaced by our argon2id at the person's first successful sign-in.

const identity = z.object({
  connector: z.string().min(1).max(100).describe('the connector id (idp connectors list)'),
  subject: z.string().min(1).max(500).describe('the upstream `sub` (or SAML NameID)'),
  email: z.string().max(320).optional(),
}).strict();

export const importLineSchema = z.object({
  email: emailSchema,
  email_verified: z.boolean().default(false),
  external_id: z.string().min(1).max(200).optional(),
  name: z.string().min(1).max(200).optional(),
  /** Standard claims and custom attributes, checked by the attribute schema like the admin API's. */
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  password_hash: z.union([z.string().min(1).max(2048), rawHashSchema]).optional(),
  /** A plain password (seed data only): hashed by us, costly per line. */
  password: z.string().min(1).max(1024).optional(),
  identities: z.array(identity).max(20).optional(),
}).strict().refine((line) => !(line.password && line.password_hash), 'give password or password_hash, not both');
export type ImportLine = z.infer<typeof importLineSchema>;

export interface ImportOptions {
  file: string;
  /** Where progress is kept between runs (default: `<file>.checkpoint`); resumes from it when present. */
  checkpoint?: string;
  /** Start from the first line whatever the checkpoint says (existing accounts are still skipped). */
  restart?: boolean;
  /** Lines written together (default 500). */
  batchSize?: number;
  actor: AuditActor;
  /** Every failed line, as it happens (for a report file); the summary keeps the first 100. */
  onError?: (error: LineError) => void;
}

export interface LineError {
  line: number;
  email?: string;
  error: string;
}

export interface ImportSummary {
  file: string;
  resumedFrom: number;
  lines: number;
  created: number;
  skipped: number;
  failed: number;
  errors: LineError[];
}

interface Checkpoint {
  file: string;
  line: number;
}

const MAX_REPORTED = 100;

export function createUserImport(deps: { users: UserDirectory; bulk: BulkAccounts; models: Models; audit: Audit }) {
  const { models } = deps;

  /** A line with a plain password: hashed by us, one at a time (the directory's own path). */
  async function importWithPassword(line: ImportLine, actor: AuditActor): Promise<'created' | 'skipped'> {
    if (line.external_id && (await models.Account.exists({ externalId: line.external_id }))) return 'skipped';
    if (await models.Account.exists({ emailNormalized: normalizeEmail(line.email) })) return 'skipped';
    const account = await deps.users.create({
      email: line.email, password: line.password, name: line.name, verified: line.email_verified, externalId: line.external_id, attributes: line.attributes,
    }, actor);
    const [outcome] = line.identities?.length ? await deps.bulk.linkIdentities(account._id, line.identities) : [];
    if (outcome instanceof Error) throw outcome;
    return 'created';
  }

  function reason(error: unknown): string {
    if (error instanceof z.ZodError) return error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ');
    if (error instanceof SyntaxError) return `not JSON: ${error.message}`;
    if (error instanceof UnsupportedHashError) return `password_hash: ${error.message}`;
    if (isAppError(error)) return error.field ? `${error.field}: ${error.code}` : error.code;
    return (error as Error).message ?? String(error);
  }

  function readCheckpoint(path: string, file: string): number {
    if (!existsSync(path)) return 0;
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    return saved.file === file ? saved.line : 0;
  }
  function writeCheckpoint(path: string, state: Checkpoint): void {
    writeFileSync(`${path}.tmp`, JSON.stringify(state));
    renameSync(`${path}.tmp`, path); // atomic: a crash leaves the old checkpoint or the new one
  }

  return {
    async run(options: ImportOptions): Promise<ImportSummary> {
      const checkpointPath = options.checkpoint ?? `${options.file}.checkpoint`;
      const resumedFrom = options.restart ? 0 : readCheckpoint(checkpointPath, options.file);
      const summary: ImportSummary = { file: options.file, resumedFrom, lines: 0, created: 0, skipped: 0, failed: 0, errors: [] };
      const batchSize = options.batchSize ?? 500;
      const fail = (line: number, error: unknown, email?: string) => {
        summary.failed += 1;
        const entry = { line, ...(email ? { email } : {}), error: reason(error) };
        if (summary.errors.length < MAX_REPORTED) summary.errors.push(entry);
        options.onError?.(entry);
      };
      const count = (outcome: 'created' | 'skipped') => { summary[outcome] += 1; };

      let batch: Array<{ number: number; line: ImportLine; passwordHash?: string }> = [];
      const flush = async (through: number) => {
        const bulk = batch.filter((b) => !b.line.password);
        const outcomes = await deps.bulk.createMany(bulk.map(({ line, passwordHash }) => ({
          email: line.email, verified: line.email_verified, externalId: line.external_id, name: line.name,
          attributes: line.attributes, passwordHash, identities: line.identities,
        })), options.actor);
        outcomes.forEach((outcome, i) => (outcome instanceof Error ? fail(bulk[i]!.number, outcome, bulk[i]!.line.email) : count(outcome)));
        for (const item of batch.filter((b) => b.line.password)) {
          await importWithPassword(item.line, options.actor).then(count, (error) => fail(item.number, error, item.line.email));
        }
        batch = [];
        // Every line up to here is done (created, skipped or reported): a new run starts after it.
        writeCheckpoint(checkpointPath, { file: options.file, line: through });
      };

      const lines = createInterface({ input: createReadStream(options.file, { encoding: 'utf8' }), crlfDelay: Infinity });
      let number = 0;
      for await (const text of lines) {
        number += 1;
        if (number <= resumedFrom) continue;
        summary.lines += 1;
        if (!text.trim()) {
          summary.skipped += 1;
          continue;
        }
        let email: string | undefined;
        try {
          const raw = JSON.parse(text) as { email?: unknown };
          email = typeof raw.email === 'string' ? raw.email : undefined;
          const line = importLineSchema.parse(raw);
          batch.push({ number, line, passwordHash: line.password_hash === undefined ? undefined : toStoredHash(line.password_hash) });
        } catch (error) {
          fail(number, error, email);
        }
        if (batch.length >= batchSize) await flush(number);
      }
      await flush(number);
      deps.audit('users.imported', { actor: options.actor, created: summary.created, skipped: summary.skipped, failed: summary.failed });
      return summary;
    },
  };
}

export type UserImport = ReturnType<typeof createUserImport>;
