// The web-download import method's source: a URL the operator's filters allow (scheme,
// host allow/deny lists, ports, and no loopback or unspecified address unless allowed),
// fetched with undici; redirects are followed only to URLs that pass the same filters.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { ImageServiceConfig } from './config.js';
import { badRequest } from './errors.js';

const MAX_REDIRECTS = 5;

function isLoopbackOrUnspecified(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.') || v4 === '0.0.0.0';
  return address === '::1' || address === '::';
}

/** Throws 400 unless the operator's web-download filters allow the URI. */
export async function checkWebDownloadUri(uri: string, config: ImageServiceConfig): Promise<URL> {
  const refuse = (why: string) => badRequest(`URI for web-download does not pass filtering: ${uri} (${why})`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw badRequest(`Invalid URI for web-download: ${uri}`);
  }
  const f = config.webDownload;
  const scheme = url.protocol.replace(/:$/, '');
  if (!f.schemes.includes(scheme)) throw refuse(`scheme ${scheme} is not allowed`);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (f.allowedHosts.length > 0 && !f.allowedHosts.includes(host)) throw refuse(`host ${host} is not allowed`);
  if (f.disallowedHosts.includes(host)) throw refuse(`host ${host} is not allowed`);
  const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
  if (f.ports.length > 0 && !f.ports.includes(port)) throw refuse(`port ${port} is not allowed`);
  if (!f.allowLoopback) {
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw refuse(`host ${host} does not resolve`);
    }
    if (addresses.some(isLoopbackOrUnspecified)) throw refuse('loopback addresses are not allowed');
  }
  return url;
}

export interface WebSource {
  body: Readable;
  length?: number;
}

/** Opens the URI for reading (following allowed redirects); throws when it does not answer 200. */
export async function openWebDownload(uri: string, config: ImageServiceConfig, signal: AbortSignal): Promise<WebSource> {
  let url = await checkWebDownloadUri(uri, config);
  for (let hop = 0; ; hop++) {
    const res: Dispatcher.ResponseData = await request(url, {
      method: 'GET',
      signal,
      headersTimeout: config.web_download_timeout_ms,
      bodyTimeout: config.web_download_timeout_ms,
    });
    if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location && hop < MAX_REDIRECTS) {
      await res.body.dump();
      url = await checkWebDownloadUri(new URL(String(res.headers.location), url).toString(), config);
      continue;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`web-download of ${url} answered ${res.statusCode}`);
    }
    const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
    if (length !== undefined && length > config.image_size_cap) {
      res.body.destroy();
      throw new Error(`web-download of ${url}: ${length} bytes is over the image size cap (${config.image_size_cap})`);
    }
    return { body: res.body, ...(length !== undefined && Number.isSafeInteger(length) ? { length } : {}) };
  }
}
