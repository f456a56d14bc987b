// What the proxy knows about accounts and containers between requests: existence,
// ACLs and metadata from a HEAD, kept for recheck_*_existence_s (Swift keeps the same in
// memcache). Writes through this proxy drop the entry at once; other proxies' writes are
// seen when it expires. Only successful lookups are kept, and concurrent lookups of one
// name share a single HEAD. The cache holds at most `maxEntries` names, the least recently
// used dropped first, so requests naming ever new accounts cannot grow it without bound.
import { LRUCache } from 'lru-cache';
import type { Rings } from '../rings.js';
import type { Replicas } from '../replicas.js';
import { backendHeaders, fromBackend } from './headers.js';
import type { SwiftRequest } from './request.js';

export interface ResourceInfo {
  status: number;
  headers: Record<string, string>;
}

export class InfoCache {
  private readonly entries: LRUCache<string, Promise<ResourceInfo>>;

  constructor(
    private readonly rings: Rings,
    private readonly replicas: Replicas,
    private readonly ttlMs: { account: number; container: number },
    maxEntries: number,
  ) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** Names held now (expired ones included until they are looked up or pushed out). */
  get size(): number {
    return this.entries.size;
  }

  private lookup(key: string, ttlMs: number, fetch: () => Promise<ResourceInfo>): Promise<ResourceInfo> {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const info = fetch().then(
      (result) => {
        if (result.status < 200 || result.status >= 300) this.entries.delete(key);
        return result;
      },
      (err) => {
        this.entries.delete(key);
        throw err;
      },
    );
    // A TTL of 0 would mean "forever" to the LRU; recheck_*_existence_s = 0 means "never cache".
    if (ttlMs > 0) this.entries.set(key, info, { ttl: ttlMs });
    return info;
  }

  account(req: SwiftRequest, account: string): Promise<ResourceInfo> {
    return this.lookup(JSON.stringify([account]), this.ttlMs.account, async () => {
      const { part } = this.rings.account.getNodes(account);
      const target = { ring: this.rings.account, part, path: { account } };
      const res = await this.replicas.read(target, 'HEAD', backendHeaders(req), { log: req.log });
      res.body?.resume();
      return { status: res.status, headers: fromBackend(res.headers) };
    });
  }

  container(req: SwiftRequest, account: string, container: string): Promise<ResourceInfo> {
    return this.lookup(JSON.stringify([account, container]), this.ttlMs.container, async () => {
      const { part } = this.rings.container.getNodes(account, container);
      const target = { ring: this.rings.container, part, path: { account, container } };
      const res = await this.replicas.read(target, 'HEAD', backendHeaders(req), { log: req.log });
      res.body?.resume();
      return { status: res.status, headers: fromBackend(res.headers) };
    });
  }

  invalidate(account: string, container?: string): void {
    this.entries.delete(JSON.stringify(container === undefined ? [account] : [account, container]));
  }
}
