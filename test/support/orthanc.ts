/**
 * A real Orthanc (Debian package) on loopback for tests: temporary config with free DICOM and HTTP
 * ports, temporary storage and index, our AE as a known modality, no authentication (loopback
 * only), and a small REST client.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, freePort, startDaemon, waitFor } from './process';

export interface Orthanc extends Daemon {
  aeTitle: string;
  dicomPort: number;
  httpPort: number;
  dir: string;
  /** http://127.0.0.1:<httpPort> */
  url: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: Buffer | string, contentType?: string): Promise<T>;
}

export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export async function startOrthanc(
  options: {
    aeTitle?: string;
    modalities?: Record<string, [string, string, number]>;
    /** More Orthanc settings (e.g. DicomTls*). */ settings?: Record<string, unknown>;
    /** Load the DICOMweb plugin (orthanc-dicomweb), served at /dicom-web. */
    dicomweb?: boolean;
    /** HTTP basic authentication required on the REST API and DICOMweb (the helper's client uses it). */
    credentials?: [user: string, password: string];
  } = {},
): Promise<Orthanc> {
  const aeTitle = options.aeTitle ?? 'ORTHANC';
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-'));
  const config = {
    Name: 'cd8-node-test',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    DicomAet: aeTitle,
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpServerEnabled: true,
    DicomServerEnabled: true,
    DicomCheckCalledAet: true,
    DicomAlwaysAllowStore: false,
    DicomModalities: options.modalities ?? {},
    Plugins: options.dicomweb ? [DICOMWEB_PLUGIN] : [],
    ...(options.dicomweb ? { DicomWeb: { Enable: true, Root: '/dicom-web/' } } : {}),
    ...(options.credentials ? { AuthenticationEnabled: true, RegisteredUsers: { [options.credentials[0]]: options.credentials[1] } } : {}),
    StableAge: 1,
    ...options.settings,
  };
  const file = join(dir, 'orthanc.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const daemon = startDaemon('/usr/sbin/Orthanc', [file]);
  const base = `http://127.0.0.1:${httpPort}`;
  const request = async <T>(method: string, path: string, body?: Buffer | string, contentType = 'application/json'): Promise<T> => {
    // No keep-alive: a pooled socket would keep the test process alive after Orthanc stops.
    const auth: Record<string, string> = options.credentials ? { authorization: `Basic ${Buffer.from(options.credentials.join(':')).toString('base64')}` } : {};
    const res = await fetch(base + path, { method, body, headers: { connection: 'close', ...auth, ...(body ? { 'content-type': contentType } : {}) } });
    const text = await res.text();
    if (!res.ok) throw new Error(`Orthanc ${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  await waitFor(
    'Orthanc to answer on its REST API',
    async () => {
      if (daemon.child.exitCode !== null) throw new Error(`Orthanc exited: ${daemon.output()}`);
      try {
        await request('GET', '/system');
        return true;
      } catch {
        return undefined;
      }
    },
    30000,
    200,
  );
  return { ...daemon, aeTitle, dicomPort, httpPort, dir, url: base, get: (p) => request('GET', p), post: (p, b, ct) => request('POST', p, b, ct ?? 'application/dicom') };
}
