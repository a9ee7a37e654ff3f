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
import { DicomPeer, sopInstanceUids, startStorescp, StorescuOutcome, storescuFiles } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess } from '../../support/nodeProcess';
import { startPostgres, TestPostgres } from '../../support/postgres';
import { startHaproxy, TestHaproxy } from '../../support/haproxy';
import { dicomFilesIn, query, startClusterNode, studyCopies } from '../../support/cluster';

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
/** SOP Instance UID → how many C-STOREs of it the nodes answered with Success (stored, identical copy, replaced), from both audit logs. */
const answeredPerInstance = () => {
  const n = new Map<string, number>();
  for (const node of ['node-a', 'node-b']) {
    for (const line of readFileSync(join(dataDir, `audit-${node}.log`), 'utf8').split('\n')) {
      if (!/"instance\.(stored|duplicate|replaced)"/.test(line)) continue;
      const uid = (JSON.parse(line) as { sopInstanceUid: string }).sopInstanceUid;
      n.set(uid, (n.get(uid) ?? 0) + 1);
    }
  }
  return n;
};
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

test('a node killed and restarted while storescu sends through HAProxy: no instance lost, storescu sends again exactly the instances that got no Success', async () => {
  const perCopy = (await studyCopies(PHANTOM, 4)).map(dicomFilesIn);
  const uidOf = await sopInstanceUids(perCopy.flat());
  const beforeSr = srFiles().length;
  const storedBefore = { a: storedIn('node-a'), b: storedIn('node-b') };
  // Each copy in its own association, one after the other. After each storescu run the sender
  // sends again only the files storescu got no Success for (refused, failed, or never sent
  // because the association ended); HAProxy routes the new association to a live node.
  const attempts: Array<{ copy: number; files: string[] } & Omit<StorescuOutcome, 'result'>> = [];
  const sender = (async () => {
    for (const [copy, files] of perCopy.entries()) {
      for (let pending = files; pending.length > 0; ) {
        const { result, succeeded, notSucceeded } = await storescuFiles(haproxy.port, pending);
        attempts.push({ copy, files: pending, succeeded, notSucceeded });
        if (attempts.filter((a) => a.copy === copy).length >= 20) throw new Error(`copy ${copy}: ${notSucceeded.length} files still without Success after 20 attempts:\n${result.stderr}`);
        // Back off while HAProxy's health check notices a dead node.
        if (notSucceeded.length > 0) await new Promise((r) => setTimeout(r, 500));
        pending = notSucceeded;
      }
    }
  })();
  sender.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
  // The node that takes the first copy dies (SIGKILL: nothing said to the peer) once it has stored
  // 5 of its instances, in the middle of the association, and is started again on its ports.
  const victim = await waitFor('a node to store 5 instances of the first copy', () => (storedIn('node-a') >= storedBefore.a + 5 ? 'a' : storedIn('node-b') >= storedBefore.b + 5 ? 'b' : undefined), 60_000, 10);
  const killed = nodes[victim];
  killed.child.kill('SIGKILL');
  await killed.stop();
  nodes[victim] = await startClusterNode({ name: `node-${victim}`, url, dataDir, env: env(), ports: { port: killed.port, httpPort: killed.httpPort } });
  await sender;
  await haproxy.waitFor({ 'node-a': 'UP', 'node-b': 'UP' }, 30_000);

  // The kill cut an association short: part of its files got Success, the rest did not.
  const cut = attempts.filter((a) => a.notSucceeded.length > 0);
  expect(cut.length).toBeGreaterThanOrEqual(1);
  expect(cut[0].succeeded.length).toBeGreaterThan(0);
  // Each later attempt of a copy carried exactly the files the previous one got no Success for,
  // and every file got Success exactly once.
  for (const [copy, files] of perCopy.entries()) {
    const mine = attempts.filter((a) => a.copy === copy);
    expect(mine[0].files).toEqual(files);
    for (let i = 1; i < mine.length; i++) expect(mine[i].files).toEqual(mine[i - 1].notSucceeded);
    expect(mine.flatMap((a) => a.succeeded).sort()).toEqual(files);
  }
  // Every instance in the index exactly once, with its file.
  const uids = [...uidOf.values()];
  const rows = await query<{ sop_instance_uid: string; path: string }>(url, `SELECT sop_instance_uid, path FROM instances WHERE sop_instance_uid = ANY($1)`, [uids]);
  expect(rows.map((r) => r.sop_instance_uid).sort()).toEqual([...uids].sort());
  expect(rows.filter((r) => !existsSync(join(dataDir, r.path)))).toEqual([]);
  // What the nodes saw: an instance that got Success was never sent again (one answer across
  // both nodes). Only an instance in flight when the node died may have been stored without its
  // Success reaching storescu: sent again, it is answered twice (stored, then identical copy).
  const answers = answeredPerInstance();
  const retried = new Set(attempts.flatMap((a) => a.notSucceeded));
  expect(retried.size).toBeGreaterThan(0);
  expect(perCopy.flat().filter((f) => !retried.has(f) && answers.get(uidOf.get(f)!) !== 1)).toEqual([]);
  const answeredTwice = [...retried].filter((f) => answers.get(uidOf.get(f)!) !== 1);
  expect(answeredTwice.map((f) => answers.get(uidOf.get(f)!))).toEqual(answeredTwice.map(() => 2));
  expect(answeredTwice.length).toBeLessThanOrEqual(cut.length);

  await waitFor('4 more SRs', () => (srFiles().length >= beforeSr + 4 ? true : undefined), 180_000, 500);
  await new Promise((r) => setTimeout(r, 3000)); // give a duplicate every chance to show up
  expect(srFiles().length - beforeSr).toBe(4);
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
  const snap = JSON.parse(status.stdout) as { nodes: Array<{ nodeId: string; alive: boolean; runningJobs: number; dicomPort: number; httpPort: number | null }> };
  expect(snap.nodes.filter((n) => n.alive).map((n) => n.nodeId).sort()).toEqual(['node-a', 'node-b']);
  // Each node's heartbeat carries the ports it listens on, HTTP included (the one HAProxy checks).
  expect(snap.nodes.map((n) => [n.nodeId, n.dicomPort, n.httpPort])).toEqual([
    ['node-a', nodes.a.port, nodes.a.httpPort],
    ['node-b', nodes.b.port, nodes.b.httpPort],
  ]);
  const text = await run(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'status'], { env: { ...nodes.a.env } });
  expect(text.stdout).toMatch(/Nodes \(database postgres:\/\/postgres@127\.0\.0\.1:\d+\/cd8_cluster\): 2 of 2 alive\n {2}node-a +alive, last heartbeat [\d-]+ [\d:]+; \d+ jobs? running; host [^,]+, DICOM port \d+, HTTP port \d+\n/);
  expect(text.stdout).toContain(`DICOM port ${nodes.b.port}, HTTP port ${nodes.b.httpPort}\n`);
  const metrics = await (await fetch(`http://127.0.0.1:${nodes.b.httpPort}/metrics`, { headers: { connection: 'close' } })).text();
  expect(metrics).toMatch(/^cd8_cluster_nodes_alive 2$/m);
  expect(metrics).toMatch(/^cd8_jobs\{state="done"\} [1-9]\d*$/m);
  expect(metrics).toMatch(/^# TYPE cd8_jobs_running gauge$/m);
}, 240_000);
