import Handlebars from 'handlebars';
import nodemailer, { type Transporter } from 'nodemailer';
import type { I18n, Locale } from '../i18n/i18n.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../shared/logger.ts';

// The only importer of nodemailer. Messages come from views/mails/<name>/{subject,html,text}.hbs in the
// recipient's language. Without SMTP_URL, messages are written to the log (for development only): their kind and
// recipient, and subject and text only with mail.logBodies, since bodies hold reset links and sign-in codes.

export type MailName = 'verify-email' | 'password-reset' | 'account-exists' | 'password-changed' | 'mfa-code' | 'federation-code'
  | 'lead-verify' | 'lead-account-exists'
  | 'password-updated' | 'email-change-code' | 'email-change-taken' | 'email-changed' | 'ciba-request';

export interface Mailer {
  send(name: MailName, to: string, locale: Locale, model: Record<string, unknown>): Promise<void>;
  close(): void;
}

/**
 * A mail sent for a site (`model.brand`, src/branding) is framed by views/mails/branded/: its name, logo, colours
 * and links around the message. The message parts were rendered (and escaped) by their own templates already.
 */
function branded(views: Views, model: Record<string, unknown>, context: { locale: Locale; t: ReturnType<I18n['t']> }, parts: { html: string; text: string }) {
  if (!model.brand) return parts;
  return {
    html: views.mail('branded', 'html', { brand: model.brand, content: new Handlebars.SafeString(parts.html) }, context),
    text: views.mail('branded', 'text', { brand: model.brand, content: parts.text }, context),
  };
}

export function createMailer(options: { smtpUrl?: string; from: string; logBodies?: boolean; views: Views; i18n: I18n; logger: Logger }): Mailer {
  const toLog = !options.smtpUrl;
  const transport: Transporter = toLog
    ? nodemailer.createTransport({ jsonTransport: true })
    : nodemailer.createTransport(options.smtpUrl);

  return {
    async send(name, to, locale, model) {
      const context = { locale, t: options.i18n.t(locale) };
      const message = {
        from: options.from,
        to,
        subject: options.views.mail(name, 'subject', model, context),
        ...branded(options.views, model, context, {
          html: options.views.mail(name, 'html', model, context),
          text: options.views.mail(name, 'text', model, context),
        }),
      };
      const info = await transport.sendMail(message);
      if (toLog) {
        const content = options.logBodies ? { subject: message.subject, body: message.text } : {};
        options.logger.info({ event: 'mail.logged', mail: name, to, ...content }, 'mail (SMTP_URL unset)');
      } else {
        options.logger.info({ event: 'mail.sent', mail: name, messageId: info.messageId }, 'mail.sent');
      }
    },
    close: () => transport.close(),
  };
}
