/**
 * Runs one handler in a process of its own, with only the environment the caller gives (as on Lambda), and
 * prints what happened on the last line: `RESULT <json>` or `ERROR <name> <message>`.
 * Usage: node --import tsx test/support/invoke-isolated.ts <handler module path> <event as base64 JSON>
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, encodedEvent] = process.argv.slice(2);
if (!entry || !encodedEvent) throw new Error('usage: invoke-isolated <entry> <base64 event>');
const event: unknown = JSON.parse(Buffer.from(encodedEvent, 'base64').toString('utf8'));
const context = {
  awsRequestId: 'isolated',
  functionName: 'isolated',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: false,
};

try {
  const module = (await import(pathToFileURL(resolve(entry)).href)) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  const result = await module.handler(event, context);
  console.log(`RESULT ${JSON.stringify(result ?? null)}`);
} catch (error) {
  const e = error as Error;
  console.log(`ERROR ${e.name} ${e.message.replace(/\n/g, ' ')}`);
}
process.exit(0);
