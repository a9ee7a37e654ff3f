/**
 * The listener survives a failure after it answered: an audit trail that cannot be written (e.g.
 * its disk is full) is logged as an error; the node goes on receiving.
 */
import { Writable } from 'node:stream';
import { startNode } from '../../../src/main';
import { validateRaw } from '../../../src/config/load';
import { createLogger } from '../../../src/ops/logger';
import { AuditLog } from '../../../src/ops/audit';
import { LogLine, PHANTOM_CT, storescu, tempDir } from './support';
import { join } from 'node:path';

it('logs an audit line it cannot write after a C-STORE and keeps receiving', async () => {
  const config = validateRaw(
    { dicom: { port: 0, bind: '127.0.0.1' }, storage: { dataDir: tempDir('audit-failure'), minFreeDiskMb: 0 }, http: { port: 0 }, log: { level: 'info', format: 'json' } },
    {},
    null,
  ).config!;
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const audit: AuditLog = {
    record: (e) => {
      if (e.event === 'instance.stored') throw new Error('ENOSPC: no space left on device, write');
    },
    close: () => undefined,
  };
  const node = await startNode(config, { logger: createLogger(config.log, sink), audit, processStudies: false });
  try {
    for (const file of ['DCM_IMG_00000.dcm', 'DCM_IMG_00001.dcm']) {
      expect((await storescu(node.dicomPort, [join(PHANTOM_CT, file)])).successes).toBe(1);
    }
    const errors = logs.filter((l) => l.level === 'error').map((l) => l.message);
    expect(errors).toEqual([
      expect.stringMatching(/^C-STORE [0-9.]+ from STORESCU@127\.0\.0\.1:\d+: answered, but recording it failed: ENOSPC: no space left on device, write$/),
      expect.stringMatching(/answered, but recording it failed: ENOSPC/),
    ]);
  } finally {
    await node.stop();
  }
}, 60000);
