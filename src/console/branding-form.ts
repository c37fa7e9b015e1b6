import { LOGIN_METHODS } from '../branding/branding-metadata.ts';
import { text } from './console-page.ts';

// The branding fields of the console's application page (src/branding): colours, footer links and the sign-in
// methods offered. An empty field removes its key; the engine validates the values and its message is shown.

export function brandingFromForm(form: Record<string, string>): Record<string, unknown> {
  const ticked = LOGIN_METHODS.filter((method) => form[`login_${method}`] === 'yes');
  return {
    branding_primary_color: text(form.branding_primary_color) ?? null,
    branding_background_color: text(form.branding_background_color) ?? null,
    branding_text_color: text(form.branding_text_color) ?? null,
    policy_uri: text(form.policy_uri) ?? null,
    tos_uri: text(form.tos_uri) ?? null,
    support_uri: text(form.support_uri) ?? null,
    // None ticked, or all: every method (the key is removed).
    login_methods: ticked.length && ticked.length < LOGIN_METHODS.length ? ticked : null,
  };
}

export function brandingMethodsView(client: Record<string, unknown>) {
  const listed = Array.isArray(client.login_methods) ? (client.login_methods as string[]) : [];
  return LOGIN_METHODS.map((method) => ({ method, checked: listed.includes(method) }));
}
