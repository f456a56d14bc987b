// The web-download import method's source. A URI must pass the operator's filters
// (Glance's [import_filtering_opts]: schemes, hosts, ports) when the import is asked for.
// When it is fetched, its host is resolved once, every address it resolves to must be
// one the address policy allows (no loopback, private, link-local… unless the operator
// opened that network), and the connection goes to exactly those addresses: undici is
// given a lookup that answers them, so a DNS answer that changes between the check and
// the connection (rebinding) is never used, while the name still goes in the Host header
// and in TLS (SNI, certificate check). Redirects are followed here, not by undici, each
// hop filtered and resolved the same way, at most MAX_REDIRECTS of them.
import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { ImageServiceConfig, ListFilter, WebDownloadFilters } from './config.js';
import { badRequest } from './errors.js';

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/** The fetch was refused before connecting (the host resolves to an address the policy refuses). */
export class WebDownloadRefused extends Error {
  readonly code = 'ERR_WEB_DOWNLOAD_REFUSED';
}

const passes = <T>(filter: ListFilter<T>, value: T) =>
  (filter.allowed.length === 0 || filter.allowed.includes(value)) && !filter.disallowed.includes(value);

/** The host as the filters compare it: lowercase, without IPv6 brackets or a trailing dot. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** Why the filters refuse the URL, judged from the URL alone (an IP literal's address included). */
function filterRefusal(url: URL, filters: WebDownloadFilters): string | undefined {
  const scheme = url.protocol.replace(/:$/, '');
  if (!passes(filters.schemes, scheme)) return `scheme ${scheme} is not allowed`;
  const host = hostOf(url);
  if (host === '' || !passes(filters.hosts, host)) return `host ${host} is not allowed`;
  // The effective port: the scheme's default when the URL names none.
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
  if (port === undefined || !passes(filters.ports, port)) return `port ${port} is not allowed`;
  return isIP(host) ? filters.addresses.refusal(host) : undefined;
}

/** The URI parsed, or 400 unless the operator's filters allow it (as Glance's validate_import_uri). */
export function checkWebDownloadUri(uri: string, config: ImageServiceConfig): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw badRequest(`URI for web-download does not pass filtering: ${uri} (not a valid URI)`);
  }
  const why = filterRefusal(url, config.webDownload);
  if (why !== undefined) throw badRequest(`URI for web-download does not pass filtering: ${uri} (${why})`);
  return url;
}

/** Resolves the URL's host once; every address must be allowed, and these are the ones connected to. */
async function resolveAllowed(url: URL, filters: WebDownloadFilters): Promise<LookupAddress[]> {
  const host = hostOf(url);
  const literal = isIP(host);
  if (literal !== 0) return [{ address: host, family: literal }];
  let answers: LookupAddress[];
  try {
    answers = await lookup(host, { all: true, verbatim: true });
  } catch (err) {
    throw new WebDownloadRefused(`host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (answers.length === 0) throw new WebDownloadRefused(`host ${host} does not resolve`);
  for (const answer of answers) {
    const why = filters.addresses.refusal(answer.address);
    if (why !== undefined) throw new WebDownloadRefused(`host ${host} resolves to ${answer.address}: ${why}`);
  }
  return answers;
}

/** A dispatcher whose connections go to `addresses` only, whatever DNS would answer by then. */
function pinnedAgent(addresses: LookupAddress[], timeout_ms: number): Agent {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    // Node asks for every address when it may try several (autoSelectFamily), else for one.
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  return new Agent({ connect: { lookup: pinned }, headersTimeout: timeout_ms, bodyTimeout: timeout_ms });
}

/** One GET of one hop, through a dispatcher pinned to the hop's checked addresses. */
async function get(url: URL, config: ImageServiceConfig, signal: AbortSignal): Promise<{ res: Dispatcher.ResponseData; agent: Agent }> {
  const addresses = await resolveAllowed(url, config.webDownload);
  const agent = pinnedAgent(addresses, config.web_download_timeout_ms);
  try {
    const res = await request(url, { method: 'GET', signal, dispatcher: agent });
    return { res, agent };
  } catch (err) {
    await agent.destroy();
    throw err;
  }
}

export interface WebSource {
  body: Readable;
  length?: number;
}

/** Opens the URI for reading (following redirects the filters allow); throws unless it answers 200. */
export async function openWebDownload(uri: string, config: ImageServiceConfig, signal: AbortSignal): Promise<WebSource> {
  let url = checkWebDownloadUri(uri, config);
  for (let hop = 0; ; hop++) {
    const { res, agent } = await get(url, config, signal);
    const release = () => void agent.close().catch(() => undefined);
    // undici's body emits an abort error when it is destroyed unread; whoever reads it sees
    // its errors through the read itself, so this only keeps an abort after the reader has
    // stopped (the import failed) from becoming an uncaught exception.
    res.body.on('error', () => undefined);
    try {
      if (REDIRECT_STATUSES.has(res.statusCode) && res.headers.location !== undefined) {
        // Refusals first: the catch below releases this hop's connection, once.
        if (hop >= MAX_REDIRECTS) throw new Error(`web-download of ${uri}: more than ${MAX_REDIRECTS} redirects`);
        const next = checkWebDownloadUri(new URL(String(res.headers.location), url).toString(), config);
        await res.body.dump();
        release();
        url = next;
        continue;
      }
      if (res.statusCode !== 200) throw new Error(`web-download of ${url} answered ${res.statusCode}`);
      const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      if (length !== undefined && length > config.image_size_cap) {
        throw new Error(`web-download of ${url}: ${length} bytes is over the image size cap (${config.image_size_cap})`);
      }
      res.body.once('close', release);
      return { body: res.body, ...(length !== undefined && Number.isSafeInteger(length) ? { length } : {}) };
    } catch (err) {
      await res.body.dump().catch(() => undefined);
      release();
      throw err;
    }
  }
}
