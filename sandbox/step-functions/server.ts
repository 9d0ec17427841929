/**
 * The local Step Functions endpoint: the AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Action>`),
 * so `@aws-sdk/client-sfn` pointed here (AWS_ENDPOINT_URL_SFN) works unchanged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../lambda-host';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type LocalStepFunctions,
  StepFunctionsError,
} from './service';

function describe(record: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: record.startDate.getTime() / 1000,
    ...(record.stopDate ? { stopDate: record.stopDate.getTime() / 1000 } : {}),
    input: record.input,
    ...(record.output !== undefined ? { output: record.output } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

type Body = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

function dispatch(service: LocalStepFunctions, action: string, body: Body): unknown {
  switch (action) {
    case 'StartExecution': {
      const record = service.startExecution(String(body.stateMachineArn), str(body.input), str(body.name));
      return { executionArn: record.executionArn, startDate: record.startDate.getTime() / 1000 };
    }
    case 'DescribeExecution':
      return describe(service.describeExecution(String(body.executionArn)));
    case 'StopExecution':
      service.stopExecution(String(body.executionArn));
      return { stopDate: Date.now() / 1000 };
    case 'ListExecutions':
      return {
        executions: service
          .listExecutions(String(body.stateMachineArn), str(body.statusFilter) as ExecutionStatus | undefined)
          .map((e) => {
            const { input: _input, output: _output, ...summary } = describe(e);
            return summary;
          }),
      };
    case 'SendTaskSuccess':
      service.sendTaskSuccess(String(body.taskToken), String(body.output));
      return {};
    case 'SendTaskFailure':
      service.sendTaskFailure(String(body.taskToken), str(body.error), str(body.cause));
      return {};
    case 'SendTaskHeartbeat':
      service.sendTaskHeartbeat(String(body.taskToken));
      return {};
    default:
      throw new StepFunctionsError(
        'UnknownOperationException',
        `${action} is not supported by the local runtime`,
      );
  }
}

export async function startStepFunctionsServer(
  service: LocalStepFunctions,
  options: { port?: number; host?: string } = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^AWSStepFunctions\./, '');
      let status = 200;
      let payload: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        payload = dispatch(service, action, text ? (JSON.parse(text) as Body) : {});
      } catch (error) {
        status = 400;
        const code = error instanceof StepFunctionsError ? error.code : 'InternalFailure';
        if (!(error instanceof StepFunctionsError)) status = 500;
        payload = { __type: code, message: error instanceof Error ? error.message : describeError(error) };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
