import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Proof } from '../acr.ts';
import type { ChallengeKind, ChallengeStore } from '../challenge-store.ts';
import type { Factor, FactorRequest } from '../factor.ts';
import type { FactorRecord } from '../mfa-factor.model.ts';
import type { FactorRepository } from '../mfa-factor.repository.ts';

// WebAuthn / passkeys (WebAuthn L3), verified by @simplewebauthn/server. User verification is required
// (§6.2.3: PIN or biometrics on the authenticator), so one assertion is possession + knowledge/inherence: multi-factor
// by itself, and phishing-resistant because the credential is scoped to our RP ID and origin (§13.4.1).
// Several credentials per account; a discoverable credential (a passkey) signs in without email or password.
const TTL = 5 * 60;
const ANONYMOUS = '-';

export interface WebAuthnDeps {
  rpName: string;
  rpId: string;
  origin: string;
  records: FactorRepository;
  challenges: ChallengeStore;
}

/** RFC 8176: hwk for a key bound to one device, swk for a synced passkey (a copy lives in software elsewhere). */
const proofOf = (deviceType: string | undefined): Proof => ({
  amr: [deviceType === 'multiDevice' ? 'swk' : 'hwk', 'user'], phishingResistant: true, multiFactor: true,
});

const parse = <T>(answer: string): T | undefined => {
  try {
    return JSON.parse(answer) as T;
  } catch {
    return undefined;
  }
};

const userHandleOf = (accountId: string) => Buffer.from(accountId, 'utf8').toString('base64url');

export function createWebAuthnFactor(deps: WebAuthnDeps) {
  const { rpId, origin } = deps;

  /** The challenge of a pending ceremony, consumed: each works once, whatever the outcome. */
  async function takeChallenge(kind: ChallengeKind, scope: string, accountId: string): Promise<string | undefined> {
    const pending = await deps.challenges.get(kind, scope, accountId);
    if (!pending || !(await deps.challenges.take(kind, scope, accountId))) return undefined;
    return pending.value;
  }

  async function requestOptions(kind: ChallengeKind, scope: string, accountId: string, records: FactorRecord[]) {
    const options = await generateAuthenticationOptions({
      rpID: rpId, userVerification: 'required', timeout: TTL * 1000,
      allowCredentials: records.map((r) => ({ id: r.credential!.credentialId, transports: r.credential!.transports })),
    });
    await deps.challenges.put(kind, scope, accountId, options.challenge, TTL);
    return options;
  }

  /** Verifies an assertion for one of `records`; the proof and the record on success. */
  async function assert(response: AuthenticationResponseJSON, challenge: string, records: FactorRecord[]) {
    const record = records.find((r) => r.credential?.credentialId === response.id);
    if (!record?.credential) return undefined;
    if (response.response.userHandle && response.response.userHandle !== userHandleOf(record.accountId)) return undefined;
    const result = await verifyAuthenticationResponse({
      response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpId, requireUserVerification: true,
      credential: {
        id: record.credential.credentialId, publicKey: Buffer.from(record.credential.publicKey, 'base64url'),
        counter: record.credential.counter, transports: record.credential.transports,
      },
    }).catch(() => undefined);
    if (!result?.verified || !result.authenticationInfo.userVerified) return undefined;
    if (!(await deps.records.updateCredentialUse(record._id, result.authenticationInfo.newCounter, record.credential.counter))) return undefined;
    return { proof: proofOf(record.credential.deviceType), recordId: record._id, accountId: record.accountId };
  }

  const factor: Factor = {
    type: 'webauthn',
    async challenge(request) {
      return { kind: 'webauthn', options: await requestOptions('webauthn', request.scope, request.account.id, request.records) };
    },
    async verify(request, answer) {
      const response = parse<AuthenticationResponseJSON>(answer);
      const challenge = await takeChallenge('webauthn', request.scope, request.account.id);
      if (!response || !challenge) return undefined;
      return assert(response, challenge, request.records);
    },
    async beginEnrolment(request: FactorRequest) {
      const options = await generateRegistrationOptions({
        rpName: deps.rpName, rpID: rpId, userName: request.account.email, userDisplayName: request.account.displayName,
        userID: Buffer.from(request.account.id, 'utf8'), attestationType: 'none', timeout: TTL * 1000,
        excludeCredentials: request.records.map((r) => ({ id: r.credential!.credentialId, transports: r.credential!.transports })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      });
      await deps.challenges.put('webauthn-enrol', request.scope, request.account.id, options.challenge, TTL);
      return { kind: 'webauthn', options };
    },
    async completeEnrolment(request, answer) {
      const response = parse<RegistrationResponseJSON>(answer);
      const challenge = await takeChallenge('webauthn-enrol', request.scope, request.account.id);
      if (!response || !challenge) return undefined;
      const result = await verifyRegistrationResponse({
        response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpId, requireUserVerification: true,
      }).catch(() => undefined);
      if (!result?.verified) return undefined;
      const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
      return {
        record: {
          accountId: request.account.id, type: 'webauthn', name: credentialDeviceType === 'multiDevice' ? 'Passkey' : 'Security key',
          credential: {
            credentialId: credential.id, publicKey: Buffer.from(credential.publicKey).toString('base64url'), counter: credential.counter,
            transports: response.response.transports, deviceType: credentialDeviceType, backedUp: credentialBackedUp,
          },
        },
        proof: proofOf(credentialDeviceType),
      };
    },
  };

  return {
    factor,
    /** Discoverable-credential sign-in (no account yet): options with an empty allow list (WebAuthn L3 §5.1.4.1). */
    passkeyOptions: (scope: string) => requestOptions('passkey', scope, ANONYMOUS, []),
    /** Verifies a passkey assertion; the account it belongs to and the proof, or undefined. */
    async verifyPasskey(scope: string, answer: string) {
      const response = parse<AuthenticationResponseJSON>(answer);
      const challenge = await takeChallenge('passkey', scope, ANONYMOUS);
      if (!response?.id || !challenge) return undefined;
      const record = await deps.records.findByCredentialId(response.id);
      if (!record || !response.response.userHandle) return undefined;
      return assert(response, challenge, [record]);
    },
  };
}

export type WebAuthnFactor = ReturnType<typeof createWebAuthnFactor>;
