/**
 * AWS list prices used to price a metered run (us-east-1, on-demand, no free tier), from DESIGN.md §7 and the
 * services' pricing pages. Change a price here and every cost figure follows.
 */
export const PRICES = {
  /** REST API (WAF attaches to REST APIs only), per request. */
  apiGatewayRestRequest: 3.5 / 1e6,
  /** HTTP API, per request (DESIGN.md §7; the first 300M a month, metered in 512 KB steps): the webhooks' API. */
  apiGatewayHttpRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Express: per execution, and per GB-second billed in 64 MB and 100 ms steps. */
  sfnExpressRequest: 1.0 / 1e6,
  sfnExpressGbSecond: 0.00001667,
  /** Standard: per state transition. */
  sfnStandardTransition: 0.025 / 1e3,
  /** On-demand, per write request unit (1 KB; transactions count 2) and read request unit (4 KB). */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** Standard queue, per 64 KB request. */
  sqsRequest: 0.4 / 1e6,
  snsPublish: 0.5 / 1e6,
  s3Put: 0.005 / 1e3,
  s3Get: 0.0004 / 1e3,
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestGb: 0.5,
  /** X-Ray, per trace recorded (sampled: the default rule keeps 1/s then 5%). */
  xrayTrace: 5.0 / 1e6,
  xraySampleRate: 0.05,
} as const;
