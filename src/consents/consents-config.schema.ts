import { z } from 'zod';

// Configuration of legal consents: who the controller is and under which jurisdiction, as written into every
// consent receipt (Kantara Initiative Consent Receipt Specification v1.1, §4.2-4.4). Merged into config.schema.ts.
export const consentsConfigSchema = z.object({
  jurisdiction: z.string().min(2).default('JP').describe('jurisdiction of the controller written into receipts'),
  controller: z.object({
    name: z.string().min(1).default('Group ID').describe('legal name of the PII controller'),
    contact: z.string().min(1).default('Privacy office').describe('contact person or office of the controller'),
    email: z.string().min(3).default('privacy@localhost').describe('contact email of the controller'),
    address: z.string().min(1).default('-').describe('postal address of the controller'),
    phone: z.string().min(1).default('-').describe('contact phone of the controller'),
    url: z.string().optional().describe('web site of the controller'),
  }).prefault({}).describe('the PII controller named in consent receipts'),
  policyUrl: z.string().optional().describe('privacy policy URL of the controller (default: the issuer)'),
}).prefault({});

export type ConsentsConfig = z.output<typeof consentsConfigSchema>;
