import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { defineCommand, UsageError, type CommandGroup } from './command.ts';
import { operatorName, withContainer } from './cli-context.ts';
import type { ExportFormat } from '../export/user-export.ts';

// `idp export users`: profiles with consent state as NDJSON or CSV, incremental by watermark. With --out the data
// goes to the file and the summary ({count, watermark}) to stdout as usual; without it the data is stdout and the
// summary is one JSON line on stderr.

export class StreamedToStdout {
  readonly summary: Record<string, unknown>;
  constructor(summary: Record<string, unknown>) { this.summary = summary; }
}

interface ExportInput { format: ExportFormat; since?: string; fields?: string[]; out?: string }

export const exportCommands: CommandGroup = {
  users: defineCommand<ExportInput>({
    usage: 'export users --format ndjson|csv [--since <watermark>] [--fields id,email,...] [--out <file>]',
    summary: 'export profiles with consent state; prints the watermark to pass as --since next time',
    options: { format: { type: 'string' }, since: { type: 'string' }, fields: { type: 'string' }, out: { type: 'string' } },
    parse: ({ values }) => {
      const format = values.format ?? 'ndjson';
      if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format must be ndjson or csv');
      return {
        format, since: values.since as string | undefined, out: values.out as string | undefined,
        fields: typeof values.fields === 'string' ? values.fields.split(',').map((f) => f.trim()).filter(Boolean) : undefined,
      };
    },
    run: (input, store) => withContainer(store, async (c) => {
      const run = await c.exports.users(input);
      const target = input.out ? createWriteStream(input.out) : process.stdout;
      if (input.out) await pipeline(run.stream, target);
      else await pipeline(run.stream, target, { end: false });
      c.audit('export.users', { format: input.format, since: input.since, actor: { type: 'cli', id: operatorName() } });
      const summary = { count: run.count(), watermark: run.watermark, format: input.format, ...(input.out ? { out: input.out } : {}) };
      return input.out ? summary : new StreamedToStdout(summary);
    }),
  }),
};
