/** AE title and "AET@host" rules (PS3.5 AE value representation: ≤ 16 characters, no backslash or control characters). */

export function aeTitleProblem(value: string): string | undefined {
  if (value.trim() === '') return 'an AE title must not be empty or only spaces.';
  if (value.length > 16) return `"${value}" has ${value.length} characters; an AE title has at most 16.`;
  if (/[\\\x00-\x1f\x7f]/.test(value)) return `"${value}" contains a backslash or a control character, which an AE title may not.`;
  return undefined;
}

export interface CallerSpec {
  aeTitle: string;
  /** When set, the peer must also connect from this host (name or address). */
  host?: string;
}

/** Parses "AET" or "AET@host"; "*" is handled by the caller policy. */
export function parseCallerSpec(spec: string): CallerSpec {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { aeTitle: spec.trim() };
  return { aeTitle: spec.slice(0, at).trim(), host: spec.slice(at + 1).trim() };
}

export function callerSpecProblem(spec: string): string | undefined {
  if (spec === '*') return undefined;
  const { aeTitle, host } = parseCallerSpec(spec);
  if (host === '') return `"${spec}" has an empty host after "@"; write "AET" or "AET@host".`;
  return aeTitleProblem(aeTitle);
}

export interface AeAddress {
  aeTitle: string;
  host: string;
  port: number;
}

/** Parses "AET@host:port" (IPv6 hosts in brackets: "AET@[::1]:104"). */
export function parseAeAddress(text: string): AeAddress {
  const m = /^([^@]+)@(\[[^\]]+\]|[^:@]+):(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not an AE address; write AET@HOST:PORT, e.g. PACS@10.0.0.5:104.`);
  const [, aeTitle, rawHost, rawPort] = m;
  const problem = aeTitleProblem(aeTitle);
  if (problem) throw new Error(`"${text}": ${problem}`);
  const port = Number(rawPort);
  if (port < 1 || port > 65535) throw new Error(`"${text}": port ${port} is out of range (1–65535).`);
  return { aeTitle, host: rawHost.replace(/^\[|\]$/g, ''), port };
}

/** Parses "host:port". */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not HOST:PORT, e.g. ris.example.org:2575.`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`"${text}": port ${port} is out of range (1–65535).`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export interface PinnedSubject {
  aeTitle: string;
  /** Attribute=value pairs the client certificate subject must hold, e.g. ["CN=pacs.example.org"]. */
  attributes: string[];
}

/** Parses "AET: CN=host,O=org" (a distinguished name in the one-line form, commas between attributes). */
export function parsePinnedSubject(spec: string): PinnedSubject {
  const colon = spec.indexOf(':');
  const aeTitle = (colon < 0 ? '' : spec.slice(0, colon)).trim();
  const attributes = (colon < 0 ? '' : spec.slice(colon + 1))
    .split(',')
    .map((a) => a.trim().replace(/\s*=\s*/, '='))
    .filter((a) => a !== '');
  return { aeTitle, attributes };
}

export function pinnedSubjectProblem(spec: string): string | undefined {
  const { aeTitle, attributes } = parsePinnedSubject(spec);
  if (aeTitle === '' || attributes.length === 0 || attributes.some((a) => !/^[A-Za-z][A-Za-z0-9.]*=.+$/.test(a))) {
    return `"${spec}" is not "AET: SUBJECT", e.g. "PACS: CN=pacs.example.org,O=Hospital".`;
  }
  return aeTitleProblem(aeTitle);
}
