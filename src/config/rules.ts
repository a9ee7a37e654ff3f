/** Rules that span several keys: duplicates, loops, contradictions. */
import { Config } from './schema';
import { ConfigIssue } from './schemaKit';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);

function duplicates<T>(items: T[], key: (item: T) => string): Array<[first: number, again: number]> {
  const seen = new Map<string, number>();
  const out: Array<[number, number]> = [];
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else out.push([first, i]);
  });
  return out;
}

export function crossFieldIssues(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const error = (path: string, message: string) => issues.push({ path, message, severity: 'error' });
  const warn = (path: string, message: string) => issues.push({ path, message, severity: 'warning' });

  const callers = c.dicom.allowedCallers;
  for (const [first, again] of duplicates(callers, (x) => x.trim().toUpperCase())) {
    error(`dicom.allowedCallers[${again}]`, `duplicate AE title "${callers[again]}" (already at dicom.allowedCallers[${first}]); remove one.`);
  }
  if (callers.includes('*')) {
    if (callers.length > 1) warn('dicom.allowedCallers', '"*" accepts any caller, so the other entries have no effect.');
    else warn('dicom.allowedCallers', 'any calling AE title is accepted ("*"); list your PACS AE titles to restrict who can send.');
  }

  const tls = c.dicom.tls;
  if (tls.enabled && tls.plain && tls.port !== 0 && tls.port === c.dicom.port) {
    error('dicom.tls.port', `is dicom.port (${c.dicom.port}); the TLS listener needs its own port (2762 is the registered one), or set dicom.tls.plain: false to listen with TLS only.`);
  }
  for (const [first, again] of duplicates(tls.pinnedSubjects, (x) => x.slice(0, x.indexOf(':')).trim())) {
    error(`dicom.tls.pinnedSubjects[${again}]`, `pins "${tls.pinnedSubjects[again].slice(0, tls.pinnedSubjects[again].indexOf(':')).trim()}" again (already at dicom.tls.pinnedSubjects[${first}]); keep one subject per AE title.`);
  }

  const dicom = c.destinations.dicom;
  for (const [first, again] of duplicates(dicom, (d) => d.aeTitle.trim().toUpperCase())) {
    error(
      `destinations.dicom[${again}].aeTitle`,
      `duplicate AE title "${dicom[again].aeTitle}" (already used by destinations.dicom[${first}] "${dicom[first].name}"); each destination needs its own AE title.`,
    );
  }
  // DICOM, DICOMweb and HL7 destinations share one name space: the outbox and status know them by name.
  const named = [
    ...dicom.map((d, i) => ({ name: d.name, path: `destinations.dicom[${i}]` })),
    ...c.destinations.dicomweb.map((d, i) => ({ name: d.name, path: `destinations.dicomweb[${i}]` })),
    ...c.destinations.hl7.map((d, i) => ({ name: d.name, path: `destinations.hl7[${i}]` })),
  ];
  for (const [first, again] of duplicates(named, (n) => n.name)) {
    error(`${named[again].path}.name`, `destination name "${named[again].name}" is also the name of ${named[first].path}; give each destination its own name.`);
  }
  dicom.forEach((d, i) => {
    if (d.aeTitle.trim().toUpperCase() === c.dicom.aeTitle.trim().toUpperCase()) {
      const loop = d.port === c.dicom.port && LOCAL_HOSTS.has(d.host);
      (loop ? error : warn)(
        `destinations.dicom[${i}].aeTitle`,
        loop
          ? `"${d.aeTitle}" at ${d.host}:${d.port} is this node itself; results would loop back. Point it at your PACS.`
          : `"${d.aeTitle}" is also our own AE title (dicom.aeTitle); PACS logs will be ambiguous.`,
      );
    }
  });
  for (const [first, again] of duplicates(c.destinations.hl7, (d) => `${d.host}:${d.port}`)) {
    error(`destinations.hl7[${again}]`, `the same MLLP endpoint ${c.destinations.hl7[again].host}:${c.destinations.hl7[again].port} is listed twice (also destinations.hl7[${first}]).`);
  }

  if (c.http.port !== 0 && c.http.port === c.dicom.port) {
    error('http.port', `${c.http.port} is also dicom.port; give the HTTP endpoint its own port (or 0 to disable it).`);
  }
  if (c.dicomweb.receive && c.http.auth.sender.tokenSha256.length === 0 && c.http.auth.admin.tokenSha256 === null) {
    error(
      'http.auth.sender.tokenSha256',
      'the STOW-RS receiver (dicomweb.receive) requires authentication: list the SHA-256 of at least one sender token ("cd8-node console hash-password --token" makes one), or set dicomweb.receive to false.',
    );
  }
  if (c.dicomweb.receive && c.http.port === 0) error('dicomweb.receive', 'the STOW-RS receiver is served on the HTTP port, which is disabled (http.port 0).');
  if (c.dicomweb.maxInstanceMb > c.dicomweb.maxRequestMb) {
    error('dicomweb.maxInstanceMb', `${c.dicomweb.maxInstanceMb} MB is more than dicomweb.maxRequestMb (${c.dicomweb.maxRequestMb} MB); an instance must fit in a request.`);
  }
  // A C-MOVE's images come back on an association the PACS opens to us: it must be let in.
  c.sources.dicom.forEach((src, i) => {
    if (src.method !== 'move' || callers.includes('*')) return;
    const aet = src.aeTitle.trim().toUpperCase();
    if (!callers.some((x) => x.split('@')[0].trim().toUpperCase() === aet)) {
      warn(`sources.dicom[${i}].aeTitle`, `"${src.aeTitle}" is not in dicom.allowedCallers, so the images it moves to us would be rejected; add it (or the AE title the PACS calls with), or use method: get.`);
    }
  });
  if (c.sources.maxBackoffS < c.sources.initialBackoffS) {
    error('sources.maxBackoffS', `${c.sources.maxBackoffS} s is shorter than sources.initialBackoffS (${c.sources.initialBackoffS} s); raise it.`);
  }
  if (c.delivery.maxBackoffS < c.delivery.initialBackoffS) {
    error('delivery.maxBackoffS', `${c.delivery.maxBackoffS} s is shorter than delivery.initialBackoffS (${c.delivery.initialBackoffS} s); raise it.`);
  }
  return issues;
}
