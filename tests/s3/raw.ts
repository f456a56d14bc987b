// Raw S3 requests for shapes the SDK will not send as such: any method, path, query and
// headers, SigV4-signed by @smithy/signature-v4 (the SDK's own signer, independent of the
// proxy's) and sent with node:http, so the answer is seen exactly as it came (status,
// headers, body; an interim 100 Continue is recorded).
import http from 'node:http';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 in the shape @smithy/signature-v4 wants. */
export class Sha256 {
  private readonly secret: string | Uint8Array | undefined;
  private hash: Hash | Hmac;
  constructor(secret?: unknown) {
    this.secret = secret as string | Uint8Array | undefined;
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export interface RawRequest {
  method: string;
  /** The path as sent (already percent-encoded). */
  path: string;
  /** Query parameters (a value of '' is sent as "name="; null: the bare "name"). */
  query?: Array<[string, string | null]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  user?: string;
  key?: string;
  /** Leave the request unsigned. */
  anonymous?: boolean;
  /** Send Expect: 100-continue and wait for the interim answer before the body. */
  expectContinue?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether a 100 Continue came before the final answer. */
  continued: boolean;
}

const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export async function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: Record<string, string> = {
    host: url.host,
    ...(req.headers ?? {}),
    'x-amz-content-sha256': body === undefined ? createHash('sha256').update('').digest('hex') : createHash('sha256').update(body).digest('hex'),
  };
  if (body !== undefined) headers['content-length'] = String(body.length);
  const query: Record<string, string> = {};
  for (const [name, value] of req.query ?? []) query[name] = value ?? '';
  let sent = headers;
  if (!req.anonymous) {
    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials: { accessKeyId: req.user ?? 'test:tester', secretAccessKey: req.key ?? 'testing' },
      sha256: Sha256,
      uriEscapePath: false,
    });
    const signed = await signer.sign({ method: req.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: req.path, query, headers });
    sent = signed.headers as Record<string, string>;
  }
  const qs = (req.query ?? []).map(([n, v]) => (v === null ? encode(n) : `${encode(n)}=${encode(v)}`)).join('&');
  if (req.expectContinue) sent = { ...sent, expect: '100-continue' };
  return new Promise((resolve, reject) => {
    let continued = false;
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path + (qs ? `?${qs}` : ''), headers: sent, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), continued });
          // A final answer instead of 100 Continue: the body is never sent.
          if (req.expectContinue && !continued) r.destroy();
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (req.expectContinue && body !== undefined) {
      r.on('continue', () => {
        continued = true;
        r.end(body);
      });
      r.flushHeaders();
    } else {
      r.end(body);
    }
  });
}

/** The text of one element of an XML answer (first occurrence), or undefined. */
export const xmlField = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
/** The root element's name of an XML answer. */
export const xmlRoot = (xml: string): string | undefined => /^(?:<\?xml[^>]*\?>\s*)?<([A-Za-z]+)/.exec(xml)?.[1];
