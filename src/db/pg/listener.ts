import pg from 'pg';
import { coalesce } from './coalesce.js';

const RETRY_MS = { first: 100, max: 5000 };

/**
 * One connection that LISTENs on `channel` for other servers' commits. Reconnects when lost; `onGap` is called when
 * the connection is lost and again once listening resumes, since notifications sent in between are never received.
 */
export async function createCacheListener(connection: pg.ClientConfig, channel: string, handlers: { onNotification(payload: string): void; onGap(): void }) {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let delay = RETRY_MS.first;

  function drop(lost: pg.Client) {
    lost.removeAllListeners('notification');
    lost.end().catch(() => {});
    if (client === lost) client = null;
    handlers.onGap();
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, RETRY_MS.max);
  }

  async function connect() {
    const candidate = new pg.Client({ ...connection, keepAlive: true, query_timeout: 5000, application_name: 'common-ground cache listener' });
    candidate.on('error', () => drop(candidate));
    candidate.on('end', () => drop(candidate));
    candidate.on('notification', (message) => {
      if (message.channel === channel && message.payload) handlers.onNotification(message.payload);
    });
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${channel}`);
    } catch {
      drop(candidate);
      return;
    }
    if (closed) return void candidate.end().catch(() => {});
    client = candidate;
    delay = RETRY_MS.first;
    handlers.onGap();
  }

  // A notification is sent to a listening connection before the answer to any query that started after the commit.
  const barrier = coalesce<never>(async () => {
    if (!client) throw new Error('not listening');
    await client.query('SELECT 1');
  });

  await connect();
  return {
    /** Resolves true once every notification committed before the call has been received; false while not listening. */
    async sync(): Promise<boolean> {
      if (!client) return false;
      try {
        await barrier();
        return client !== null;
      } catch {
        return false;
      }
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const open = client;
      client = null;
      if (open) {
        open.removeAllListeners('end');
        await open.end().catch(() => {});
      }
    },
  };
}
