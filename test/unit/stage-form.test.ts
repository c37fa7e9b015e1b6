import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { AppError } from '../../src/shared/app-error.ts';
import { defineStageForm, email, password, type FormFailure, type Loaded } from '../../src/interaction/forms.ts';
import { createStageRegistry, type StageContext } from '../../src/interaction/stage.ts';

// The stage form contract on its own: the registry's POST route parses, runs the action, and shows the same view
// again with the error and the echoed fields (no engine, no HTTP).
function setUp(valid: () => Promise<void> = async () => undefined, showOnForm?: string[]) {
  const failures: FormFailure[] = [];
  const form = defineStageForm({
    path: '/sign', schema: z.object({ email, password }), errors: 'sign', echo: ['email'], showOnForm,
    valid, invalid: (_stage, failure) => void failures.push(failure),
  });
  const registry = createStageRegistry([{ prompt: 'login', routes: [], forms: [form] }]);
  const route = registry.get('login')!.routes.find((r) => r.method === 'POST' && r.path === '/sign')!;
  const headers: Record<string, string> = {};
  const run = (body: Record<string, unknown>) => route.handle({ form: body, ctx: { set: (k: string, v: string) => { headers[k] = v; } } } as unknown as StageContext);
  return { run, failures, headers };
}

describe('stage forms', () => {
  test('a field error shows the form again with 400, the field, and the typed email but never the password', async () => {
    const { run, failures } = setUp();
    await run({ email: 'not-an-address', password: 'secret' });
    expect(failures).toEqual([{ code: 'sign.invalid_email', field: 'email', status: 400, typed: { email: 'not-an-address' } }]);
  });

  test('an AppError from the action is shown on the form, with Retry-After for a rate limit', async () => {
    const limited = Object.assign(new AppError('rate_limited', 429), { retryAfter: 30 });
    const { run, failures, headers } = setUp(async () => { throw limited; });
    await run({ email: 'a@example.com', password: 'secret' });
    expect(failures[0]).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(headers['Retry-After']).toBe('30');
  });

  test('5xx errors reach the error handler unless the form says them itself', async () => {
    const unavailable = new AppError('sign.unavailable', 503);
    await expect(setUp(async () => { throw unavailable; }).run({ email: 'a@example.com', password: 'x' })).rejects.toBe(unavailable);
    const shown = setUp(async () => { throw unavailable; }, ['sign.unavailable']);
    await shown.run({ email: 'a@example.com', password: 'x' });
    expect(shown.failures[0]).toMatchObject({ code: 'sign.unavailable', status: 503 });
  });

  test('a form that would echo a password is refused when defined', () => {
    expect(() => defineStageForm({
      path: '', schema: z.object({ password }), errors: 'x', echo: ['password'], valid: async () => undefined, invalid: () => undefined,
    })).toThrow(/password/);
  });

  describe('a load step', () => {
    // A form whose `load` finds the step's state (here a label) or answers itself; each step records what it saw.
    function withLoad(load: () => Promise<Loaded<string>>, valid: () => Promise<void> = async () => undefined) {
      const seen: Array<[string, unknown]> = [];
      const form = defineStageForm({
        path: '/step', schema: z.object({ email }), errors: 'step', load,
        valid: async (_stage, input, loaded) => { seen.push(['valid', [input.email, loaded]]); await valid(); },
        done: async (_stage, input, loaded) => void seen.push(['done', [input.email, loaded]]),
        invalid: (_stage, failure, loaded) => void seen.push(['invalid', [failure.code, loaded]]),
      });
      const route = createStageRegistry([{ prompt: 'login', routes: [], forms: [form] }]).get('login')!.routes[0]!;
      const run = (body: Record<string, unknown>) => route.handle({ form: body, ctx: { set: () => undefined } } as unknown as StageContext);
      return { run, seen };
    }

    test('what it found reaches valid and done, and then invalid after a field error', async () => {
      const { run, seen } = withLoad(async () => ({ value: 'tx-1' }));
      await run({ email: 'a@example.com' });
      expect(seen).toEqual([['valid', ['a@example.com', 'tx-1']], ['done', ['a@example.com', 'tx-1']]]);
      seen.length = 0;
      await run({ email: 'nope' });
      expect(seen).toEqual([['invalid', ['step.invalid_email', 'tx-1']]]);
    });

    test('an error from valid goes to invalid with what load found, and done does not run', async () => {
      const { run, seen } = withLoad(async () => ({ value: 'tx-2' }), async () => { throw new AppError('step.wrong', 400); });
      await run({ email: 'a@example.com' });
      expect(seen).toEqual([['valid', ['a@example.com', 'tx-2']], ['invalid', ['step.wrong', 'tx-2']]]);
    });

    test('a skip never reads the form: no field error, no valid, no invalid', async () => {
      let loaded = 0;
      const { run, seen } = withLoad(async () => { loaded += 1; return { skip: true }; });
      await run({ email: 'nope' });
      expect(loaded).toBe(1);
      expect(seen).toEqual([]);
    });

    test('errors from load or done reach the error handler, not the form', async () => {
      const missing = new AppError('step.no_transaction', 400);
      const failing = withLoad(async () => { throw missing; });
      await expect(failing.run({ email: 'a@example.com' })).rejects.toBe(missing);
      expect(failing.seen).toEqual([]);

      const blocked = new AppError('account.blocked', 403);
      const seen: string[] = [];
      const form = defineStageForm({
        path: '/step', schema: z.object({}), errors: 'step',
        valid: async () => undefined, done: async () => { throw blocked; }, invalid: () => void seen.push('invalid'),
      });
      const route = createStageRegistry([{ prompt: 'login', routes: [], forms: [form] }]).get('login')!.routes[0]!;
      await expect(route.handle({ form: {}, ctx: { set: () => undefined } } as unknown as StageContext)).rejects.toBe(blocked);
      expect(seen).toEqual([]);
    });
  });
});
