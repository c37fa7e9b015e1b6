import { z } from 'zod';

// Configuration of lite registration (src/leads), merged into config.schema.ts as `leads`.
export const leadsConfigSchema = z.object({
  verificationTtl: z.number().int().positive().default(48 * 3600)
    .describe('lifetime of the link that confirms a lite registration (a newsletter sign-up), in seconds'),
  unconfirmedRetentionDays: z.number().int().min(1).max(365).default(30)
    .describe('days an address that never opened its confirmation link is kept before it is removed'),
  maxPendingSubmissions: z.number().int().min(1).max(20).default(5)
    .describe('unconfirmed submissions kept per address (older ones are dropped, their links stop working)'),
}).prefault({});

export type LeadsConfig = z.output<typeof leadsConfigSchema>;
