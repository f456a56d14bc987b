// The benchmark's S3 side: the same object requests as SwiftClient (container = bucket,
// path-style /<bucket>/<key>), each signed with AWS Signature Version 4 in the
// Authorization header (UNSIGNED-PAYLOAD, as the AWS CLI and SDKs send large bodies), with
// the tempauth user as access key and its key as secret. The endpoint is the storage URL's
// origin: the proxy answers S3 on the same port as Swift.
import { createHash, createHmac } from 'node:crypto';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Auth, ObjectClient, SwiftRequest } from './client.js';

const CONNECT_TIMEOUT_MS = 5_000;
const REGION = 'us-east-1';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

export class S3ObjectClient implements ObjectClient {
  readonly putStatus = 200;
  private readonly pool: Pool;
  private readonly host: string;
  /** The signing key of one day: derived once per date, not per request. */
  private keyDate = '';
  private key: Buffer = Buffer.alloc(0);

  constructor(
    auth: Auth,
    private readonly accessKey: string,
    private readonly secret: string,
    connections: number,
    idleTimeoutMs: number,
    private readonly runSignal: AbortSignal,
  ) {
    this.host = auth.storageUrl.host;
    this.pool = new Pool(auth.storageUrl.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: CONNECT_TIMEOUT_MS },
      headersTimeout: idleTimeoutMs,
      bodyTimeout: idleTimeoutMs,
    });
  }

  private signingKey(date: string): Buffer {
    if (date !== this.keyDate) {
      this.key = hmac(hmac(hmac(hmac(`AWS4${this.secret}`, date), REGION), 's3'), 'aws4_request');
      this.keyDate = date;
    }
    return this.key;
  }

  /** SigV4 headers for a request without a query string. */
  private sign(method: string, path: string, extra: Record<string, string>): Record<string, string> {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const date = amzDate.slice(0, 8);
    const headers: Record<string, string> = { host: this.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
    const signed = Object.keys(headers).sort();
    const canonical = [method, path, '', ...signed.map((h) => `${h}:${headers[h]}`), '', signed.join(';'), UNSIGNED_PAYLOAD].join('\n');
    const scope = `${date}/${REGION}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
    const signature = createHmac('sha256', this.signingKey(date)).update(toSign, 'utf8').digest('hex');
    return {
      ...extra,
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    };
  }

  request(req: SwiftRequest): Promise<Dispatcher.ResponseData> {
    return this.pool.request({
      method: req.method,
      path: req.path,
      headers: this.sign(req.method, req.path, req.headers ?? {}),
      body: req.body ?? null,
      signal: AbortSignal.any([AbortSignal.timeout(req.timeoutMs), this.runSignal]),
    });
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
