/**
 * Two nodes sharing one real PostgreSQL and one data directory, behind a real HAProxy (TCP mode,
 * health check on /readyz): every instance stored once, every study processed once, one SR and
 * one ORU per study version; a study split across the nodes; a node killed in the middle of a
 * job; a node restarted while storescu sends; PostgreSQL down and back.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess } from '../../support/nodeProcess';
import { startPostgres, TestPostgres } from '../../support/postgres';
import { startHaproxy, TestHaproxy } from '../../support/haproxy';
import { query, startClusterNode, studyCopies } from '../../support/cluster';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const STS = ['STS_001', 'STS_002'].map((s) => join(SHARED, 'data', 'sts', s, 'CT'));

let pg: TestPostgres;
let pacs: DicomPeer;
let ris: Hl7Peer;
let url: string;
let dataDir: string;
let nodes: Record<'a' | 'b', NodeProcess>;
let haproxy: TestHaproxy;

const env = () => ({ CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}`, CD8_STABLE_AGE_S: '2' });
const storescu = (port: number, ...paths: string[]) => run('storescu', ['-aec', 'CD8NODE', '-to', '30', '127.0.0.1', String(port), '+sd', '+r', ...paths], { timeoutMs: 180_000 });
const srFiles = () => readdirSync(pacs.dir).filter((f) => f.startsWith('SR'));
const storedIn = (node: string) => readFileSync(join(dataDir, `audit-${node}.log`), 'utf8').split('\n').filter((l) => l.includes('"instance.stored"')).length;
const count = async (sql: string, params: unknown[] = []) => Number((await query<{ n: string }>(url, sql, params))[0].n);

beforeAll(async () => {
  [pg, pacs, ris] = await Promise.all([startPostgres(), startStorescp('PACS'), startHl7Peer()]);
  url = await pg.createDatabase('cd8_cluster');
  dataDir = mkdtempSync(join(tmpdir(), 'cd8-cluster-'));
  const a = await startClusterNode({ name: 'node-a', url, dataDir, env: env() });
  const b = await startClusterNode({ name: 'node-b', url, dataDir, env: env() });
  nodes = { a, b };
  haproxy = await startHaproxy([
    { name: 'node-a', port: a.port, httpPort: a.httpPort },
    { name: 'node-b', port: b.port, httpPort: b.httpPort },
  ]);
  await haproxy.waitFor({ 'node-a': 'UP', 'node-b': 'UP' });
}, 180_000);

afterAll(async () => {
  await Promise.all([haproxy?.stop(), nodes?.a.stop(), nodes?.b.stop(), pacs?.stop(), ris?.stop()]);
  await pg?.stop();
}, 60_000);

test('10 phantom copies and STS_001/STS_002 through HAProxy from several storescu processes: each instance stored once, each study processed once, one SR and one ORU each', async () => {
  const copies = [...(await studyCopies(PHANTOM, 10)), ...(await Promise.all(STS.map(async (s) => (await studyCopies(s, 1))[0])))];
  const files = 10 * 61 + 60 + 49;
  // Three senders at once, each its own associations (one per study): HAProxy spreads them over both nodes.
  const groups = [0, 1, 2].map((g) => copies.filter((_, i) => i % 3 === g));
  const results = await Promise.all(groups.map(async (group) => Promise.all(group.map((dir) => storescu(haproxy.port, dir)))));
  for (const r of results.flat()) expect({ code: r.code, errors: r.stderr.split('\n').filter((l) => l.startsWith('E:')) }).toEqual({ code: 0, errors: [] });
  expect(await count(`SELECT COUNT(*) AS n FROM instances`)).toBe(files);
  expect(await count(`SELECT COUNT(DISTINCT calling_ae) AS n FROM instances`)).toBe(1);
  // HAProxy spread the associations: each node stored some, together each instance once.
  const stored = { a: storedIn('node-a'), b: storedIn('node-b') };
  expect(stored.a).toBeGreaterThan(0);
  expect(stored.b).toBeGreaterThan(0);
  expect(stored.a + stored.b).toBe(files);

  // 12 analyses on two shared cores: minutes when the machine is busy with other work.
  await waitFor('12 SRs at the PACS', () => (srFiles().length >= 12 ? true : undefined), 480_000, 500);
  await waitFor('12 ORUs at the RIS', () => (ris.received().length >= 12 ? true : undefined), 60_000, 500);
  await new Promise((r) => setTimeout(r, 3000)); // give a duplicate every chance to show up
  expect(srFiles()).toHaveLength(12);
  expect(ris.received().map((m) => m.ack)).toEqual(Array(12).fill('AA'));
  expect(new Set(ris.received().map((m) => m.control_id)).size).toBe(12);
  expect(await count(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'done' AND attempts = 1`)).toBe(12);
  expect(await count(`SELECT COUNT(*) AS n FROM analyses`)).toBe(12);
  const perNode = await query<{ node: string; n: string }>(url, `SELECT node, COUNT(*) AS n FROM jobs GROUP BY node ORDER BY node`);
  expect(perNode.map((r) => r.node).sort()).toEqual(['node-a', 'node-b']); // both processed
  // Every result message sent once: the SR and its Secondary Captures (report.summary) each one file
  // at the PACS, the ORU once to the RIS.
  await waitFor('every outbox row sent', async () => ((await count(`SELECT COUNT(*) AS n FROM outbox WHERE state <> 'sent'`)) === 0 ? true : undefined), 60_000, 500);
  const sent = await query<{ kind: string; n: string }>(url, `SELECT kind, COUNT(*) AS n FROM outbox GROUP BY kind ORDER BY kind`);
  expect(sent.map((r) => [r.kind, Number(r.n)])).toEqual([
    ['dicom', readdirSync(pacs.dir).length],
    ['hl7', 12],
  ]);
}, 660_000);

test('the CT through node A and the RTSTRUCT through node B: one analysis, one SR', async () => {
  const [copy] = await studyCopies(PHANTOM, 1);
  const before = { sr: srFiles().length, oru: ris.received().length };
  expect((await storescu(nodes.a.port, join(copy, 'image'))).code).toBe(0);
  expect((await storescu(nodes.b.port, join(copy, 'mask'))).code).toBe(0);
  await waitFor('its SR', () => (srFiles().length > before.sr ? true : undefined), 120_000, 250);
  await waitFor('its ORU', () => (ris.received().length > before.oru ? true : undefined), 60_000, 250);
  await new Promise((r) => setTimeout(r, 4000));
  expect(srFiles().length - before.sr).toBe(1);
  expect(ris.received().length - before.oru).toBe(1);
  const study = await query<{ study_uid: string }>(url, `SELECT study_uid FROM instances i GROUP BY study_uid HAVING COUNT(*) = 61 AND COUNT(DISTINCT calling_ae) = 1 ORDER BY MAX(received_at) DESC LIMIT 1`);
  expect(await count(`SELECT COUNT(*) AS n FROM analyses WHERE study_uid = $1`, [study[0].study_uid])).toBe(1);
  expect(await count(`SELECT COUNT(*) AS n FROM study_versions WHERE study_uid = $1`, [study[0].study_uid])).toBe(1);
}, 240_000);

test('the same study sent to both nodes at the same moment: every instance stored once, one analysis, one SR', async () => {
  const [copy] = await studyCopies(PHANTOM, 1);
  const before = { instances: await count(`SELECT COUNT(*) AS n FROM instances`), sr: srFiles().length };
  const [viaA, viaB] = await Promise.all([storescu(nodes.a.port, copy), storescu(nodes.b.port, copy)]);
  expect([viaA.code, viaB.code]).toEqual([0, 0]);
  expect(await count(`SELECT COUNT(*) AS n FROM instances`)).toBe(before.instances + 61);
  await waitFor('its SR', () => (srFiles().length > before.sr ? true : undefined), 120_000, 250);
  await new Promise((r) => setTimeout(r, 4000));
  expect(srFiles().length - before.sr).toBe(1);
  const rows = await query<{ path: string }>(url, `SELECT path FROM instances ORDER BY received_at DESC LIMIT 61`);
  expect(rows.filter((r) => !existsSync(join(dataDir, r.path)))).toEqual([]);
}, 240_000);

test('kill -9 of the node running a job: the other node finishes it after the lease, still one SR and one ORU', async () => {
  const [copy] = await studyCopies(PHANTOM, 1);
  const before = { sr: srFiles().length, oru: ris.received().length };
  const started = (n: NodeProcess) => n.logs().filter((l) => l.message === 'job started').length;
  const startedBefore = { a: started(nodes.a), b: started(nodes.b) };
  expect((await storescu(haproxy.port, copy)).code).toBe(0);
  const runner = await waitFor('a node to start the job', () => (started(nodes.a) > startedBefore.a ? 'a' : started(nodes.b) > startedBefore.b ? 'b' : undefined), 60_000, 20);
  const other = runner === 'a' ? 'b' : 'a';
  const victim = nodes[runner];
  victim.child.kill('SIGKILL');
  await victim.stop();
  await waitFor('the SR', () => (srFiles().length > before.sr ? true : undefined), 120_000, 250);
  await waitFor('the ORU', () => (ris.received().length > before.oru ? true : undefined), 60_000, 250);
  await new Promise((r) => setTimeout(r, 3000));
  expect(srFiles().length - before.sr).toBe(1);
  expect(ris.received().length - before.oru).toBe(1);
  const job = (await query<{ node: string; attempts: number; state: string }>(url, `SELECT node, attempts, state FROM jobs ORDER BY id DESC LIMIT 1`))[0];
  expect(job).toEqual({ node: `node-${other}`, attempts: 2, state: 'done' });
  // Every instance that got Success is in the index, with its file.
  const rows = await query<{ path: string }>(url, `SELECT path FROM instances`);
  expect(rows).toHaveLength(10 * 61 + 60 + 49 + 61 + 61 + 61);
  expect(rows.filter((r) => !existsSync(join(dataDir, r.path)))).toEqual([]);
  // The killed node comes back under its name.
  nodes[runner] = await startClusterNode({ name: `node-${runner}`, url, dataDir, env: env(), ports: { port: victim.port, httpPort: victim.httpPort } });
  await haproxy.waitFor({ 'node-a': 'UP', 'node-b': 'UP' });
}, 300_000);

test('a node killed and restarted while storescu sends through HAProxy: no instance lost, what it had not acknowledged is sent again', async () => {
  const copies = await studyCopies(PHANTOM, 4);
  const before = await count(`SELECT COUNT(*) AS n FROM instances`);
  const beforeSr = srFiles().length;
  // Each copy in its own association, one after the other; an association the stopping node
  // aborts is sent again (storescu exits non-zero): HAProxy then routes it to the live node.
  const sender = (async () => {
    let retries = 0;
    for (const dir of copies) {
      for (let attempt = 0; ; attempt++) {
        const r = await storescu(haproxy.port, dir);
        if (r.code === 0 && !/^E:/m.test(r.stderr)) break;
        retries++;
        if (attempt > 5) throw new Error(`storescu keeps failing: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    }
    return retries;
  })();
  // Node A stops hard (SIGKILL: a graceful stop may finish a small association first) while it
  // receives one of the copies: HAProxy takes it out, and the interrupted association is sent again.
  const a = nodes.a;
  const acceptedBefore = a.logs().filter((l) => / accepted$/.test(l.message)).length;
  await waitFor('node A to take an association', () => (a.logs().filter((l) => / accepted$/.test(l.message)).length > acceptedBefore ? true : undefined), 60_000, 10);
  a.child.kill('SIGKILL');
  await a.stop();
  nodes.a = await startClusterNode({ name: 'node-a', url, dataDir, env: env(), ports: { port: a.port, httpPort: a.httpPort } });
  const retries = await sender;
  expect(await count(`SELECT COUNT(*) AS n FROM instances`)).toBe(before + 4 * 61);
  await waitFor('4 more SRs', () => (srFiles().length >= beforeSr + 4 ? true : undefined), 180_000, 500);
  await new Promise((r) => setTimeout(r, 3000));
  expect(srFiles().length - beforeSr).toBe(4);
  expect(retries).toBeGreaterThanOrEqual(1);
}, 300_000);

test('PostgreSQL down: /readyz fails, associations are refused as transient, nothing is answered Success; all resumes when it is back', async () => {
  await pg.pause();
  await haproxy.waitFor({ 'node-a': 'DOWN', 'node-b': 'DOWN' }, 30_000);
  const readyz = await fetch(`http://127.0.0.1:${nodes.a.httpPort}/readyz`, { headers: { connection: 'close' } });
  expect(readyz.status).toBe(503);
  expect(((await readyz.json()) as { checks: Record<string, string> }).checks.database).toMatch(/unreachable|did not answer/);
  const [copy] = await studyCopies(PHANTOM, 1);
  const refused = await storescu(nodes.b.port, copy);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr + refused.stdout).toMatch(/Association Rejected|rejected/i);
  expect(nodes.b.logs().some((l) => /rejected \(temporary-congestion\): database unavailable|database unavailable/.test(l.message))).toBe(true);

  await pg.restart();
  await haproxy.waitFor({ 'node-a': 'UP', 'node-b': 'UP' }, 30_000);
  const beforeSr = srFiles().length;
  expect((await storescu(haproxy.port, copy)).code).toBe(0);
  await waitFor('its SR', () => (srFiles().length > beforeSr ? true : undefined), 120_000, 250);
  const status = await run(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'status', '--json'], { env: { ...nodes.a.env } });
  const snap = JSON.parse(status.stdout) as { nodes: Array<{ nodeId: string; alive: boolean; runningJobs: number }> };
  expect(snap.nodes.filter((n) => n.alive).map((n) => n.nodeId).sort()).toEqual(['node-a', 'node-b']);
  const text = await run(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'status'], { env: { ...nodes.a.env } });
  expect(text.stdout).toMatch(/Nodes \(database postgres:\/\/postgres@127\.0\.0\.1:\d+\/cd8_cluster\): 2 of 2 alive\n {2}node-a +alive, last heartbeat [\d-]+ [\d:]+; 0 jobs running; host /);
  const metrics = await (await fetch(`http://127.0.0.1:${nodes.b.httpPort}/metrics`, { headers: { connection: 'close' } })).text();
  expect(metrics).toMatch(/^cd8_cluster_nodes_alive 2$/m);
  expect(metrics).toMatch(/^cd8_jobs\{state="done"\} [1-9]\d*$/m);
  expect(metrics).toMatch(/^# TYPE cd8_jobs_running gauge$/m);
}, 240_000);
