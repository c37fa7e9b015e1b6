import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import i18next, { type TFunction } from 'i18next';

// Every text people read comes from views/locales/<locale>.json. The locale is chosen by the OIDC `ui_locales`
// parameter (Core 1.0 §3.1.2.1, space-separated, in order of preference), then Accept-Language, then config.
export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export interface I18n {
  t(locale: Locale): TFunction;
  negotiate(uiLocales: string | undefined, acceptLanguages: (langs: string[]) => string | false, fallback: Locale): Locale;
}

/**
 * views/locales/<locale>.json, plus one file per capability in views/locales/<locale>/*.json (e.g. mfa.json with
 * an `mfa` section), so each capability keeps its texts beside the others without editing a shared file.
 */
export function loadLocale(viewsDir: string, locale: Locale): Record<string, unknown> {
  const base = JSON.parse(readFileSync(path.join(viewsDir, 'locales', `${locale}.json`), 'utf8')) as Record<string, unknown>;
  const dir = path.join(viewsDir, 'locales', locale);
  if (!existsSync(dir)) return base;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const part = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(part)) {
      if (key in base) throw new Error(`locale ${locale}: ${file} redefines the section "${key}"`);
      base[key] = value;
    }
  }
  return base;
}

export function createI18n(viewsDir: string): I18n {
  const resources = Object.fromEntries(LOCALES.map((locale) => [locale, { translation: loadLocale(viewsDir, locale) }]));
  const instance = i18next.createInstance();
  void instance.init({
    resources, initAsync: false, fallbackLng: 'en', supportedLngs: [...LOCALES],
    interpolation: { escapeValue: false }, returnNull: false, showSupportNotice: false,
  } as never);
  const fixed = new Map(LOCALES.map((locale) => [locale, instance.getFixedT(locale)]));

  return {
    t: (locale) => fixed.get(locale)!,
    negotiate(uiLocales, acceptLanguages, fallback) {
      for (const tag of uiLocales?.split(' ') ?? []) {
        const base = tag.toLowerCase().split('-')[0];
        if ((LOCALES as readonly string[]).includes(base!)) return base as Locale;
      }
      const accepted = acceptLanguages([...LOCALES]);
      return accepted ? (accepted as Locale) : fallback;
    },
  };
}
