/**
 * The STOW-RS client's time bound: an archive that answers its headers and then one byte now and
 * then (never silent for the socket timeout) is given up after twice the timeout, so a delivery
 * ends inside the outbox's lease.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stowRs } from '../../../src/dicom/stowRs';
import { SHARED } from '../../support/process';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom', 'image');

test('an archive that dribbles its answer is given up after twice the timeout', async () => {
  const tickers: NodeJS.Timeout[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      tickers.push(setInterval(() => res.write(' '), 100));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const object = readFileSync(join(PHANTOM, readdirSync(PHANTOM)[0]));
  try {
    const outcome = await stowRs({ url: `http://127.0.0.1:${port}/dicom-web`, timeoutMs: 500 }, [object]);
    expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies had not answered the store request after 1 s; it was stopped/) });
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(outcome.elapsedMs).toBeLessThan(10_000);
  } finally {
    tickers.forEach(clearInterval);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}, 30_000);
