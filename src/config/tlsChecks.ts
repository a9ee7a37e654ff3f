/** The TLS files the destinations and sources name: present, readable, PEM, key matching its certificate, not expired. */
import { tlsProblems } from '../net/tlsFiles';
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
  (c.sources?.dicom ?? []).forEach((d, i) => {
    if (!d?.tls) return;
    for (const p of tlsProblems(d.tls, now)) issues.push({ path: `sources.dicom[${i}].tls.${p.key}`, message: p.message, severity: p.severity });
  });
  return issues;
}
