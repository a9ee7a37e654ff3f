/** The cluster tables in SQLite: one node, but the same heartbeat and schedule bookkeeping. */
import type { ClusterRegistry, NodeInfo } from '../../ops/cluster';
import { claimRunSql, heartbeatSql, NodeRow, toNodeInfo } from '../clusterRows';
import { hasTable, SqliteDb, statementCache } from '../sqlite';

// Each parameter appears once, in order.
const p = () => '?';

export class SqliteClusterRegistry implements ClusterRegistry {
  private readonly q;

  constructor(private readonly db: SqliteDb) {
    this.q = statementCache(db);
  }

  async heartbeat(n: Omit<NodeInfo, 'lastSeenAt' | 'stoppedAt'>, now: number): Promise<void> {
    this.q(heartbeatSql(p)).run(n.nodeId, n.host, n.pid, n.dicomPort, n.httpPort, n.startedAt, now);
  }

  async markStopped(nodeId: string, now: number): Promise<void> {
    this.q('UPDATE nodes SET stopped_at = ? WHERE node_id = ?').run(now, nodeId);
  }

  async nodes(): Promise<NodeInfo[]> {
    if (!hasTable(this.db, 'nodes')) return [];
    return (this.q('SELECT * FROM nodes ORDER BY node_id').all() as NodeRow[]).map(toNodeInfo);
  }

  async claimScheduledRun(name: string, slot: number, nodeId: string, now: number): Promise<boolean> {
    return this.q(claimRunSql(p)).run(name, slot, nodeId, now).changes === 1;
  }
}
