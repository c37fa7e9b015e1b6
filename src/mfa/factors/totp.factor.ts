import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { SecretBox } from '../../keys/secret-box.ts';
import type { ChallengeStore } from '../challenge-store.ts';
import type { Factor } from '../factor.ts';
import type { FactorRepository } from '../mfa-factor.repository.ts';

// TOTP (RFC 6238) with an authenticator app. Keys are sealed at rest. RFC 6238 §5.2: at most one step of clock
// drift either side (configurable) and a code is never accepted twice: the last accepted time step is kept and only
// later steps pass (an atomic conditional update, so two racing requests cannot both use one code).
const PERIOD = 30;
const ENROLMENT_TTL = 15 * 60;
const PROOF = { amr: ['otp'], phishingResistant: false, multiFactor: false };

export interface TotpDeps {
  issuer: string;
  toleranceSteps: number;
  box: SecretBox;
  records: FactorRepository;
  challenges: ChallengeStore;
}

export function createTotpFactor(deps: TotpDeps): Factor {
  const check = async (secret: string, token: string, afterTimeStep?: number) => {
    const result = await verify({
      secret, token, epochTolerance: deps.toleranceSteps * PERIOD,
      ...(afterTimeStep === undefined ? {} : { afterTimeStep }),
    }).catch(() => ({ valid: false as const }));
    return result.valid ? (result as { timeStep: number }).timeStep : undefined;
  };

  return {
    type: 'totp',
    challenge: async () => ({ kind: 'code' }),

    async verify(request, answer) {
      for (const record of request.records) {
        const step = await check(deps.box.open(record.secretSealed!), answer, record.lastStep);
        if (step !== undefined && await deps.records.advanceTotpStep(record._id, step)) return { proof: PROOF, recordId: record._id };
      }
      return undefined;
    },

    async beginEnrolment(request) {
      const secret = generateSecret();
      await deps.challenges.put('totp-enrol', request.scope, request.account.id, deps.box.seal(secret), ENROLMENT_TTL);
      const uri = generateURI({ issuer: deps.issuer, label: request.account.email, secret });
      return { kind: 'code', secret, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1 }) };
    },

    async completeEnrolment(request, answer) {
      const pending = await deps.challenges.get('totp-enrol', request.scope, request.account.id);
      if (!pending) return undefined;
      const step = await check(deps.box.open(pending.value), answer);
      if (step === undefined || !(await deps.challenges.take('totp-enrol', request.scope, request.account.id))) return undefined;
      return {
        record: { accountId: request.account.id, type: 'totp', name: 'Authenticator app', secretSealed: pending.value, lastStep: step },
        proof: PROOF,
      };
    },
  };
}
