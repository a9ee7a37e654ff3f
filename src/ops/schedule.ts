/** Runs the node's housekeeping on node-cron schedules; an error in one run is logged, never fatal. */
import { createTask, ScheduledTask } from 'node-cron';
import type { Logger } from './logger';
import { errorText } from './errorText';

export interface ScheduledJob {
  name: string;
  cron: string;
  run: () => void | Promise<void>;
  /** Runs on every node (e.g. a node's own outbox sender); otherwise once per cluster when `claim` is given. */
  everyNode?: boolean;
}

export interface ScheduleOptions {
  /**
   * Nodes sharing a database: asks whether this node runs this firing of a schedule (the first
   * node to claim it does; the others skip it). Absent: a single node runs every firing.
   */
  claim?: (name: string) => Promise<boolean>;
}

export interface Schedules {
  stop(): void;
}

export function startSchedules(jobs: ScheduledJob[], logger: Logger, options: ScheduleOptions = {}): Schedules {
  const tasks: ScheduledTask[] = jobs.map((job) => {
    let busy = false;
    const task = createTask(job.cron, async () => {
      // A slow run must not overlap the next one.
      if (busy) return;
      busy = true;
      try {
        if (options.claim && !job.everyNode && !(await options.claim(job.name))) {
          logger.debug(`scheduled ${job.name}: another node runs this one`);
          return;
        }
        await job.run();
      } catch (e) {
        logger.error(`scheduled ${job.name} failed: ${errorText(e)}`);
      } finally {
        busy = false;
      }
    }, { name: job.name });
    task.start();
    return task;
  });
  logger.debug('schedules started', { schedules: jobs.map((j) => `${j.name} (${j.cron})`) });
  return {
    stop() {
      for (const t of tasks) void t.stop();
    },
  };
}
