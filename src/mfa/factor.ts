import type { BrandView } from '../branding/brand-view.ts';
import type { Locale } from '../i18n/i18n.ts';
import type { Proof } from './acr.ts';
import type { FactorRecord, FactorType } from './mfa-factor.model.ts';

// One interface for every second factor (TOTP, WebAuthn, email code, recovery codes). The MFA service around
// them does what is common once: lockout, audit events, acr/amr. A factor only knows its own protocol.

export type { FactorRecord, FactorType };

export interface FactorAccount {
  id: string;
  email: string;
  emailVerified: boolean;
  displayName: string;
}

export interface FactorRequest {
  account: FactorAccount;
  /** The account's enrolled factors of this type. */
  records: FactorRecord[];
  /** Scope of the pending challenge or enrolment (interaction uid, or the account page's session). */
  scope: string;
  locale: Locale;
  ip: string;
  /** The site the code is asked for (src/branding): a mailed code carries its name, logo and colours. */
  brand?: BrandView;
}

/** What a page needs to ask for the answer: a code field, or WebAuthn options for navigator.credentials. */
export interface ChallengeView {
  kind: 'code' | 'webauthn';
  /** Where a mailed code went (masked), for the page's text. */
  sentTo?: string;
  /** PublicKeyCredentialRequestOptionsJSON / CreationOptionsJSON for the browser. */
  options?: unknown;
}

export interface EnrolmentView extends ChallengeView {
  /** TOTP: the base32 key for manual entry and its otpauth:// QR code as a data: URL. */
  secret?: string;
  qrDataUrl?: string;
}

export interface EnrolmentResult {
  record: Omit<FactorRecord, '_id' | 'createdAt'>;
  proof: Proof;
}

export interface Factor {
  readonly type: FactorType;
  /** Starts a sign-in challenge (mails a code, makes request options); nothing to do for TOTP. */
  challenge(request: FactorRequest): Promise<ChallengeView>;
  /** Checks an answer against the enrolled records; the proof on success, undefined when wrong. */
  verify(request: FactorRequest, answer: string): Promise<{ proof: Proof; recordId?: string } | undefined>;
  /** Starts enrolment (a TOTP key, WebAuthn creation options, a mailed confirmation code). */
  beginEnrolment?(request: FactorRequest): Promise<EnrolmentView>;
  /** Confirms enrolment with a first answer; undefined when the answer is wrong. */
  completeEnrolment?(request: FactorRequest, answer: string): Promise<EnrolmentResult | undefined>;
}
