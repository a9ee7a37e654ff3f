/**
 * The STOW-RS route's own bounds on the HTTP port: a sender that keeps a body trickling (never
 * idle long enough for the idle timeout) is cut off when the read deadline passes, nothing of it
 * stored, and its slot is free again.
 */
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { startHttpEndpoint } from '../../../src/ops/http';
import { stowRoutes } from '../../../src/dicom/stowRoutes';
import { writeDicomMultipart } from '../../../src/dicom/multipart';
import { memoryAuditLog } from '../../../src/ops/audit';
import { createLogger } from '../../../src/ops/logger';
import type { InstanceReceiver } from '../../../src/dicom/receive';

test('a body trickled past the read deadline is dropped, nothing stored, and the slot is free again', async () => {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const audit = memoryAuditLog();
  let begun = 0;
  const store: InstanceReceiver = {
    begin() {
      begun++;
      throw new Error('nothing may be stored');
    },
  };
  const routes = stowRoutes(
    {
      store,
      onStored: () => undefined,
      audit,
      logger: createLogger({ level: 'debug', format: 'json' }, stream),
      hashId: () => 'hashed',
      bounds: { maxBodyBytes: 1 << 20, maxParts: 10, maxPartBytes: 1 << 20 },
      authorise: (authorization) => (authorization === 'Bearer sender' ? { ok: true, role: 'sender' } : { ok: false, status: 401, message: 'authentication required' }),
    },
    // Idle timeout far beyond the test: only the read deadline can end the trickle.
    { maxConcurrent: 1, idleTimeoutMs: 60_000, maxReadMs: 1000 },
  );
  const http = await startHttpEndpoint({ port: 0, bind: '127.0.0.1', metrics: () => '', checks: [], routes: [routes] });
  const { contentType, body } = writeDicomMultipart([Buffer.alloc(64 * 1024)]);
  const post = (headers: Record<string, string | number>) => request({ host: '127.0.0.1', port: http.port, path: '/dicomweb/studies', method: 'POST', headers });
  let ticker: NodeJS.Timeout | undefined;
  try {
    const started = Date.now();
    const cut = await new Promise<string>((resolve) => {
      const req = post({ 'content-type': contentType, 'content-length': body.length, authorization: 'Bearer sender' });
      req.on('error', (e) => resolve(`error: ${e.message}`));
      req.on('response', (res) => {
        res.resume();
        res.on('close', () => resolve(`answered ${res.statusCode}`));
      });
      // 100 bytes every 100 ms: never idle, never whole (64 kB would take a minute).
      let at = 0;
      ticker = setInterval(() => {
        if (at < body.length) req.write(body.subarray(at, (at += 100)));
      }, 100);
    });
    clearInterval(ticker);
    const elapsed = Date.now() - started;
    expect(cut).toMatch(/^error: |^answered 400/);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(20_000);
    const warned = () => lines.map((l) => JSON.parse(l) as { level: string; message: string }).filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warned().some((m) => /^STOW-RS request from .*: its body had not all arrived after 1 s; connection closed, nothing of the request stored\.$/.test(m))).toBe(true);
    expect(begun).toBe(0);

    // The slot is free: the next request is judged (401 here), not turned away busy (503).
    const next = await new Promise<number>((resolve, reject) => {
      const req = post({ 'content-type': contentType, 'content-length': body.length, connection: 'close' });
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.end(body);
    });
    expect(next).toBe(401);
  } finally {
    clearInterval(ticker);
    await http.close();
  }
}, 60_000);
