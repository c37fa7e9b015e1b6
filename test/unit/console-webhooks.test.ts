import { describe, expect, test } from '@jest/globals';
import { eventFilter, subscriptionState } from '../../src/console/webhooks.section.ts';

// The webhooks page's two pieces of reading: the event filter as typed in the form, and the state shown per
// subscription from its latest delivery.

describe('console webhooks page', () => {
  test('the event filter splits on commas, spaces and lines, drops repeats, and means every event when empty', () => {
    expect(eventFilter('user.*, consent.granted\nclient.*  user.*')).toEqual(['user.*', 'consent.granted', 'client.*']);
    expect(eventFilter('  ')).toEqual(['*']);
    expect(eventFilter(undefined)).toEqual(['*']);
  });

  test('the state is disabled, idle, or read from the latest delivery', () => {
    expect(subscriptionState(false, { outcome: 'delivered' })).toBe('disabled');
    expect(subscriptionState(true)).toBe('idle');
    expect(subscriptionState(true, { outcome: 'delivered' })).toBe('healthy');
    expect(subscriptionState(true, { outcome: 'replayed' })).toBe('healthy');
    expect(subscriptionState(true, { outcome: 'failed' })).toBe('failing');
    expect(subscriptionState(true, { outcome: 'replay_failed' })).toBe('failing');
    expect(subscriptionState(true, { outcome: 'dead' })).toBe('dead');
  });
});
