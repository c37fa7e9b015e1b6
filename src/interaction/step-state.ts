// Step state carried between two requests of one interaction (the account waiting for its email code, the MFA result
// of an enrolment waiting for "I saved my recovery codes") lives in a signed cookie. A signature alone proves only that
// we issued the value once, somewhere: a value earned in one sign-in could be planted on another person's sign-in, or
// replayed after the facts behind it changed. So the signed value names what it belongs to and when it ends, and is
// read back only for that same interaction, that same account and before then.

export interface StepBinding {
  /** The interaction uid the value was issued in. */
  uid: string;
  /** The account the value is about, when the step is one of a signed-in account (MFA enrolment). */
  accountId?: string;
}

interface Envelope {
  v: string;
  uid: string;
  acc?: string;
  exp: number;
}

/** The cookie value for `value`, bound to `binding` until `now + ttlMs`. */
export function sealStepState(value: string, binding: StepBinding, ttlMs: number, now = Date.now()): string {
  const envelope: Envelope = { v: value, uid: binding.uid, exp: now + ttlMs };
  if (binding.accountId) envelope.acc = binding.accountId;
  return Buffer.from(JSON.stringify(envelope)).toString('base64url');
}

/** The value, only when the cookie was issued for exactly this binding and has not ended; otherwise undefined. */
export function openStepState(raw: string | undefined, binding: StepBinding, now = Date.now()): string | undefined {
  if (!raw) return undefined;
  let envelope: Partial<Envelope>;
  try {
    envelope = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Envelope>;
  } catch {
    return undefined;
  }
  if (typeof envelope !== 'object' || envelope === null || typeof envelope.v !== 'string') return undefined;
  if (envelope.uid !== binding.uid) return undefined;
  if ((envelope.acc ?? undefined) !== (binding.accountId ?? undefined)) return undefined;
  if (typeof envelope.exp !== 'number' || envelope.exp <= now) return undefined;
  return envelope.v;
}
