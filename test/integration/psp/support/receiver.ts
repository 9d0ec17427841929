/** A webhook endpoint for tests: records every POST (raw body and headers) and answers with a scripted status. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly rawBody: string;
  readonly signature: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Status codes to answer, in order; 200 once the script runs out. */
  script(statuses: number[]): void;
  /** Resolves when `predicate` holds for what arrived. */
  waitFor(predicate: (received: readonly Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let statuses: number[] = [];
  let watchers: { predicate: (r: readonly Received[]) => boolean; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const status = statuses.shift() ?? 200;
      let eventId = '';
      let eventType = '';
      try {
        const parsed = JSON.parse(rawBody) as { id?: string; type?: string };
        eventId = parsed.id ?? '';
        eventType = parsed.type ?? '';
      } catch {
        // recorded as is
      }
      received.push({
        rawBody,
        signature: String(req.headers['stripe-signature'] ?? ''),
        eventId,
        eventType,
        status,
      });
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'fail');
      const ready = watchers.filter((w) => w.predicate(received));
      watchers = watchers.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    script(next) {
      statuses = [...next];
    },
    waitFor(predicate, timeoutMs = 10_000) {
      if (predicate(received)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers = watchers.filter((w) => w.resolve !== done);
          reject(
            new Error(
              `webhook condition not met in ${timeoutMs} ms; got ${received.map((r) => r.eventType).join(', ')}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        watchers.push({ predicate, resolve: done });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Successful deliveries of one event type. */
export function delivered(received: readonly Received[], type: string): Received[] {
  return received.filter((r) => r.eventType === type && r.status < 300);
}
