/**
 * Patient identifiers stay out of what a viewer sees and of the log: a CT and an RTSTRUCT of
 * different patients (Patient IDs that look like hospital MRNs) are refused with a reason that
 * says the IDs differ, never what they are, on every console page and in the node's JSON log.
 */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, SHARED, waitFor } from '../../support/process';
import { storescuFiles, studyUidIn } from '../../support/dcmtk';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const RTSTRUCT_PATIENT = 'SECRET-MRN-4711';
const CT_PATIENT = 'SECRET-MRN-0815';
const PATIENT_NAME = 'PAT1';

async function setPatientId(files: string[], id: string): Promise<void> {
  const r = await run('dcmodify', ['-nb', '-m', `(0010,0020)=${id}`, ...files], { timeoutMs: 60_000 });
  expect(r.code).toBe(0);
}

describe('patient identifiers in the console and the log', () => {
  let node: NodeProcess;
  let studyUid: string;
  let files: string[];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-identifiers-'));
    cpSync(PHANTOM, dir, { recursive: true });
    const images = readdirSync(join(dir, 'image')).map((f) => join(dir, 'image', f));
    const rtstruct = readdirSync(join(dir, 'mask')).map((f) => join(dir, 'mask', f));
    await setPatientId(images, CT_PATIENT);
    await setPatientId(rtstruct, RTSTRUCT_PATIENT);
    files = [...images, ...rtstruct];
    studyUid = await studyUidIn(join(dir, 'image'));
    // No http.auth: the console is read-only on loopback, the viewer role.
    node = await startNodeProcess({ CD8_STABLE_AGE_S: '2' });
  }, 90_000);

  afterAll(async () => {
    await node?.stop();
  });

  it('a patient mismatch is shown and logged without either Patient ID or the name', async () => {
    const sent = await storescuFiles(node.port, files);
    expect(sent.notSucceeded).toEqual([]);
    const base = `http://127.0.0.1:${node.httpPort}`;
    const get = async (path: string) => {
      const r = await fetch(base + path);
      expect(r.status).toBe(200);
      return r.text();
    };
    const study = await waitFor('the mismatch on the study page', async () => {
      const text = await get(`/studies/${studyUid}`);
      return /different Patient IDs/.test(text) ? text : undefined;
    }, 120_000, 1000);
    const pages = [study, await get('/'), await get('/fragments/overview'), await get('/outbox'), await get('/audit'), await get(`/audit?study=${studyUid}`), await get('/configuration')];
    const log = node.output();
    expect(log).toMatch(/different Patient IDs/);
    for (const text of [...pages, log]) {
      for (const identifier of [RTSTRUCT_PATIENT, CT_PATIENT, PATIENT_NAME]) expect(text).not.toContain(identifier);
    }
  }, 240_000);
});
