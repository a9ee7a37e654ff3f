import { runCli } from '../../support/process';
import { DicomPeer, startDcmqrscp, startStorescp } from '../../support/dcmtk';

describe('cd8-node echo (against DCMTK peers)', () => {
  let storescp: DicomPeer;
  let qrscp: DicomPeer;
  beforeAll(async () => {
    [storescp, qrscp] = await Promise.all([startStorescp('STORESCP'), startDcmqrscp('QRSCP')]);
  });
  afterAll(async () => {
    await Promise.all([storescp?.stop(), qrscp?.stop()]);
  });

  it('succeeds against a running storescp', async () => {
    const r = await runCli(['echo', `STORESCP@127.0.0.1:${storescp.port}`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^C-ECHO STORESCP@127.0.0.1:${storescp.port}: Success \\(\\d+ ms\\)`));
    expect(r.code).toBe(0);
  });

  it('reports a closed port as a refused connection', async () => {
    const r = await runCli(['echo', 'PACS@127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connection refused by 127\.0\.0\.1:1: nothing listens there/);
  });

  it('reports a wrong called AE title as the peer not knowing it', async () => {
    const r = await runCli(['echo', `WRONGAE@127.0.0.1:${qrscp.port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/association rejected permanently: the peer does not answer to called AE title "WRONGAE"/);
    const ok = await runCli(['echo', `QRSCP@127.0.0.1:${qrscp.port}`]);
    expect(ok.code).toBe(0);
  });

  it('gives up after the timeout when the peer never answers', async () => {
    // A listening socket that never speaks DICOM.
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runCli(['echo', `PACS@127.0.0.1:${port}`, '--timeout', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no answer from PACS@127\.0\.0\.1:\d+ within 1 s/);
    } finally {
      silent.close();
    }
  });

  it('explains a malformed address and shows the usage', async () => {
    const r = await runCli(['echo', 'localhost:104']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not an AE address; write AET@HOST:PORT/);
    expect(r.stderr).toMatch(/Usage: cd8-node echo/);
  });
});
