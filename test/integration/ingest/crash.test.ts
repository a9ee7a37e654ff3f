/**
 * Accepted means durable, even when the process dies: SIGKILL the node in the middle of a
 * storescu transfer, restart it, and every instance that was answered Success is present and
 * indexed, the interrupted one left nothing half-written, and re-sending the study completes it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, Daemon, freePort, PEER_ENV, ROOT, runCli, startDaemon, waitFor, waitForPort } from '../../support/process';
import { datasetOf, dicomFiles, parseStorescu, PHANTOM, PHANTOM_CT, sopInstanceUidOf, storescu, tempDir } from './support';
import { StudyVersionSummary } from '../../../src/study/types';

const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';

interface Row {
  sop_instance_uid: string;
  path: string;
  size: number;
  dataset_offset: number;
}

describe('SIGKILL in the middle of a transfer', () => {
  const dataDir = tempDir('crash');
  let port: number;
  let node: Daemon | undefined;
  const env = () => ({ ...PEER_ENV, CD8_DATA_DIR: dataDir, CD8_PORT: String(port), CD8_BIND: '127.0.0.1', CD8_HTTP_PORT: '0', CD8_LOG_FORMAT: 'json' });
  const startNodeProcess = async () => {
    const d = startDaemon(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: env() });
    await waitFor('the node to start', () => /"node ready"/.test(d.output()) || undefined, 20000);
    await waitForPort(port);
    return d;
  };
  beforeAll(async () => {
    port = await freePort();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('loses nothing that was answered Success and keeps nothing half-written', async () => {
    node = await startNodeProcess();
    const sources = new Map(dicomFiles(PHANTOM_CT).map((f) => [sopInstanceUidOf(f), f]));

    // storescu -v reports each response; kill the node once 20 instances were acknowledged.
    const scu = spawn('storescu', ['-v', '-xi', '-aec', 'CD8NODE', '127.0.0.1', String(port), '+sd', PHANTOM_CT], { env: PEER_ENV });
    let output = '';
    let acknowledgedAtKill = -1;
    const killed = node;
    const onOutput = (d: Buffer) => {
      output += d.toString();
      if (acknowledgedAtKill < 0 && parseStorescu(output).successes >= 20) {
        acknowledgedAtKill = parseStorescu(output).successes;
        killed.child.kill('SIGKILL');
      }
    };
    scu.stdout.on('data', onOutput);
    scu.stderr.on('data', onOutput);
    const scuExit = await new Promise<number | null>((resolve) => scu.on('close', (code) => resolve(code)));
    expect(await killed.stop()).toBeNull(); // it died of the signal
    expect(acknowledgedAtKill).toBeGreaterThanOrEqual(20);
    expect(scuExit).not.toBe(0); // the transfer was cut short
    const acknowledged = parseStorescu(output).stored.map(sopInstanceUidOf);
    expect(acknowledged.length).toBeLessThan(60);

    node = await startNodeProcess();
    // Start-up removed the incomplete temporary file(s) of the interrupted C-STORE: an instance is
    // written into a file made ahead, where it lies in spool/.free (in tmp/ only when none was
    // ready). The killed run's files there, ready or half-written, were removed; the new run's
    // are empty files of this process, never mistaken for instances.
    expect(readdirSync(join(dataDir, 'spool', 'tmp'))).toEqual([]);
    const free = readdirSync(join(dataDir, 'spool', '.free'));
    for (const name of free) {
      expect(name).toMatch(new RegExp(`^${node.child.pid}-\\d+\\.free$`));
      expect(statSync(join(dataDir, 'spool', '.free', name)).size).toBe(0);
    }

    const db = new Database(join(dataDir, 'index.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT sop_instance_uid, path, size, dataset_offset FROM instances').all() as Row[];
    db.close();
    const indexed = new Map(rows.map((r) => [r.sop_instance_uid, r]));
    // Every acknowledged instance is indexed...
    for (const uid of acknowledged) expect({ uid, indexed: indexed.has(uid) }).toEqual({ uid, indexed: true });
    // ...and every indexed one is whole: its file holds exactly the dataset that was sent.
    for (const row of rows) {
      const file = join(dataDir, row.path);
      expect(statSync(file).size).toBe(row.size);
      expect({ uid: row.sop_instance_uid, whole: datasetOf(file).equals(datasetOf(sources.get(row.sop_instance_uid)!)) }).toEqual({ uid: row.sop_instance_uid, whole: true });
    }
    // No file in the spool that the index does not know (one renamed just before the kill is indexed at start-up).
    const paths = new Set(rows.map((r) => r.path));
    await waitFor('every spool file indexed', () => {
      const stray = dicomFiles(join(dataDir, 'spool')).filter((f) => !paths.has(relative(dataDir, f).split(sep).join('/')));
      return stray.length === 0 || undefined;
    });

    // The sender sends the study again: everything is answered Success and the study completes.
    const again = await storescu(port, ['+sd', PHANTOM, '+r'], { args: ['-xi'] });
    expect(again.code).toBe(0);
    expect(again.successes).toBe(61);
    const status = await waitFor(
      'the study to be ready',
      async () => {
        const r = await runCli(['status', '--json'], { CD8_DATA_DIR: dataDir });
        const study = (JSON.parse(r.stdout) as { studies: StudyVersionSummary[] }).studies.find((s) => s.studyInstanceUid === PHANTOM_STUDY);
        // The full node goes on to process it: ready, processing or done all mean it was complete.
        return study && ['ready', 'processing', 'done'].includes(study.state) ? study : undefined;
      },
      10000,
    );
    expect(status).toMatchObject({ version: 1, instanceCount: 61, readyReason: 'references-complete' });
    expect(existsSync(join(dataDir, 'audit.log'))).toBe(true);
    expect(await node.stop('SIGTERM')).toBe(0);
    node = undefined;
  });

  it('loses nothing answered Success when several associations write into one directory at once', async () => {
    // Four storescu processes send quarters of the phantom's CT series at the same time: their
    // instances go to the same spool directory, so its fsyncs are shared (group commit), and the
    // node is killed in the middle of it.
    port = await freePort();
    const dir = tempDir('crash-parallel');
    const d = startDaemon(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...env(), CD8_DATA_DIR: dir, CD8_PORT: String(port) } });
    await waitFor('the node to start', () => /"node ready"/.test(d.output()) || undefined, 20000);
    await waitForPort(port);
    node = d;
    const files = dicomFiles(PHANTOM_CT);
    const sources = new Map(files.map((f) => [sopInstanceUidOf(f), f]));
    const quarters = [0, 1, 2, 3].map((q) => files.filter((_, i) => i % 4 === q));
    const outputs = quarters.map(() => '');
    let killedAt = -1;
    const acknowledged = () => outputs.reduce((n, o) => n + parseStorescu(o).successes, 0);
    const exits = quarters.map(
      (quarter, q) =>
        new Promise<number | null>((resolve) => {
          const scu = spawn('storescu', ['-v', '-xi', '-aec', 'CD8NODE', '127.0.0.1', String(port), ...quarter], { env: PEER_ENV });
          const onOutput = (b: Buffer) => {
            outputs[q] += b.toString();
            if (killedAt < 0 && acknowledged() >= 20) {
              killedAt = acknowledged();
              d.child.kill('SIGKILL');
            }
          };
          scu.stdout.on('data', onOutput);
          scu.stderr.on('data', onOutput);
          scu.on('close', (code) => resolve(code));
        }),
    );
    await Promise.all(exits);
    expect(await d.stop()).toBeNull();
    expect(killedAt).toBeGreaterThanOrEqual(20);
    const answered = outputs.flatMap((o) => parseStorescu(o).stored.map(sopInstanceUidOf));
    expect(answered.length).toBeLessThan(60);

    node = startDaemon(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...env(), CD8_DATA_DIR: dir, CD8_PORT: String(port) } });
    await waitFor('the node to start again', () => /"node ready"/.test(node!.output()) || undefined, 20000);
    expect(readdirSync(join(dir, 'spool', 'tmp'))).toEqual([]);
    const db = new Database(join(dir, 'index.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT sop_instance_uid, path, size, dataset_offset FROM instances').all() as Row[];
    db.close();
    const indexed = new Set(rows.map((r) => r.sop_instance_uid));
    for (const uid of answered) expect({ uid, indexed: indexed.has(uid) }).toEqual({ uid, indexed: true });
    for (const row of rows) {
      const file = join(dir, row.path);
      expect(statSync(file).size).toBe(row.size);
      expect({ uid: row.sop_instance_uid, whole: datasetOf(file).equals(datasetOf(sources.get(row.sop_instance_uid)!)) }).toEqual({ uid: row.sop_instance_uid, whole: true });
    }
    expect(await node.stop('SIGTERM')).toBe(0);
    node = undefined;
  });

  it('indexes again, after a power cut, the acknowledged instances whose index commits were lost', async () => {
    port = await freePort();
    const dir = tempDir('powercut');
    const env2 = { ...env(), CD8_DATA_DIR: dir, CD8_PORT: String(port) };
    const start = async () => {
      const d = startDaemon(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: env2 });
      await waitFor('the node to start', () => /"node ready"/.test(d.output()) || undefined, 20000);
      return d;
    };
    node = await start();
    expect((await storescu(port, ['+sd', PHANTOM, '+r'], { args: ['-xi'] })).successes).toBe(61);
    expect(await node.stop('SIGKILL')).toBeNull();
    // What a power cut may do to commits that were not fsynced one by one: the last ones vanish.
    const db = new Database(join(dir, 'index.sqlite'));
    const lost = db.prepare('SELECT sop_instance_uid FROM instances ORDER BY received_at DESC LIMIT 20').all() as Array<{ sop_instance_uid: string }>;
    for (const { sop_instance_uid } of lost) {
      db.prepare('DELETE FROM instances WHERE sop_instance_uid = ?').run(sop_instance_uid);
      db.prepare('DELETE FROM rtstruct_refs WHERE rtstruct_uid = ?').run(sop_instance_uid);
    }
    expect((db.prepare('SELECT COUNT(*) AS n FROM instances').get() as { n: number }).n).toBe(41);
    db.close();

    node = await start();
    const line = node
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => /did not stop cleanly/.test(String(l.message)));
    expect(line).toMatchObject({ level: 'warn', reindexed: 20, quarantined: 0 });
    const status = await waitFor(
      'the study to be ready',
      async () => {
        const r = await runCli(['status', '--json'], { CD8_DATA_DIR: dir });
        const study = (JSON.parse(r.stdout) as { studies: StudyVersionSummary[] }).studies.find((s) => s.studyInstanceUid === PHANTOM_STUDY);
        // The full node goes on to process it: ready, processing or done all mean it was complete.
        return study && ['ready', 'processing', 'done'].includes(study.state) ? study : undefined;
      },
      10000,
    );
    expect(status).toMatchObject({ instanceCount: 61, readyReason: 'references-complete' });
    expect(await node.stop('SIGTERM')).toBe(0);
    node = undefined;
  });
});
