/** The cluster tables in PostgreSQL: heartbeats of every node, and one claim per schedule firing. */
import type { ClusterRegistry, NodeInfo } from '../../ops/cluster';
import { claimRunSql, heartbeatSql, NodeRow, toNodeInfo } from '../clusterRows';
import { PgPool } from '../postgres';

const p = (n: number) => `$${n}`;

export class PgClusterRegistry implements ClusterRegistry {
  constructor(private readonly pool: PgPool) {}

  async heartbeat(n: Omit<NodeInfo, 'lastSeenAt' | 'stoppedAt'>, now: number): Promise<void> {
    await this.pool.query(heartbeatSql(p), [n.nodeId, n.host, n.pid, n.dicomPort, n.httpPort, n.startedAt, now]);
  }

  async markStopped(nodeId: string, now: number): Promise<void> {
    await this.pool.query('UPDATE nodes SET stopped_at = $1 WHERE node_id = $2', [now, nodeId]);
  }

  async nodes(): Promise<NodeInfo[]> {
    return (await this.pool.query<NodeRow>('SELECT * FROM nodes ORDER BY node_id')).rows.map(toNodeInfo);
  }

  async claimScheduledRun(name: string, slot: number, nodeId: string, now: number): Promise<boolean> {
    return (await this.pool.query(claimRunSql(p), [name, slot, nodeId, now])).rowCount === 1;
  }
}
