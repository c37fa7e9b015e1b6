import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { TFunction } from 'i18next';
import type { Locale } from '../i18n/i18n.ts';

// Handlebars views. Templates receive precomputed view models and only `{{ }}` (escaped) output of user or
// client data. `{{t "key" name=value}}` translates with the request's locale.

export interface ViewContext {
  locale: Locale;
  t: TFunction;
  csrfToken?: string;
}

export interface Views {
  /** A page: views/<name>.hbs inside views/layouts/<layout>.hbs (main by default). */
  page(name: string, model: Record<string, unknown>, context: ViewContext, layout?: string): string;
  /** A mail part: views/mails/<name>/<part>.hbs (text parts are not HTML-escaped). */
  mail(name: string, part: 'subject' | 'html' | 'text', model: Record<string, unknown>, context: ViewContext): string;
}

export function createViews(viewsDir: string): Views {
  const html = Handlebars.create();
  const text = Handlebars.create();
  for (const hbs of [html, text]) {
    hbs.registerHelper('t', function t(this: unknown, key: string, options: Handlebars.HelperOptions) {
      const root = options.data.root as { __t: TFunction };
      return root.__t(key, options.hash);
    });
    hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
    // An RFC 3339 time as `YYYY-MM-DD HH:MM` (UTC), the same in every locale.
    hbs.registerHelper('datetime', (value: unknown) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) ? `${value.slice(0, 10)} ${value.slice(11, 16)}` : ''));
  }
  const partialsDir = path.join(viewsDir, 'partials');
  if (existsSync(partialsDir)) {
    for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
      html.registerPartial(path.basename(file, '.hbs'), readFileSync(path.join(partialsDir, file), 'utf8'));
    }
  }

  const cache = new Map<string, Handlebars.TemplateDelegate>();
  const compile = (hbs: typeof Handlebars, file: string, noEscape = false) => {
    const key = `${noEscape}:${file}`;
    let template = cache.get(key);
    if (!template) {
      template = hbs.compile(readFileSync(path.join(viewsDir, file), 'utf8'), { strict: false, noEscape });
      cache.set(key, template);
    }
    return template;
  };
  const data = (model: Record<string, unknown>, context: ViewContext) => ({
    ...model, locale: context.locale, csrfToken: context.csrfToken, __t: context.t,
  });

  return {
    page(name, model, context, layout = 'main') {
      const root = data(model, context);
      const body = compile(html, `${name}.hbs`)(root);
      return compile(html, `layouts/${layout}.hbs`)({ ...root, body: new Handlebars.SafeString(body) });
    },
    mail(name, part, model, context) {
      const file = `mails/${name}/${part}.hbs`;
      const root = data(model, context);
      return part === 'html' ? compile(html, file)(root) : compile(text, file, true)(root).trim();
    },
  };
}
