/**
 * SQS, SNS and S3 on one local server (`fauxqs`): visibility timeouts, receive counts and redrive to the DLQ
 * behave as on AWS. It runs in our own process, so it stops with us.
 */
import { startFauxqs } from 'fauxqs';

export interface MessagingEngine {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startMessaging(
  options: { port?: number; dataDir?: string } = {},
): Promise<MessagingEngine> {
  const server = await startFauxqs({
    port: options.port ?? 0,
    host: '127.0.0.1',
    logger: false,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return { endpoint: server.address, stop: () => server.stop() };
}
