/**
 * Operational logging: readable lines on a terminal, JSON lines otherwise (for journald, Docker, Loki).
 * Rule for every caller: no patient names or birth dates at info level; use UIDs or a hashed ID (ops/idHash).
 */
import winston from 'winston';

export type Logger = winston.Logger;

export interface LogSettings {
  level: 'error' | 'warn' | 'info' | 'debug';
  format: 'auto' | 'pretty' | 'json';
}

function prettyLine(info: winston.Logform.TransformableInfo): string {
  const { level, message, timestamp, component, ...meta } = info as Record<string, unknown>;
  const keys = Object.keys(meta).filter((k) => typeof k === 'string');
  const tail = keys.length > 0 ? ' ' + keys.map((k) => `${k}=${formatMeta(meta[k])}`).join(' ') : '';
  const who = component ? `[${String(component)}] ` : '';
  return `${String(timestamp)} ${String(level)} ${who}${String(message)}${tail}`;
}

function formatMeta(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v);
}

export function createLogger(settings: LogSettings, stream: NodeJS.WritableStream = process.stderr): Logger {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  const pretty = settings.format === 'pretty' || (settings.format === 'auto' && tty);
  const format = pretty
    ? winston.format.combine(
        winston.format.errors({ stack: false }),
        winston.format.timestamp({ format: 'YYYY-MM-DD HH:mm:ss.SSS' }),
        ...(tty ? [winston.format.colorize({ level: true })] : []),
        winston.format.printf(prettyLine),
      )
    : winston.format.combine(winston.format.errors({ stack: false }), winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: settings.level,
    format,
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger that discards everything: for pure code paths exercised from tests and CLI tools. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/** Waits until every transport has written what it was given (used at shutdown). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    logger.on('finish', finish);
    logger.end();
    setTimeout(finish, 2000).unref();
  });
}
