import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, Daemon, freePort, PEER_ENV, ROOT, run, runCli, startDaemon, waitFor } from '../../support/process';
import { cStoreRq, CT_EXPLICIT, pDataTf, RawAssociation } from '../../support/rawScu';
import { SopClass } from '../../../src/dicom/uids';

describe('cd8-node command line', () => {
  it('lists its commands, and each has --help', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}(\S+(?: \S+)?)\s{2,}/gm)].map((m) => m[1]);
    expect(commands).toEqual(expect.arrayContaining(['serve', 'config check', 'echo']));
    for (const c of commands) {
      const r = await runCli([...c.split(' '), '--help']);
      expect({ c, code: r.code }).toEqual({ c, code: 0 });
      expect(r.stdout).toMatch(new RegExp(`^Usage: cd8-node ${c}`));
    }
  });

  it('refuses an unknown command with the list of commands', async () => {
    const r = await runCli(['serv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "serv"/);
  });

  describe('config check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-config-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('accepts config/default.yaml (exit 0)', async () => {
      const r = await runCli(['config', 'check', join(ROOT, 'config', 'default.yaml')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/default\.yaml: valid, 2 warnings\./);
      expect(r.stdout).toMatch(/cd8-sun2018\.json: \(signature\): incomplete/);
    });

    it.each([
      ['misspelled key', 'dicom:\n  aeTitel: CD8NODE\n', /:2: dicom\.aeTitel: unknown key "aeTitel"\. Did you mean "aeTitle"\?/],
      ['port out of range', 'dicom:\n  port: 99999\n', /:2: dicom\.port: 99999 is out of range \(0–65535\)\./],
      [
        'duplicate AE title',
        'destinations:\n  dicom:\n    - { name: a, aeTitle: PACS, host: h1, port: 104 }\n    - { name: b, aeTitle: PACS, host: h2, port: 104 }\n',
        /:4: destinations\.dicom\[1\]\.aeTitle: duplicate AE title "PACS"/,
      ],
    ])('rejects a %s with its own message (exit 1)', async (_what, text, message) => {
      const r = await runCli(['config', 'check', file(`${_what.replace(/ /g, '-')}.yaml`, text), '--no-env']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/1 error, \d warnings?\. Fix the errors above/);
    });

    it('checks the file serve would use: $CD8_CONFIG when no FILE is given', async () => {
      const broken = file('from-env.yaml', 'dicom:\n  port: 99999\n');
      const r = await runCli(['config', 'check'], { CD8_CONFIG: broken });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/from-env\.yaml:2: dicom\.port: 99999 is out of range/);
      const shown = await runCli(['config', 'show', '--json'], { CD8_CONFIG: file('port.yaml', 'dicom:\n  port: 4242\n') });
      expect(shown.code).toBe(0);
      expect((JSON.parse(shown.stdout) as { dicom: { port: number } }).dicom.port).toBe(4242);
    });
  });

  describe('serve', () => {
    /** Stops the node with SIGTERM and expects exit code 0; else fails with the node's output, which says where the stop hung or why the process died. */
    const stopCleanly = async (node: Daemon, killAfterMs?: number) => {
      const code = await node.stop('SIGTERM', killAfterMs);
      if (code !== 0) throw new Error(`serve ended with ${code ?? node.child.signalCode} after SIGTERM; its output:\n${node.output()}`);
    };
    /** The audit trail's events in `file` (JSON lines). */
    const auditEvents = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; callingAeTitle?: string });
    /** The node's log lines (JSON). */
    const logLines = (node: Daemon) =>
      node
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown> & { message: string });

    it('starts on the embedded defaults, logs its effective config as JSON lines, and stops cleanly on SIGTERM', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cd8-data-'));
      // Its own temporary directory, holding what a node killed mid-rehearsal left 20 min ago (a PID that never runs).
      const tmp = mkdtempSync(join(tmpdir(), 'cd8-serve-tmp-'));
      const orphan = join(tmp, 'cd8-rehearsal-4194305-Ab12cd');
      mkdirSync(orphan);
      writeFileSync(join(orphan, 'ct000.dcm'), 'DICM');
      const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000);
      utimesSync(orphan, twentyMinutesAgo, twentyMinutesAgo);
      const node = startDaemon(process.execPath, [CLI, 'serve'], {
        cwd: ROOT,
        env: { ...process.env, CD8_DATA_DIR: dataDir, CD8_PORT: '0', CD8_HTTP_PORT: '0', TMPDIR: tmp },
      });
      await waitFor('the start-up log', () => /node ready/.test(node.output()) || undefined);
      await waitFor('the leftover synthetic study removed', () => !existsSync(orphan) || undefined);
      await stopCleanly(node);
      const lines = logLines(node);
      expect(lines.find((l) => /any calling AE title is accepted/.test(l.message))).toMatchObject({ level: 'warn' });
      const starting = lines.find((l) => /^cd8-node .* starting$/.test(l.message));
      expect(starting).toMatchObject({ level: 'info', configFile: '(embedded defaults)', envOverrides: ['CD8_PORT', 'CD8_DATA_DIR', 'CD8_HTTP_PORT'] });
      expect((starting!.config as { dicom: { aeTitle: string } }).dicom.aeTitle).toBe('CD8NODE');
      expect(lines.at(-1)).toMatchObject({ message: 'cd8-node stopped' });
      const audit = auditEvents(join(dataDir, 'audit.log'));
      expect(audit.map((a) => a.event)).toEqual(['node.started', 'node.stopped']);
    });

    it('stops cleanly on a SIGTERM that comes while it starts (docker stop during a slow start): it finishes starting, then stops', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cd8-data-'));
      // Many leftovers of killed nodes: the start's sweep of them outlasts the start, and the stop waits for it.
      const tmp = mkdtempSync(join(tmpdir(), 'cd8-serve-tmp-'));
      const leftovers = Array.from({ length: 2000 }, (_, i) => join(tmp, `cd8-rehearsal-4194305-${String(i).padStart(6, '0')}`));
      const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000);
      for (const d of leftovers) {
        mkdirSync(d);
        utimesSync(d, twentyMinutesAgo, twentyMinutesAgo);
      }
      const node = startDaemon(process.execPath, [CLI, 'serve'], {
        cwd: ROOT,
        env: { ...process.env, CD8_DATA_DIR: dataDir, CD8_PORT: '0', CD8_HTTP_PORT: '0', TMPDIR: tmp },
      });
      // "starting" is logged before the database, the spool, the workers and the listener start
      // (~0.1–0.5 s); on a very fast machine the signal may still land just after the start.
      await waitFor('the first log line', () => /cd8-node .* starting/.test(node.output()) || undefined, 30_000, 1);
      await stopCleanly(node, 30_000);
      const messages = logLines(node).map((l) => l.message);
      // It started completely, then stopped as for a SIGTERM after the start.
      const ready = messages.indexOf('node ready');
      expect(ready).toBeGreaterThan(0);
      expect(messages.indexOf('SIGTERM received: stopping')).toBeGreaterThan(ready);
      expect(messages.at(-1)).toBe('cd8-node stopped');
      // The signal said in the log when it came during the start.
      const whileStarting = messages.indexOf('SIGTERM received while starting: the node stops once it is up (send it again to stop now)');
      if (whileStarting >= 0) expect(whileStarting).toBeLessThan(ready);
      const audit = auditEvents(join(dataDir, 'audit.log'));
      expect(audit.map((a) => a.event)).toEqual(['node.started', 'node.stopped']);
      expect(leftovers.filter((d) => existsSync(d))).toEqual([]);
    });

    it('writes the audit trail where an absolute log.auditFile says, and refuses to start when it cannot', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cd8-audit-'));
      const dataDir = join(dir, 'data');
      const auditFile = join(dir, 'elsewhere', 'cd8-audit.log');
      const config = join(dir, 'node.yaml');
      writeFileSync(config, `log:\n  auditFile: ${auditFile}\n`);
      const node = startDaemon(process.execPath, [CLI, 'serve', '--config', config], {
        cwd: ROOT,
        env: { ...process.env, CD8_DATA_DIR: dataDir, CD8_PORT: '0', CD8_HTTP_PORT: '0' },
      });
      await waitFor('the start-up log', () => /node ready/.test(node.output()) || undefined);
      await stopCleanly(node);
      expect(readFileSync(auditFile, 'utf8')).toMatch(/"event":"node.started"/);
      expect(existsSync(join(dataDir, 'audit.log'))).toBe(false);

      // A directory where the file should be: the admin is told which file and what to do.
      mkdirSync(join(dir, 'is-a-directory.log'));
      writeFileSync(join(dir, 'bad.yaml'), `log:\n  auditFile: ${join(dir, 'is-a-directory.log')}\n`);
      const refused = await runCli(['serve', '--config', join(dir, 'bad.yaml')], { CD8_DATA_DIR: dataDir, CD8_PORT: '0', CD8_HTTP_PORT: '0' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/cannot open the audit log .*is-a-directory\.log: .*Set log\.auditFile to a file this user can append to/);
    });

    it('reopens the audit log on SIGHUP, so logrotate can move it away without losing a line', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cd8-rotate-'));
      const port = await freePort();
      const node = startDaemon(process.execPath, [CLI, 'serve'], {
        cwd: ROOT,
        env: { ...PEER_ENV, CD8_DATA_DIR: dataDir, CD8_PORT: String(port), CD8_BIND: '127.0.0.1', CD8_HTTP_PORT: '0', CD8_LOG_FORMAT: 'json' },
      });
      await waitFor('the start-up log', () => /node ready/.test(node.output()) || undefined);
      const echo = async (callingAe: string) => expect((await run('echoscu', ['-aet', callingAe, '-aec', 'CD8NODE', '127.0.0.1', String(port)])).code).toBe(0);
      await echo('BEFORE');
      // What logrotate does: move the file, then signal the process.
      renameSync(join(dataDir, 'audit.log'), join(dataDir, 'audit.log.1'));
      await echo('BETWEEN'); // still written to the moved file until the signal
      node.child.kill('SIGHUP');
      await waitFor('the reopen log line', () => /SIGHUP received: audit log reopened/.test(node.output()) || undefined);
      await echo('AFTER');
      // A rotation that lands while the node is stopping does not cut the shutdown short. A peer
      // half-way through an instance holds the stop (the listener lets it finish, up to 5 s), so
      // that the SIGHUP surely lands while the node stops, not as the process ends.
      const holder = await RawAssociation.associate(port, 'HOLDER', [CT_EXPLICIT]);
      try {
        holder.write(pDataTf(CT_EXPLICIT.id, cStoreRq(1, SopClass.CtImageStorage, '1.2.826.0.1.3680043.2.1125.1.1'), { command: true, last: true }));
        holder.write(pDataTf(CT_EXPLICIT.id, Buffer.alloc(64), { command: false, last: false }));
        // A round trip through the node after those bytes: it has read them (its event loop went round since).
        await echo('SYNC');
        node.child.kill('SIGTERM');
        await waitFor('the shutdown to begin', () => /SIGTERM received: stopping/.test(node.output()) || undefined);
        node.child.kill('SIGHUP');
        await waitFor('the reopen while stopping', () => (node.output().match(/SIGHUP received: audit log reopened/g)?.length === 2 ? true : undefined));
      } finally {
        holder.destroy();
      }
      await waitFor('the node to exit', () => (node.child.exitCode !== null || node.child.signalCode !== null ? true : undefined), 20000);
      expect(node.child.signalCode).toBeNull();
      expect(node.child.exitCode).toBe(0);
      expect(node.output()).toMatch(/cd8-node stopped/);
      const old = auditEvents(join(dataDir, 'audit.log.1'));
      const current = auditEvents(join(dataDir, 'audit.log'));
      expect(old.filter((e) => e.event === 'echo.received').map((e) => e.callingAeTitle)).toEqual(['BEFORE', 'BETWEEN']);
      expect(current.filter((e) => e.event === 'echo.received').map((e) => e.callingAeTitle)).toEqual(['AFTER', 'SYNC']);
      expect(current[current.length - 1].event).toBe('node.stopped');
    });

    it('does not start on an invalid configuration, and says why', async () => {
      const r = await runCli(['serve'], { CD8_PORT: '700000' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/env CD8_PORT \(dicom\.port\): 700000 is out of range/);
      expect(r.stderr).toMatch(/not started/);
    });
  });
});

describe('config check of signature files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-signature-'));

  it('warns that the shipped CD8 signature is incomplete, and accepts it (exit 0)', async () => {
    const r = await runCli(['config', 'check', join(ROOT, 'config', 'signatures', 'cd8-sun2018.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: .*cd8-sun2018\.json: \(signature\): incomplete: 10 values are pending/);
    expect(r.stdout).toMatch(/cd8-sun2018\.json: valid, 1 warning\./);
  });

  it('rejects a malformed signature with a precise message (exit 1), also when the node configuration names it', async () => {
    const bad = join(dir, 'bad.json');
    const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'signatures', 'cd8-sun2018.json'), 'utf8')) as { terms: Array<Record<string, unknown>> };
    shipped.terms[2] = { ...shipped.terms[2], feature: 'cm_contrast', region: 'tumour', coefficient: 0.4, status: 'verified' };
    writeFileSync(bad, JSON.stringify(shipped));
    const direct = await runCli(['config', 'check', '--signature', bad]);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/bad\.json: terms\[2\]\.aggregation: "cm_contrast" is a texture feature: name its IBSI aggregation, e\.g\. "3D merged"\./);
    const viaConfig = await runCli(['config', 'check', '--no-env'], { CD8_SIGNATURE: bad });
    expect(viaConfig.code).toBe(0);
    const viaEnv = await runCli(['config', 'check'], { CD8_SIGNATURE: bad });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toMatch(/terms\[2\]\.aggregation/);
  });
});

describe('config check of the radiomics settings a signature names', () => {
  it('reports an invalid settings file with its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-settings-'));
    const settings = join(dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ name: 'broken', interpolation: { method: 'linear', spacingMM: [1, 1, 1] } }));
    const signature = join(dir, 'signature.json');
    const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'signatures', 'cd8-sun2018.json'), 'utf8')) as { preprocessing: { radiomicsSettings: string } };
    shipped.preprocessing.radiomicsSettings = 'settings.json';
    writeFileSync(signature, JSON.stringify(shipped));
    const r = await runCli(['config', 'check', '--signature', signature]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/settings\.json: interpolation\.spacingMM: unknown key "spacingMM"\. Did you mean "spacingMm"\?/);
  });
});
