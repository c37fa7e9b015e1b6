import { describe, expect, test } from '@jest/globals';
import { openStepState, sealStepState } from '../../src/interaction/step-state.ts';

// The envelope of interaction step state: it reads back only for its interaction, its account and before it ends.
describe('step state envelope', () => {
  const now = 1_800_000_000_000;
  const sealed = sealStepState('value', { uid: 'uid-1', accountId: 'acc-1' }, 60_000, now);

  test('reads back for the same interaction and account before it ends', () => {
    expect(openStepState(sealed, { uid: 'uid-1', accountId: 'acc-1' }, now + 59_999)).toBe('value');
  });

  test('another interaction, another account, no account, or after the end read as nothing', () => {
    expect(openStepState(sealed, { uid: 'uid-2', accountId: 'acc-1' }, now)).toBeUndefined();
    expect(openStepState(sealed, { uid: 'uid-1', accountId: 'acc-2' }, now)).toBeUndefined();
    expect(openStepState(sealed, { uid: 'uid-1' }, now)).toBeUndefined();
    expect(openStepState(sealed, { uid: 'uid-1', accountId: 'acc-1' }, now + 60_000)).toBeUndefined();
  });

  test('a value without an account binding is not accepted where an account is expected', () => {
    const unbound = sealStepState('value', { uid: 'uid-1' }, 60_000, now);
    expect(openStepState(unbound, { uid: 'uid-1' }, now)).toBe('value');
    expect(openStepState(unbound, { uid: 'uid-1', accountId: 'acc-1' }, now)).toBeUndefined();
  });

  test('a bare value from before the envelope, or garbage, reads as nothing', () => {
    expect(openStepState('acc-1', { uid: 'uid-1' }, now)).toBeUndefined();
    expect(openStepState('%%%', { uid: 'uid-1' }, now)).toBeUndefined();
    expect(openStepState(Buffer.from('null').toString('base64url'), { uid: 'uid-1' }, now)).toBeUndefined();
    expect(openStepState(undefined, { uid: 'uid-1' }, now)).toBeUndefined();
  });
});
