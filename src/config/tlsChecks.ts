import { serverTlsProblems, tlsProblems } from '../net/tlsFiles';
import { Config } from './schema';
import { ConfigIssue } from './schemaKit';

/** The TLS files the listener (dicom.tls) names, as tlsFileIssues checks those of the destinations; always errors (the node cannot listen without them). */
export function listenerTlsIssues(c: Config, now = new Date()): ConfigIssue[] {
  if (!c.dicom?.tls) return [];
  return serverTlsProblems(c.dicom.tls, now).map((p) => ({ path: `dicom.tls.${p.key}`, message: p.message, severity: p.severity }));
}

/** The TLS files the destinations and sources name: present, readable, PEM, key matching its certificate, not expired. */
export function tlsFileIssues(c: Config, now = new Date()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (section: 'dicom' | 'hl7') =>
    (c.destinations?.[section] ?? []).forEach((d, i) => {
      if (!d?.tls) return;
      for (const p of tlsProblems(d.tls, now)) issues.push({ path: `destinations.${section}[${i}].tls.${p.key}`, message: p.message, severity: p.severity });
    });
  check('dicom');
  check('hl7');
  // A DICOMweb destination uses its tls files for an https URL (tls.enabled is not needed there).
  (c.destinations?.dicomweb ?? []).forEach((d, i) => {
    if (!d?.tls || !/^https:/i.test(d.url ?? '')) return;
    for (const p of tlsProblems({ ...d.tls, enabled: true }, now)) issues.push({ path: `destinations.dicomweb[${i}].tls.${p.key}`, message: p.message, severity: p.severity });
  });
  (c.sources?.dicom ?? []).forEach((d, i) => {
    if (!d?.tls) return;
    for (const p of tlsProblems(d.tls, now)) issues.push({ path: `sources.dicom[${i}].tls.${p.key}`, message: p.message, severity: p.severity });
  });
  return issues;
}
