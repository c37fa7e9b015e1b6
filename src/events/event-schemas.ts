import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { envelopeSchema, EVENT_TYPES } from './event-catalogue.ts';

// The catalogue as JSON Schemas (draft 2020-12), one file per event type under docs/events/.

export const EVENT_SCHEMA_DIR = path.resolve(import.meta.dirname, '..', '..', 'docs', 'events');

export function eventJsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(EVENT_TYPES.map((type) => [type, {
    $id: `urn:idp:events:${type}:v1`,
    title: type,
    ...z.toJSONSchema(envelopeSchema(type), { target: 'draft-2020-12' }),
  }]));
}

export const schemaFileText = (schema: unknown) => `${JSON.stringify(schema, null, 2)}\n`;

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [type, schema] of Object.entries(eventJsonSchemas())) writeFileSync(path.join(EVENT_SCHEMA_DIR, `${type}.json`), schemaFileText(schema));
}
