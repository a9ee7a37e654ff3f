/** The TLS files the listener (dicom.tls) names, as tlsFileIssues checks those of the destinations; always errors (the node cannot listen without them). */
export function listenerTlsIssues(c: Config, now = new Date()): ConfigIssue[] {
  if (!c.dicom?.tls) return [];
  return serverTlsProblems(c.dicom.tls, now).map((p) => ({ path: `dicom.tls.${p.key}`, message: p.message, severity: p.severity }));
}

/** The TLS files the destinations name: present, readable, PEM, key matching its certificate, not expired. */
import { serverTlsProblems, tlsProblems } from '../net/tlsFiles';
import { Config } from './schema';
import { ConfigIssue } from './schemaKit';

export function tlsFileIssues(c: Config, now = new Date()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (section: 'dicom' | 'hl7') =>
    (c.destinations?.[section] ?? []).forEach((d, i) => {
      if (!d?.tls) return;
      for (const p of tlsProblems(d.tls, now)) issues.push({ path: `destinations.${section}[${i}].tls.${p.key}`, message: p.message, severity: p.severity });
    });
  check('dicom');
  check('hl7');
  return issues;
}
