// The benchmark's S3 side: the same object requests as SwiftClient (container = bucket,
// path-style /<bucket>/<key>), each signed with AWS Signature Version 4 in the
// Authorization header (UNSIGNED-PAYLOAD, as the AWS CLI and SDKs send large bodies), with
// the tempauth user as access key and its key as secret. The endpoint is the storage URL's
// origin: the proxy answers S3 on the same port as Swift.
import type { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { benchPool, type Auth, type ObjectClient, type SwiftRequest } from './client.js';
import {
  ALGORITHM,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  scopeString,
  sign,
  signingKey,
  stringToSign,
  toAmzDate,
  type CredentialScope,
} from '../../proxy/s3/signature-v4.js';

const REGION = 'us-east-1';

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
    this.pool = benchPool(auth.storageUrl, connections, idleTimeoutMs);
  }

  private keyFor(scope: CredentialScope): Buffer {
    if (scope.date !== this.keyDate) {
      this.key = signingKey(this.secret, scope);
      this.keyDate = scope.date;
    }
    return this.key;
  }

  /** SigV4 headers for a request without a query string (the proxy's own canonical form). */
  private sign(method: string, path: string, extra: Record<string, string>): Record<string, string> {
    const amzDate = toAmzDate(Date.now());
    const scope: CredentialScope = { accessKey: this.accessKey, date: amzDate.slice(0, 8), region: REGION, service: 's3' };
    const headers: Record<string, string> = { host: this.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
    const signedHeaders = Object.keys(headers).sort();
    const canonical = canonicalRequest({ method, path: decodeURIComponent(path), query: [], headers, signedHeaders, payloadHash: UNSIGNED_PAYLOAD });
    const signature = sign(this.keyFor(scope), stringToSign(amzDate, scope, canonical));
    return {
      ...extra,
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': amzDate,
      authorization: `${ALGORITHM} Credential=${this.accessKey}/${scopeString(scope)}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
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
