// S3 clients for tests: the AWS SDK (current defaults, so CRC32 checksums and aws-chunked
// trailers are what the proxy sees) pointed at a TestCluster's proxy, path-style or
// virtual-hosted (<bucket>.localhost resolves to loopback), as test:tester/testing.
import http from 'node:http';
import { lookup } from 'node:dns';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { TestCluster } from '../proxy/harness.js';

/**
 * Resolves every *.localhost name to 127.0.0.1 (RFC 6761 reserves them for loopback; the
 * system resolver in test containers does not always know that).
 */
const loopbackLookup: typeof lookup = ((hostname: string, options: unknown, callback: unknown) => {
  if (hostname.endsWith('.localhost')) {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    return all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  }
  return (lookup as (...args: unknown[]) => void)(hostname, options, callback);
}) as typeof lookup;

export function s3Client(cluster: TestCluster, options: { virtualHosted?: boolean; user?: string; key?: string } = {}): S3Client {
  const port = new URL(cluster.url).port;
  return new S3Client({
    region: 'us-east-1',
    endpoint: options.virtualHosted ? `http://localhost:${port}` : cluster.url,
    forcePathStyle: !options.virtualHosted,
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, lookup: loopbackLookup }) }),
    credentials: { accessKeyId: options.user ?? 'test:tester', secretAccessKey: options.key ?? 'testing' },
  });
}

/** The S3 error code of a failed SDK call (throws when the call succeeded). */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { Code?: string; name: string }).Code ?? (err as { name: string }).name;
  }
  throw new Error('the call succeeded');
}
