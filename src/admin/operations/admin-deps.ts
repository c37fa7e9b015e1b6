import type { AuditQueryService } from '../../audit/audit-query.service.ts';
import type { ConsentRecordRepository } from '../../consents/consent-record.repository.ts';
import type { UserDirectory } from '../../accounts/user-directory.service.ts';
import type { AccountSessions } from '../../oidc/account-sessions.ts';
import type { ClientService } from '../../oidc/client.service.ts';
import type { MfaService } from '../../mfa/mfa.service.ts';
import type { Federation } from '../../federation/federation.module.ts';
import type { LegalService } from '../../consents/legal.service.ts';
import type { SpRegistry } from '../../saml/idp/sp-registry.service.ts';
import type { WebhookService } from '../../webhooks/webhook-subscriptions.service.ts';
import type { LeadDirectory } from '../../leads/lead-directory.ts';

/** The services the admin API's operations call: the same ones the CLI calls. */
export interface AdminDeps {
  users: UserDirectory;
  sessions: AccountSessions;
  mfa: MfaService;
  federation: Pick<Federation, 'connectors' | 'linking'>;
  consentRecords: ConsentRecordRepository;
  clients: ClientService;
  sps: SpRegistry;
  legal: LegalService;
  auditQuery: AuditQueryService;
  webhooks: WebhookService;
  leads: LeadDirectory;
}
