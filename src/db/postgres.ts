/**
 * The shared engine: a PostgreSQL server that several nodes use at once (database.url /
 * CD8_DATABASE_URL = postgres://…). One pool per process; BIGINT columns (epoch milliseconds,
 * ids) come back as numbers, which they fit in (< 2^53).
 */
import { Pool, PoolClient, types } from 'pg';
import { errorText } from '../ops/errorText';

const INT8_OID = 20;
const asNumber = (v: string) => Number(v);

export type PgPool = Pool;
export type PgClient = PoolClient;

/**
 * The server's clock in epoch milliseconds, for leases: every node reads the same clock, so a
 * node whose clock runs ahead cannot take over a lease that has not run out.
 */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Query parameters that carry a secret (password, sslpassword, sslkey, any *token*, *secret*…). */
const SECRET_PARAMETER = /([?&][^=&#]*(?:pass|secret|key|token|credential)[^=&#]*=)[^&#]*/gi;

/** The URL with its password and secret parameters replaced, for logs, messages, status and the console. */
export function redactUrl(url: string): string {
  let shown: string;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    shown = u.toString();
  } catch {
    shown = url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
  }
  return shown.replace(SECRET_PARAMETER, '$1***');
}

/**
 * How long an instance's index write may wait on the server before the store refuses it with a
 * transient status (A7xx: the sender retries later): well inside a sender's DIMSE timeout.
 */
export const INDEX_QUERY_TIMEOUT_MS = 10_000;

export function openPostgres(url: string, options: { applicationName?: string; max?: number; connectTimeoutMs?: number; queryTimeoutMs?: number } = {}): PgPool {
  const pool = new Pool({
    connectionString: url,
    application_name: options.applicationName ?? 'cd8-node',
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A server that stops answering (hung, or a network partition) fails a query instead of
    // hanging it; the failure counts as "unreachable" (isConnectionError) and its connection is dropped.
    query_timeout: options.queryTimeoutMs ?? 60_000,
    // TCP keepalive probes from 10 s of silence: a server that went away is noticed in tens of
    // seconds instead of the system's default of two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? asNumber : (types.getTypeParser as (o: number, f?: 'text' | 'binary') => unknown)(oid, format)) as typeof types.getTypeParser,
    },
  });
  // An idle client whose server restarted emits an error; the next query gets a new client.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Runs `fn` in one transaction on one client (`begin` may set its isolation); rolls back on
 * error. A client that lost its server (or timed out waiting for it) is dropped instead: closing
 * its connection rolls the transaction back on the server, and no later query queues behind it.
 */
export async function inTransaction<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      if (isConnectionError(e)) throw e;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  } catch (e) {
    if (isConnectionError(e)) broken = e instanceof Error ? e : new Error(errorText(e));
    throw e;
  } finally {
    client.release(broken);
  }
}

/** Errors that mean "the server cannot be reached now" (try again later), not "the request is wrong". */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  const message = errorText(e);
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(code) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(message)
  );
}

/** What an admin should read when the database cannot be used: what is wrong and what to do. */
export function explainPostgresError(e: unknown, url: string): string {
  const code = (e as { code?: string }).code ?? '';
  const message = errorText(e);
  const where = redactUrl(url);
  switch (code) {
    case 'ECONNREFUSED':
      return `PostgreSQL at ${where} is unreachable (connection refused): is the server running and listening on that host and port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `PostgreSQL at ${where} is unreachable: the host name does not resolve.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `PostgreSQL at ${where} is unreachable (${code}): check the host, the port and the firewall.`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login (authentication failed): check the user and password in database.url (CD8_DATABASE_URL) and pg_hba.conf.`;
    case '3D000':
      return `PostgreSQL at ${where}: the database does not exist; create it (createdb) or correct the name in database.url.`;
    case '42501':
      return `PostgreSQL at ${where}: the user lacks a privilege it needs (${message}); grant it CREATE and USAGE on the schema and SELECT/INSERT/UPDATE/DELETE on the node's tables, or let the owner run "cd8-node db migrate".`;
    case '57P03':
      return `PostgreSQL at ${where} is starting up or shutting down; try again shortly.`;
    default:
      if (isConnectionError(e)) return `PostgreSQL at ${where} is unreachable: ${message}`;
      return `PostgreSQL at ${where}: ${message}`;
  }
}
