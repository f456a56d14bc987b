// A small real cluster for proxy tests: N storage-node processes on 127.0.0.1…N (ports
// picked by the OS), rings built for them, and a proxy process in front, all on
// loopback. Tests speak HTTP to the proxy as a Swift client would, and may stop and
// start storage nodes to see how the proxy copes.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_USERS } from '../../proxy/config.js';
import { Ring, RingBuilder, writeRingFile } from '../../ring-builder/index.js';

const STORAGE_NODE = fileURLToPath(new URL('../../storage-node/main.js', import.meta.url));
const PROXY = fileURLToPath(new URL('../../proxy/main.js', import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const LOG_TAIL_BYTES = 16 * 1024;
export const HASH_SECRETS = { hashPrefix: 'test-prefix', hashSuffix: 'test-suffix' };

type ServerKind = 'object' | 'container' | 'account';

/** A child process that printed {"event":"listening",…}; keeps the tail of its stderr for failures. */
export class Child {
  private tail = '';
  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
    readonly ready: Record<string, unknown>,
  ) {}

  static async spawn(name: string, script: string, args: string[], readyTimeoutMs = READY_TIMEOUT_MS): Promise<Child> {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const keep = (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-LOG_TAIL_BYTES);
    };
    proc.stderr!.on('data', keep);
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${stderr}`)), readyTimeoutMs);
      const lines = createInterface({ input: proc.stdout! });
      lines.on('line', (line) => {
        try {
          const event = JSON.parse(line) as Record<string, unknown>;
          if (event.event === 'listening') {
            clearTimeout(timer);
            resolve(event);
          }
        } catch {
          // not an event line
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before listening:\n${stderr}`));
      });
    });
    const child = new Child(name, proc, ready);
    proc.stderr!.off('data', keep);
    child.tail = stderr;
    proc.stderr!.on('data', (chunk: Buffer) => {
      child.tail = (child.tail + chunk.toString()).slice(-LOG_TAIL_BYTES);
    });
    return child;
  }

  get logTail(): string {
    return this.tail;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return this.process.exitCode;
    this.process.kill(signal);
    const [code] = (await once(this.process, 'exit')) as [number | null];
    return code;
  }
}

export interface StorageNode {
  index: number;
  ip: string;
  device: string;
  devicesDir: string;
  ports: Record<ServerKind, number>;
  child: Child | null;
}

export interface ClusterOptions {
  nodes?: number;
  partPower?: number;
  /** Extra keys of the config file's "proxy" section. */
  proxy?: Record<string, unknown>;
  /** Keys of the config file's "storage" section; the nodes' background daemons are off unless set here. */
  storage?: Record<string, unknown>;
  /** The config's "storage_policies" (none: Policy-0 alone); an object-N ring is built for each index N > 0. */
  policies?: Array<Record<string, unknown> & { index: number }>;
}

export interface Response {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | ReadableStream<Uint8Array>;
  token?: string | null;
}

export class TestCluster {
  readonly nodes: StorageNode[] = [];
  proxy!: Child;
  private readonly dir: string;
  readonly configPath: string;
  readonly ringDir: string;

  private constructor(private readonly options: Required<ClusterOptions>) {
    this.dir = mkdtempSync(join(tmpdir(), 'stowage-proxy-test-'));
    this.configPath = join(this.dir, 'cluster.json');
    this.ringDir = join(this.dir, 'rings');
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster({
      nodes: options.nodes ?? 4,
      partPower: options.partPower ?? 6,
      proxy: options.proxy ?? {},
      storage: options.storage ?? {},
      policies: options.policies ?? [],
    });
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    mkdirSync(this.ringDir, { recursive: true });
    writeFileSync(
      this.configPath,
      JSON.stringify({
        hash_path_prefix: HASH_SECRETS.hashPrefix,
        hash_path_suffix: HASH_SECRETS.hashSuffix,
        ring_dir: this.ringDir,
        proxy: { log_level: 'warn', users: TEST_USERS, ...this.options.proxy },
        storage: { daemon_interval: 0, ...this.options.storage },
        ...(this.options.policies.length > 0 ? { storage_policies: this.options.policies } : {}),
      }),
    );
    for (let i = 1; i <= this.options.nodes; i++) this.makeNode(i);
    await Promise.all(this.nodes.map((n) => this.startNode(n.index)));
    await this.writeRings();
    this.proxy = await Child.spawn('proxy', PROXY, ['--config', this.configPath, '--bind-ip', '127.0.0.1', '--port', '0']);
  }

  private makeNode(i: number): StorageNode {
    const node: StorageNode = {
      index: i,
      ip: `127.0.0.${i}`,
      device: `sdb${i}`,
      devicesDir: join(this.dir, `node${i}`),
      ports: { object: 0, container: 0, account: 0 },
      child: null,
    };
    mkdirSync(join(node.devicesDir, node.device), { recursive: true });
    this.nodes.push(node);
    return node;
  }

  /** By ring name: account, container, object, object-1… */
  private readonly builders = new Map<string, RingBuilder>();

  private addToBuilder(builder: RingBuilder, kind: ServerKind, node: StorageNode): void {
    builder.addDevice({
      region: 1,
      zone: node.index,
      ip: node.ip,
      port: node.ports[kind],
      replication_ip: node.ip,
      replication_port: node.ports[kind],
      device: node.device,
      weight: 100,
      meta: '',
    });
  }

  /** One ring per server kind (and per storage policy N > 0: object-N): every node's device, one zone per node. */
  private async writeRings(): Promise<void> {
    const policyRings = this.options.policies.filter((p) => p.index !== 0).map((p) => ({ name: `object-${p.index}`, kind: 'object' as const }));
    const rings = [...(['account', 'container', 'object'] as const).map((kind) => ({ name: kind, kind })), ...policyRings];
    for (const [i, { name, kind }] of rings.entries()) {
      const builder = RingBuilder.create(this.options.partPower, 3, 0);
      for (const node of this.nodes) this.addToBuilder(builder, kind, node);
      // Another seed per policy ring: a placement of its own, not a copy of policy 0's.
      builder.rebalance({ seed: 1 + Math.max(0, i - 2) });
      this.builders.set(name, builder);
      await writeRingFile(join(this.ringDir, `${name}.ring`), builder.ringData());
    }
  }

  /**
   * Starts one more storage node and adds its device to the rings of `kinds`, rebalanced
   * as an operator would (the builder moves as few partitions as it can); every process
   * reloads the rewritten ring files by itself. Returns the new node's index.
   */
  async addNode(kinds: readonly ServerKind[] = ['object']): Promise<number> {
    const node = this.makeNode(this.nodes.length + 1);
    await this.startNode(node.index);
    for (const kind of kinds) {
      const builder = this.builders.get(kind)!;
      this.addToBuilder(builder, kind, node);
      builder.rebalance({ seed: 2 });
      await writeRingFile(join(this.ringDir, `${kind}.ring`), builder.ringData());
    }
    return node.index;
  }

  get url(): string {
    return String(this.proxy.ready.url);
  }

  /** Starts storage node `index` (1-based), on the ports it had before if it ran already. */
  async startNode(index: number): Promise<void> {
    const node = this.nodes[index - 1]!;
    const args = ['--bind-ip', node.ip, '--devices', node.devicesDir, '--config', this.configPath];
    for (const kind of ['object', 'container', 'account'] as const) args.push(`--${kind}-port`, String(node.ports[kind]));
    node.child = await Child.spawn(`storage-node-${index}`, STORAGE_NODE, args);
    for (const kind of ['object', 'container', 'account'] as const) {
      node.ports[kind] = Number(new URL(String(node.child.ready[kind])).port);
    }
  }

  /** Stops storage node `index`; SIGKILL plays a crash (connections reset mid-request). */
  async stopNode(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.nodes[index - 1]!;
    await node.child?.stop(signal);
    node.child = null;
  }

  /** The ring the proxy routes `kind` requests with (`object-N`: storage policy N's object ring). */
  ring(kind: ServerKind | `object-${number}`): Promise<Ring> {
    return Ring.load(join(this.ringDir, `${kind}.ring`), HASH_SECRETS);
  }

  /** The storage node (1-based index) holding a device. */
  nodeOf(device: { device: string }): number {
    return this.nodes.find((n) => n.device === device.device)!.index;
  }

  /** Another proxy process over the same rings (e.g. two writers through different proxies); the caller stops it. */
  async startExtraProxy(): Promise<{ url: string; stop: () => Promise<number | null> }> {
    const child = await Child.spawn('extra-proxy', PROXY, ['--config', this.configPath, '--bind-ip', '127.0.0.1', '--port', '0']);
    return { url: String(child.ready.url), stop: () => child.stop() };
  }

  /** A fresh proxy process (forgets error-limited nodes and cached info). */
  async restartProxy(): Promise<void> {
    await this.proxy.stop();
    this.proxy = await Child.spawn('proxy', PROXY, ['--config', this.configPath, '--bind-ip', '127.0.0.1', '--port', '0']);
  }

  async stop(): Promise<void> {
    await this.proxy?.stop();
    await Promise.all(this.nodes.map((n) => n.child?.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The proxy's and storage nodes' recent logs, for assertion messages. */
  logs(): string {
    return [this.proxy, ...this.nodes.map((n) => n.child)]
      .filter((c): c is Child => c !== null && c !== undefined)
      .map((c) => `--- ${c.name}\n${c.logTail}`)
      .join('\n');
  }

  /** Logs in through /auth/v1.0. */
  async auth(user = 'test:tester', key = 'testing'): Promise<{ token: string; storageUrl: string }> {
    const res = await fetch(`${this.url}/auth/v1.0`, { headers: { 'x-auth-user': user, 'x-auth-key': key } });
    if (res.status !== 200) throw new Error(`auth as ${user} answered ${res.status}`);
    return { token: res.headers.get('x-auth-token')!, storageUrl: res.headers.get('x-storage-url')! };
  }

  /** A request to the proxy; `path` is appended to the proxy URL as given (already encoded). */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers['x-auth-token'] = options.token;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (options.body !== undefined) {
      init.body = options.body as RequestInit['body'];
      if (options.body instanceof ReadableStream) init.duplex = 'half';
    }
    const res = await fetch(`${this.url}${path}`, init);
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
  }
}

/** A client session: one user's token and a request helper rooted at their account. */
export class Session {
  private constructor(
    readonly cluster: TestCluster,
    readonly token: string,
    readonly account: string,
  ) {}

  static async login(cluster: TestCluster, user = 'test:tester', key = 'testing'): Promise<Session> {
    const { token, storageUrl } = await cluster.auth(user, key);
    return new Session(cluster, token, new URL(storageUrl).pathname.split('/')[2]!);
  }

  /** `path` relative to /v1/<account> ("" for the account, "/c", "/c/o?x=y"). */
  request(method: string, path: string, options: Omit<RequestOptions, 'token'> = {}): Promise<Response> {
    return this.cluster.request(method, `/v1/${this.account}${path}`, { ...options, token: this.token });
  }
}
