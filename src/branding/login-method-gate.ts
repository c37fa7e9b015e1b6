import type { LoginMethod } from './branding-metadata.ts';
import { loginMethodsOf } from './branding-metadata.ts';

// The sign-in methods a client offers (login_methods) are enforced, not only hidden: a request for a route of a
// method the client does not offer (a form posted by hand, an old tab) is refused before the stage runs.

/** The method a route of the `login` prompt belongs to; undefined for routes every method shares. */
export function loginMethodOfRoute(method: 'GET' | 'POST', sub: string): LoginMethod | undefined {
  if (sub === '/passkey') return 'passkey';
  if (sub === '/federation' || sub.startsWith('/federation/')) return 'federation';
  // The password form is the POST of the page itself; its e-mail code step, sign-up and the forgotten password too.
  if ((sub === '' && method === 'POST') || ['/verify', '/register', '/forgot'].includes(sub)) return 'password';
  return undefined;
}

/** Whether the client offers the method of this route of its `login` prompt. */
export function loginRouteOffered(metadata: Record<string, unknown>, prompt: string, method: 'GET' | 'POST', sub: string): boolean {
  if (prompt !== 'login') return true;
  const needed = loginMethodOfRoute(method, sub);
  return needed === undefined || loginMethodsOf(metadata).has(needed);
}
