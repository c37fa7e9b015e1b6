// What a person reads for each requested scope on the approval pages (device confirmation, CIBA approval): the
// standard scopes have a sentence in views/locales (`scopes.*`); any other (an API's scope) is shown as it is.
const LABELLED = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

export interface ScopeLabel {
  key?: string;
  raw?: string;
}

export function scopeLabels(scope: string | undefined): ScopeLabel[] {
  const scopes = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  return scopes.map((s) => (LABELLED.has(s) ? { key: `scopes.${s}` } : { raw: s }));
}
