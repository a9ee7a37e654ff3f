/**
 * Server-side HTML for the console: a tagged template that escapes every interpolated value
 * (only `Html` values pass through as markup), and the page layout every page shares.
 */
import type { Principal } from './auth';
import { significant } from '../ops/format';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

type Part = Html | string | number | boolean | null | undefined | Part[];

function render(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  if (v instanceof Html) return v.text;
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** The CSRF field every state-changing form carries. */
export const csrfField = (p: Principal) => html`<input type="hidden" name="_csrf" value="${p.csrf ?? ''}">`;

export interface PageChrome {
  title: string;
  /** Which navigation entry is current. */
  section: 'overview' | 'studies' | 'outbox' | 'configuration' | 'audit' | 'login' | 'error';
  principal?: Principal;
  /** No credential configured: read-only on loopback (said on every page). */
  openMode: boolean;
  /** A one-line message after an action. */
  flash?: { kind: 'ok' | 'error'; text: string };
}

const NAV: Array<[PageChrome['section'], string, string]> = [
  ['overview', '/', 'Overview'],
  ['outbox', '/outbox', 'Outbox'],
  ['configuration', '/configuration', 'Configuration'],
  ['audit', '/audit', 'Audit trail'],
];

export function page(chrome: PageChrome, body: Html): string {
  const p = chrome.principal;
  const who = !p
    ? html`<a href="/login">Log in</a>`
    : p.via === 'open-loopback'
      ? html`<span class="role">read-only (no login configured)</span>`
      : html`<span class="role">${p.role}${p.via === 'token' ? ' (token)' : ''}</span>${
          p.via === 'session' ? html` <form method="post" action="/logout" class="inline">${csrfField(p)}<button type="submit">Log out</button></form>` : ''
        }`;
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${chrome.title} · cd8-node</title><link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">cd8-node</span><nav aria-label="Sections">${NAV.map(
    ([id, href, label]) => html`<a href="${href}"${new Html(chrome.section === id ? ' aria-current="page"' : '')}>${label}</a>`,
  )}</nav><span class="who">${who}</span></header>
${chrome.openMode ? html`<p class="banner" role="note">Read-only console: no credential is configured (http.auth), so it answers on this machine (loopback) only and no action is possible. Set http.auth.admin.passwordHash to enable actions.</p>` : ''}
${chrome.flash ? html`<p class="flash ${chrome.flash.kind}" role="status">${chrome.flash.text}</p>` : ''}
<main id="main" tabindex="-1"><h1>${chrome.title}</h1>${body}</main></body></html>`}`;
}

/** A value for a table cell: `digits` significant digits, trailing zeros dropped, missing as an en dash. */
export const num = (v: number | null | undefined, digits = 4): string => significant(v, digits, { trim: true });
