/**
 * The nodes that share one database: each writes a heartbeat every few seconds, so `status`, the
 * metrics and the console can show which are alive and what each runs; and each schedule runs
 * once per cluster, not once per node (the first node to claim a firing runs it).
 * Implementations: db/sqlite/cluster.ts and db/postgres/cluster.ts.
 */
import { hostname } from 'node:os';
import type { Logger } from './logger';
import { errorText } from './errorText';

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
