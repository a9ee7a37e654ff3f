/** A second node started under the id of a live node sharing the same PostgreSQL refuses to start, and says why. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../support/process';
import { NodeProcess } from '../../support/nodeProcess';
import { startPostgres, TestPostgres } from '../../support/postgres';
import { query, startClusterNode } from '../../support/cluster';

let pg: TestPostgres;
let first: NodeProcess | undefined;

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  await first?.stop();
  await pg?.stop();
}, 60_000);

test('a node whose database.nodeId a live node holds refuses to start, naming the holder and what to do; the first node runs on undisturbed', async () => {
  const url = await pg.createDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-dup-'));
  first = await startClusterNode({ name: 'node-dup', url, dataDir });
  const [holder] = await waitFor('the first node heartbeat', async () => {
    const rows = await query<{ pid: number; host: string }>(url, `SELECT pid, host FROM nodes WHERE node_id = 'node-dup'`);
    return rows.length === 1 ? rows : undefined;
  }, 30_000);
  await expect(startClusterNode({ name: 'node-dup', url, dataDir })).rejects.toThrow(
    new RegExp(`cd8-node could not start: node id .{1,2}node-dup.{1,2} is in use: the node on host ${holder.host} \\(pid ${holder.pid}\\) sent a heartbeat under it \\d+ s ago\\..*CD8_NODE_ID`),
  );
  // The first node was not disturbed: still alive, still the only holder of its heartbeat.
  expect(first.child.exitCode).toBeNull();
  expect(await query(url, `SELECT pid, host FROM nodes WHERE node_id = 'node-dup'`)).toEqual([holder]);
}, 120_000);
