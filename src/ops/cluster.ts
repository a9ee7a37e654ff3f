/**
 * The nodes that share one database: each writes a heartbeat every few seconds, so `status`, the
 * metrics and the console can show which are alive and what each runs; and each schedule runs
 * once per cluster, not once per node (the first node to claim a firing runs it).
 * Implementations: db/sqlite/cluster.ts and db/postgres/cluster.ts.
 */
import { hostname } from 'node:os';
import type { Logger } from './logger';
import { errorText } from './errorText';
import { processExists } from './processExists';

export interface NodeInfo {
  nodeId: string;
  host: string;
  pid: number;
  dicomPort: number | null;
  httpPort: number | null;
  startedAt: number;
  lastSeenAt: number;
  stoppedAt: number | null;
}

export interface ClusterRegistry {
  /** Records that this node is alive now (inserted on its first beat). */
  heartbeat(node: Omit<NodeInfo, 'lastSeenAt' | 'stoppedAt'>, now: number): Promise<void>;
  /** A clean stop: the node is shown stopped rather than silent. */
  markStopped(nodeId: string, now: number): Promise<void>;
  nodes(): Promise<NodeInfo[]>;
  /**
   * Claims the run of schedule `name` for firing `slot` (a number that grows with each firing):
   * true for the one node that claims it first, false for the others.
   */
  claimScheduledRun(name: string, slot: number, nodeId: string, now: number): Promise<boolean>;
}

/** How often a node beats, and after how many missed beats it counts as gone. */
export const HEARTBEAT_MS = 5_000;
export const ALIVE_WITHIN_MS = 3 * HEARTBEAT_MS;

export function isAlive(n: NodeInfo, now: number): boolean {
  return n.stoppedAt === null && now - n.lastSeenAt <= ALIVE_WITHIN_MS;
}

/** Another live node already uses this node's id: starting would mix their heartbeats and take its running jobs. */
export class NodeIdInUseError extends Error {
  override readonly name = 'NodeIdInUseError';
}

/**
 * Refuses to start under an id another live node holds: a heartbeat under the same id, not
 * stopped, younger than ALIVE_WITHIN_MS, from another host or from another process of this host
 * that still runs. (Two nodes with one id share heartbeats, and the start of one would hand back
 * the jobs the other runs.) This node's own predecessor that died (same host, its process gone)
 * does not count.
 */
export async function assertNodeIdFree(
  registry: Pick<ClusterRegistry, 'nodes'>,
  me: { nodeId: string; host: string; pid: number },
  now: number,
  processRuns: (pid: number) => boolean = processExists,
): Promise<void> {
  const holder = (await registry.nodes()).find((n) => n.nodeId === me.nodeId);
  if (!holder || !isAlive(holder, now)) return;
  if (holder.host === me.host && (holder.pid === me.pid || !processRuns(holder.pid))) return;
  const ago = Math.max(0, Math.round((now - holder.lastSeenAt) / 1000));
  throw new NodeIdInUseError(
    `node id "${me.nodeId}" is in use: the node on host ${holder.host} (pid ${holder.pid}) sent a heartbeat under it ${ago} s ago. ` +
      `Each node sharing the database needs its own id: set database.nodeId (CD8_NODE_ID) of this node to another name, or stop the other node. ` +
      `If that node has died, its heartbeat runs out in ${Math.ceil((ALIVE_WITHIN_MS - (now - holder.lastSeenAt)) / 1000)} s: start this node then.`,
  );
}

/** The node's name in the cluster: configured, else host name and DICOM port (stable across restarts). */
export function defaultNodeId(dicomPort: number): string {
  return `${hostname()}:${dicomPort}`;
}

/**
 * A firing's slot: the minute it belongs to. Nodes whose clocks differ by a few seconds round
 * the same cron firing (at :00) to the same minute.
 */
export function scheduleSlot(now: number): number {
  return Math.round(now / 60_000);
}

export interface Heartbeat {
  stop(): Promise<void>;
}

/** Beats now and every HEARTBEAT_MS; a failed beat is logged once until one succeeds again. */
export function startHeartbeat(registry: ClusterRegistry, node: Omit<NodeInfo, 'lastSeenAt' | 'stoppedAt'>, logger: Logger, everyMs = HEARTBEAT_MS): Heartbeat {
  let failing = false;
  const beat = async () => {
    try {
      await registry.heartbeat(node, Date.now());
      if (failing) logger.info('cluster heartbeat written again');
      failing = false;
    } catch (e) {
      if (!failing) logger.warn(`cannot write the cluster heartbeat: ${errorText(e)}`);
      failing = true;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await registry.markStopped(node.nodeId, Date.now()).catch(() => undefined);
    },
  };
}
