/** The cluster tables' rows and SQL both engines share (their upserts read the same in both dialects but for placeholders). */
import type { NodeInfo } from '../ops/cluster';

export interface NodeRow {
  node_id: string;
  host: string;
  pid: number;
  dicom_port: number | null;
  http_port: number | null;
  started_at: number;
  last_seen_at: number;
  stopped_at: number | null;
}

export const toNodeInfo = (r: NodeRow): NodeInfo => ({
  nodeId: r.node_id,
  host: r.host,
  pid: r.pid,
  dicomPort: r.dicom_port,
  httpPort: r.http_port,
  startedAt: r.started_at,
  lastSeenAt: r.last_seen_at,
  stoppedAt: r.stopped_at,
});

/** Parameters in this order (`p` gives $n for PostgreSQL, ? for SQLite): node_id, host, pid, dicom_port, http_port, started_at, now. */
export const heartbeatSql = (p: (n: number) => string) =>
  `INSERT INTO nodes (node_id, host, pid, dicom_port, http_port, started_at, last_seen_at, stopped_at)
   VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, NULL)
   ON CONFLICT (node_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, dicom_port = excluded.dicom_port, http_port = excluded.http_port,
     started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, stopped_at = NULL`;

/** name, slot, node, now: inserts or advances the row only when the slot is newer; one row changed = claimed. */
export const claimRunSql = (p: (n: number) => string) =>
  `INSERT INTO schedule_runs (name, slot, node, run_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})
   ON CONFLICT (name) DO UPDATE SET slot = excluded.slot, node = excluded.node, run_at = excluded.run_at WHERE schedule_runs.slot < excluded.slot`;
