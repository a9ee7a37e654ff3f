/** What the PostgreSQL engine shows of its URL, and how it tells "the server is away" from "the request is wrong". */
import { INDEX_QUERY_TIMEOUT_MS, isConnectionError, openPostgres, redactUrl } from '../../../src/db/postgres';

describe('redactUrl', () => {
  it('masks the password of the user part', () => {
    expect(redactUrl('postgres://cd8:hunter2@db:5432/cd8')).toBe('postgres://cd8:***@db:5432/cd8');
  });

  it('masks secrets given as query parameters (password, sslpassword, sslkey, tokens), keeping the others', () => {
    const shown = redactUrl('postgres://cd8@db/cd8?password=hunter2&sslpassword=x&sslmode=verify-full&sslkey=/etc/cd8/client.key&api_token=t0k&application_name=cd8');
    expect(shown).toBe('postgres://cd8@db/cd8?password=***&sslpassword=***&sslmode=verify-full&sslkey=***&api_token=***&application_name=cd8');
    expect(shown).not.toMatch(/hunter2|=x&|client\.key|t0k/);
  });

  it('masks them in a URL it cannot parse too', () => {
    expect(redactUrl('postgres://cd8:hunter2@db:bad-port/cd8?PASSWORD=hunter2')).toBe('postgres://cd8:***@db:bad-port/cd8?PASSWORD=***');
  });

  it('leaves a URL without secrets as it is', () => {
    expect(redactUrl('postgres://cd8@db:5432/cd8?sslmode=require')).toBe('postgres://cd8@db:5432/cd8?sslmode=require');
  });
});

describe('a server that stops answering', () => {
  it('counts a query read timeout as "unreachable" (a transient refusal, A7xx), like a refused connection', () => {
    expect(isConnectionError(new Error('Query read timeout'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
  });

  it('gives the pool a query timeout and TCP keepalive from 10 s of silence; the index its own 10 s timeout', async () => {
    const pool = openPostgres('postgres://cd8@127.0.0.1:1/cd8');
    const index = openPostgres('postgres://cd8@127.0.0.1:1/cd8', { queryTimeoutMs: INDEX_QUERY_TIMEOUT_MS });
    try {
      expect(pool.options).toMatchObject({ query_timeout: 60_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      expect(index.options).toMatchObject({ query_timeout: 10_000 });
      expect(INDEX_QUERY_TIMEOUT_MS).toBe(10_000);
    } finally {
      await Promise.all([pool.end(), index.end()]);
    }
  });
});
