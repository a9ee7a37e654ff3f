/**
 * Waiting for contours with two nodes sharing one real PostgreSQL: the CT received by node A
 * waits (both nodes' status and metrics say so, nothing is sent), the RTSTRUCT received later by
 * node B takes the same study version out of waiting, and the study is processed once: one SR,
 * one ORU.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runCli, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess } from '../../support/nodeProcess';
import { startPostgres, TestPostgres } from '../../support/postgres';
import { query, startClusterNode } from '../../support/cluster';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';

let pg: TestPostgres;
let pacs: DicomPeer;
let ris: Hl7Peer;
let nodes: NodeProcess[] = [];

afterAll(async () => {
  await Promise.all([...nodes.map((n) => n.stop()), pacs?.stop(), ris?.stop()]);
  await pg?.stop();
}, 60_000);

test('CT on node A waits on both nodes; its RTSTRUCT on node B has it processed once', async () => {
  [pg, pacs, ris] = await Promise.all([startPostgres(), startStorescp('PACS'), startHl7Peer()]);
  const url = await pg.createDatabase('cd8_waiting');
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-cluster-wait-'));
  const env = { CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}`, CD8_STABLE_AGE_S: '2' };
  const a = await startClusterNode({ name: 'node-a', url, dataDir, env });
  const b = await startClusterNode({ name: 'node-b', url, dataDir, env });
  nodes = [a, b];

  expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(a.port), '+sd', join(PHANTOM, 'image')])).code).toBe(0);
  await waitFor('the study to wait for contours', () => a.logs().find((l) => /^study waiting for contours: /.test(l.message)), 30000);
  const state = await query<{ state: string; reason: string }>(url, `SELECT v.state, v.reason FROM study_versions v JOIN studies s ON s.study_uid = v.study_uid AND v.version = s.current_version`);
  expect(state).toEqual([{ state: 'waiting', reason: expect.stringMatching(/^waiting for contours: /) }]);
  // Node B reads the same database: its status and metrics show the waiting study too.
  expect((await runCli(['status'], b.env)).stdout).toMatch(/state: +waiting for contours: /);
  await waitFor("node B's gauge", async () => (/^cd8_studies\{state="waiting"\} 1$/m.test(await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).text()) ? true : undefined), 15000, 500);
  await new Promise((r) => setTimeout(r, 3000));
  expect(readdirSync(pacs.dir).filter((f) => f.startsWith('SR'))).toEqual([]);
  expect(ris.received()).toEqual([]);

  expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(b.port), '+sd', join(PHANTOM, 'mask')])).code).toBe(0);
  await waitFor('the SR', () => readdirSync(pacs.dir).find((f) => f.startsWith('SR')), 120000);
  await waitFor('the ORU', () => ris.received()[0], 60000);
  await new Promise((r) => setTimeout(r, 3000));
  expect(readdirSync(pacs.dir).filter((f) => f.startsWith('SR'))).toHaveLength(1);
  expect(ris.received()).toHaveLength(1);
  expect(await query(url, `SELECT version, state FROM study_versions WHERE study_uid = $1`, [PHANTOM_STUDY])).toEqual([{ version: 1, state: 'done' }]);
}, 240_000);
