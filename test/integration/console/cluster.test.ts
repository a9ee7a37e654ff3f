/**
 * The web console of a node that shares PostgreSQL and the data directory with another: a study
 * received and processed through node A shows on node B's console (overview, study page with its
 * lesion picture, outbox), with both nodes alive in the overview, and B's configuration page
 * checks the shared database.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { run, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp, studyUidIn } from '../../support/dcmtk';
import { middayTimeZone, NodeProcess } from '../../support/nodeProcess';
import { startPostgres, TestPostgres } from '../../support/postgres';
import { startClusterNode } from '../../support/cluster';
import { launchChromium, laptopContext, waitForPicture } from '../../support/browser';
import { keptOutputDir } from '../../support/keptOutput';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const SCREENSHOTS = process.env.CD8_CONSOLE_SCREENSHOTS ?? keptOutputDir('cd8-console-screenshots');

let pg: TestPostgres;
let pacs: DicomPeer;
let nodes: NodeProcess[] = [];
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [pg, pacs] = await Promise.all([startPostgres(), startStorescp('PACS')]);
  const url = await pg.createDatabase('cd8_console');
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-console-cluster-'));
  // The overview counts today's studies: both nodes run where it is noon, far from midnight.
  const env = { CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_STABLE_AGE_S: '2', TZ: middayTimeZone() };
  // One after the other: the first migrates the database.
  nodes.push(await startClusterNode({ name: 'node-a', url, dataDir, env }));
  nodes.push(await startClusterNode({ name: 'node-b', url, dataDir, env }));
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([...nodes.map((n) => n.stop()), pacs?.stop()]);
  await pg?.stop();
}, 60_000);

test('a study sent to node A shows, processed and sent, on the console of node B, with both nodes alive', async () => {
  const [a, b] = nodes;
  const uid = await studyUidIn(join(PHANTOM, 'image'));
  const sent = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(a.port), '+sd', join(PHANTOM, 'image'), join(PHANTOM, 'mask')], { timeoutMs: 120_000 });
  expect(sent.code).toBe(0);

  // No credential configured: the read-only console on loopback is enough to read every page.
  const context = await laptopContext(browser);
  const page = await context.newPage();
  const base = `http://127.0.0.1:${b.httpPort}`;
  await page.goto(`${base}/`);
  await page.locator(`#studies tr[data-study="${uid}"] .state-done`).waitFor({ timeout: 240_000 });
  const nodeRows = page.locator('#nodes tbody tr');
  await waitFor('both nodes in the overview', async () => ((await nodeRows.count()) === 2 ? true : undefined), 30_000, 500);
  for (const name of ['node-a', 'node-b']) {
    await expect(page.locator(`#nodes tr[data-node="${name}"] td:nth-child(2)`).innerText()).resolves.toMatch(/^alive, last heartbeat/);
  }
  // Each row shows the ports that node listens on: its DICOM port and the HTTP port of its console.
  for (const [name, n] of [['node-a', a], ['node-b', b]] as const) {
    await expect(page.locator(`#nodes tr[data-node="${name}"] td:nth-child(5)`).innerText()).resolves.toBe(String(n.port));
    await expect(page.locator(`#nodes tr[data-node="${name}"] td:nth-child(6)`).innerText()).resolves.toBe(String(n.httpPort));
  }
  await expect(page.locator('#today').innerText()).resolves.toMatch(/1\s+study versions analysed/);
  await page.screenshot({ path: join(SCREENSHOTS, 'overview-cluster.png') });

  // The study page on B: the analysis, the lesion picture from the shared data directory, the SR row.
  await page.goto(`${base}/studies/${uid}`);
  await waitForPicture(page.locator('section.lesion img').first());
  await waitFor('the SR sent, on the outbox page of node B', async () => {
    await page.goto(`${base}/outbox`);
    const row = page.locator('table.outbox tbody tr').filter({ has: page.locator(`a[href="/studies/${uid}"]`) }).filter({ hasText: /SR/ });
    return (await row.count()) > 0 && (await row.first().getAttribute('data-state')) === 'sent' ? true : undefined;
  }, 60_000, 1000);

  // B's configuration check reaches the shared database.
  await page.goto(`${base}/configuration`);
  await expect(page.locator('#verdict').innerText()).resolves.toMatch(/valid \(with .*CD8_DATABASE_URL/);
  await context.close();
}, 360_000);
