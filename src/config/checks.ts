import { validate as validateCron } from 'node-cron';
import { isIP } from 'node:net';
import { errorText } from '../ops/errorText';

export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'i');
    return undefined;
  } catch (e) {
    return `"${pattern}" is not a valid regular expression (${errorText(e)}).`;
  }
}

export function cronProblem(expression: string): string | undefined {
  return validateCron(expression)
    ? undefined
    : `"${expression}" is not a valid cron expression; use five fields "minute hour day month weekday", e.g. "30 3 * * *" for 03:30 daily.`;
}

/** An entry of http.trustProxy: an IP address or a CIDR range. */
export function proxyAddressProblem(entry: string): string | undefined {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  if (family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max))) return undefined;
  return `"${entry}" is not an IP address or CIDR range of the reverse proxy (e.g. 127.0.0.1, 10.0.0.0/8 or ::1).`;
}
