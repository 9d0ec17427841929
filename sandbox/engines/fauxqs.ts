/**
 * SQS, SNS and S3 on one local server (`fauxqs`): visibility timeouts, receive counts and redrive to the DLQ
 * behave as on AWS. It runs in our own process, so it stops with us. It listens on all interfaces (not
 * configurable); nothing but this machine's own processes talks to it.
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
    logger: false,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return { endpoint: server.address, stop: () => server.stop() };
}
