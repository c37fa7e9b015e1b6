import { describe, expect, test } from '@jest/globals';
import { brandingProblem, loginMethodsOf } from '../../src/branding/branding-metadata.ts';
import { brandStylesheet, textOn } from '../../src/branding/brand-stylesheet.ts';
import { brandView, localized } from '../../src/branding/brand-view.ts';
import { loginMethodOfRoute, loginRouteOffered } from '../../src/branding/login-method-gate.ts';

describe('branding rules', () => {
  test('links must be https in production; http only in development and test; never another scheme', () => {
    const production = { allowHttp: false };
    expect(brandingProblem({ logo_uri: 'https://a.example/l.png' }, production)).toBeUndefined();
    expect(brandingProblem({ logo_uri: 'http://a.example/l.png' }, production)).toBe('logo_uri: must be an https URL (http is allowed in development and test only)');
    expect(brandingProblem({ logo_uri: 'http://a.example/l.png' }, { allowHttp: true })).toBeUndefined();
    expect(brandingProblem({ 'logo_uri#ja': 'http://a.example/l.png' }, production)).toContain('logo_uri#ja');
    expect(brandingProblem({ support_uri: 'javascript:alert(1)' }, { allowHttp: true })).toBe('support_uri: must be an https URL');
    expect(brandingProblem({ tos_uri: 'https://user:pw@a.example/' }, production)).toBe('tos_uri: must not contain credentials');
    expect(brandingProblem({ client_uri: 'http://a.example/' }, production)).toBeUndefined();
  });

  test('button text is whichever of black and white contrasts more with the primary colour', () => {
    expect(textOn('#1d4ed8')).toBe('#ffffff');
    expect(textOn('#fde047')).toBe('#111111');
    expect(textOn('#ffffff')).toBe('#111111');
    expect(textOn('#000000')).toBe('#ffffff');
  });

  test('the stylesheet holds only validated colours, and a light scheme when the page colours are set', () => {
    expect(brandStylesheet({ client_id: 'x' })).toBeUndefined();
    expect(brandStylesheet({ branding_primary_color: 'red;} body{display:none' })).toBeUndefined();
    const primaryOnly = brandStylesheet({ branding_primary_color: '#ABCDEF' })!;
    expect(primaryOnly).toContain('--accent: #abcdef;');
    expect(primaryOnly).not.toContain('color-scheme');
    expect(brandStylesheet({ branding_text_color: '#222222' })).toContain('color-scheme: light;');
  });

  test('language-tagged names: exact tag, then a regional one, then the plain name', () => {
    expect(localized({ client_name: 'Books', 'client_name#ja': '書店' }, 'client_name', 'ja')).toBe('書店');
    expect(localized({ client_name: 'Books', 'client_name#ja-JP': '書店JP' }, 'client_name', 'ja')).toBe('書店JP');
    expect(localized({ client_name: 'Books', 'client_name#JA': '書店' }, 'client_name', 'ja')).toBe('書店');
    expect(localized({ client_name: 'Books', 'client_name#ja': '書店' }, 'client_name', 'en')).toBe('Books');
    expect(brandView({ client_id: 'abc' }, 'en').name).toBe('abc');
  });

  test('sign-in routes belong to their method; the others are shared', () => {
    expect(loginMethodOfRoute('POST', '')).toBe('password');
    expect(loginMethodOfRoute('GET', '')).toBeUndefined();
    expect(loginMethodOfRoute('GET', '/register')).toBe('password');
    expect(loginMethodOfRoute('POST', '/federation/signup')).toBe('federation');
    expect(loginMethodOfRoute('POST', '/passkey')).toBe('passkey');
    expect(loginRouteOffered({ login_methods: ['passkey'] }, 'login', 'POST', '')).toBe(false);
    expect(loginRouteOffered({ login_methods: ['passkey'] }, 'consent', 'POST', '')).toBe(true);
    expect([...loginMethodsOf({})]).toEqual(['password', 'passkey', 'federation']);
  });
});
