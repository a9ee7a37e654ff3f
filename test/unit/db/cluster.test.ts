/** Heartbeats and once-per-cluster schedule runs, on both engines (two storages on one database = two nodes). */
import { openStorage } from '../../../src/db/storage';
import { assertNodeIdFree, isAlive, scheduleSlot, ALIVE_WITHIN_MS, NodeIdInUseError } from '../../../src/ops/cluster';
import { ENGINES, testStorages } from '../../support/storage';

const storages = testStorages();

describe.each(ENGINES)('cluster registry on %s', (engine) => {
  it('records each node\'s heartbeat; a silent or stopped node is not alive', async () => {
    const a = await storages.open(engine);
    const t0 = Date.now();
    await a.cluster.heartbeat({ nodeId: 'node-a', host: 'h1', pid: 10, dicomPort: 11112, httpPort: 8112, startedAt: t0 }, t0);
    await a.cluster.heartbeat({ nodeId: 'node-b', host: 'h2', pid: 20, dicomPort: 11112, httpPort: null, startedAt: t0 }, t0);
    await a.cluster.heartbeat({ nodeId: 'node-a', host: 'h1', pid: 10, dicomPort: 11112, httpPort: 8112, startedAt: t0 }, t0 + 5_000);
    await a.cluster.markStopped('node-b', t0 + 6_000);
    const nodes = await a.cluster.nodes();
    expect(nodes.map((n) => [n.nodeId, n.lastSeenAt - t0, n.stoppedAt === null ? null : n.stoppedAt - t0])).toEqual([
      ['node-a', 5_000, null],
      ['node-b', 0, 6_000],
    ]);
    expect(nodes.map((n) => isAlive(n, t0 + 6_000))).toEqual([true, false]);
    expect(isAlive(nodes[0], t0 + 5_000 + ALIVE_WITHIN_MS + 1)).toBe(false);
  });

  it('refuses to start a second live node under an id another host or process holds, saying which and what to do', async () => {
    const a = await storages.open(engine);
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    try {
      const t0 = Date.now();
      await a.cluster.heartbeat({ nodeId: 'node-a', host: 'h1', pid: 10, dicomPort: 11112, httpPort: null, startedAt: t0 }, t0);
      const running = () => true;
      const refusal = assertNodeIdFree(b.cluster, { nodeId: 'node-a', host: 'h2', pid: 99 }, t0 + 4_000, running);
      await expect(refusal).rejects.toThrow(NodeIdInUseError);
      await expect(refusal).rejects.toThrow(/node id "node-a" is in use: the node on host h1 \(pid 10\) sent a heartbeat under it 4 s ago\. .*set database\.nodeId \(CD8_NODE_ID\).*heartbeat runs out in 11 s/);
      // Another process of the same host that still runs holds it too.
      await expect(assertNodeIdFree(b.cluster, { nodeId: 'node-a', host: 'h1', pid: 11 }, t0 + 4_000, running)).rejects.toThrow(NodeIdInUseError);
      // Free: another id; its own predecessor on this host that died; a heartbeat run out; a clean stop.
      await assertNodeIdFree(b.cluster, { nodeId: 'node-b', host: 'h2', pid: 99 }, t0 + 4_000, running);
      await assertNodeIdFree(b.cluster, { nodeId: 'node-a', host: 'h1', pid: 11 }, t0 + 4_000, () => false);
      await assertNodeIdFree(b.cluster, { nodeId: 'node-a', host: 'h2', pid: 99 }, t0 + ALIVE_WITHIN_MS + 1, running);
      await a.cluster.markStopped('node-a', t0 + 5_000);
      await assertNodeIdFree(b.cluster, { nodeId: 'node-a', host: 'h2', pid: 99 }, t0 + 6_000, running);
    } finally {
      await b.close();
    }
  });

  it('lets one node only run each firing of a schedule, whichever claims first', async () => {
    const a = await storages.open(engine);
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    try {
      const slot = scheduleSlot(Date.UTC(2026, 0, 1, 3, 30, 0, 400));
      expect(scheduleSlot(Date.UTC(2026, 0, 1, 3, 29, 58, 0))).toBe(slot); // a node whose clock is 2 s behind
      const claims = await Promise.all([a.cluster.claimScheduledRun('retention', slot, 'node-a', 1), b.cluster.claimScheduledRun('retention', slot, 'node-b', 1)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await a.cluster.claimScheduledRun('retention', slot, 'node-a', 2)).toBe(false);
      expect(await b.cluster.claimScheduledRun('daily summary', slot, 'node-b', 2)).toBe(true); // another schedule
      expect(await b.cluster.claimScheduledRun('retention', slot + 1440, 'node-b', 3)).toBe(true); // the next day
    } finally {
      await b.close();
    }
  });
});
