import type { Connection } from 'mongoose';
import { accountModel } from '../accounts/account.model.ts';
import { auditEventModel } from '../audit/audit-event.model.ts';
import { groupModel } from '../groups/group.model.ts';
import { consentRecordModel } from '../consents/consent-record.model.ts';
import { legalDocumentModel } from '../consents/legal-document.model.ts';
import { signingKeyModel } from '../keys/signing-key.model.ts';
import { federationModels } from '../federation/federation.models.ts';
import { samlModels } from '../saml/idp/saml.models.ts';
import { samlSpModels } from '../saml/sp/replay.cache.ts';
import { actionTokenModel } from '../tokens/action-token.model.ts';
import { challengeModel, lockoutModel } from '../mfa/mfa-challenge.model.ts';
import { factorModel } from '../mfa/mfa-factor.model.ts';
import { deviceModel } from '../mfa/device/device.model.ts';
import { riskDecisionModel, riskProfileModel } from '../mfa/risk/risk.model.ts';
import { eventModels } from '../events/event.models.ts';
import { rateLimitModel } from '../shared/rate-limit.model.ts';
import { webhookModels } from '../webhooks/webhook.models.ts';
import { leadModel } from '../leads/lead.model.ts';
import { sessionDeviceModel } from '../account/sessions/session-device.model.ts';
import { pollTimingModel } from '../oidc/poll-timing.model.ts';
import { cibaApprovalModel } from '../ciba/ciba-approval.model.ts';

/** Every mongoose model of the IdP, bound to one connection. */
export function createModels(connection: Connection) {
  return {
    Account: accountModel(connection),
    AuditEvent: auditEventModel(connection),
    Group: groupModel(connection),
    ActionToken: actionTokenModel(connection),
    SigningKey: signingKeyModel(connection),
    MfaFactor: factorModel(connection),
    MfaChallenge: challengeModel(connection),
    MfaLockout: lockoutModel(connection),
    MfaDevice: deviceModel(connection),
    MfaRiskProfile: riskProfileModel(connection),
    MfaRiskDecision: riskDecisionModel(connection),
    LegalDocument: legalDocumentModel(connection),
    ConsentRecord: consentRecordModel(connection),
    RateLimit: rateLimitModel(connection),
    Lead: leadModel(connection),
    SessionDevice: sessionDeviceModel(connection),
    PollTiming: pollTimingModel(connection),
    CibaApproval: cibaApprovalModel(connection),
    ...federationModels(connection),
    ...samlModels(connection),
    ...samlSpModels(connection),
    ...eventModels(connection),
    ...webhookModels(connection),
  };
}

export type Models = ReturnType<typeof createModels>;
