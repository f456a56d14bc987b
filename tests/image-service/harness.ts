// The image service as a real process for tests, in front of a real object store (the
// proxy harness's TestCluster). Two ways to authenticate: "noauth" (the caller's project
// and roles in trusted X-Project-Id / X-Roles headers; the service stores bytes as a
// tempauth user) for API tests, and "keystone" with a real identity process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, TestCluster } from '../proxy/harness.js';

const IMAGE_SERVICE = fileURLToPath(new URL('../../image-service/main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
export const MiB = 1024 * 1024;

export interface Caller {
  project?: string;
  roles?: string[];
  token?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  json: any;
}

export class RunningImageService {
  private child: Child | null = null;
  /** The log tail of the last process, once it is stopped. */
  private lastLogs = '';
  url = '';

  constructor(
    readonly dir: string,
    readonly configPath: string,
  ) {}

  get dataDir(): string {
    return join(this.dir, 'image-service');
  }

  async start(): Promise<void> {
    const port = this.url === '' ? '0' : new URL(this.url).port;
    this.child = await Child.spawn('image-service', IMAGE_SERVICE, ['--config', this.configPath, '--bind-ip', '127.0.0.1', '--port', port], READY_TIMEOUT_MS);
    this.url = String(this.child.ready.url);
  }

  get pid(): number | undefined {
    return this.child?.process.pid;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    this.child = null;
    if (!child) return null;
    const code = await child.stop(signal);
    this.lastLogs = child.logTail;
    return code;
  }

  get logs(): string {
    return this.child?.logTail ?? this.lastLogs;
  }

  /** A Glance API call as `caller` (noauth headers, or a token). */
  async request(method: string, path: string, options: { caller?: Caller; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const caller = options.caller ?? {};
    if (caller.token) headers['x-auth-token'] = caller.token;
    if (caller.project) headers['x-project-id'] = caller.project;
    if (caller.roles) headers['x-roles'] = caller.roles.join(',');
    let body: RequestInit['body'];
    let duplex: 'half' | undefined;
    if (options.body instanceof ReadableStream) {
      body = options.body;
      duplex = 'half';
    } else if (Buffer.isBuffer(options.body) || typeof options.body === 'string') {
      body = options.body;
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), ...(duplex ? { duplex } : {}) } as RequestInit);
    const buf = Buffer.from(await res.arrayBuffer());
    const text = buf.toString('utf8');
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, body: buf, text, json };
  }
}

export interface StackOptions {
  /** Keys of the image_service config section. */
  imageService?: Record<string, unknown>;
  /** The identity to use ("keystone" auth); without it, noauth + tempauth. */
  identity?: { v3: string; servicePassword: string };
  nodes?: number;
}

export interface ImageStack {
  cluster: TestCluster;
  service: RunningImageService;
  stop(): Promise<void>;
}

/** An object store (TestCluster) and an image service in front of it, with a fresh data directory. */
export async function startImageStack(options: StackOptions = {}): Promise<ImageStack> {
  const cluster = await TestCluster.start({
    nodes: options.nodes ?? 4,
    ...(options.identity ? { proxy: { identity_url: options.identity.v3 } } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'stowage-image-test-'));
  const section: Record<string, unknown> = options.identity
    ? { auth_strategy: 'keystone', identity_url: options.identity.v3, swift_auth: 'keystone', service_password: options.identity.servicePassword }
    : { auth_strategy: 'noauth', swift_auth: 'tempauth', tempauth_url: `${cluster.url}/auth/v1.0`, tempauth_user: 'test:tester', tempauth_key: 'testing' };
  writeFileSync(
    join(dir, 'stowage.json'),
    JSON.stringify({ image_service: { log_level: 'info', segment_size_bytes: MiB, ...section, ...options.imageService } }),
  );
  const service = new RunningImageService(dir, join(dir, 'stowage.json'));
  try {
    await service.start();
  } catch (err) {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    cluster,
    service,
    async stop() {
      await service.stop();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A ReadableStream of `total` bytes from `make(i)` chunks; `cutAfter` errors the stream after that many bytes. */
export function byteStream(total: number, chunk: Buffer, cutAfter?: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (cutAfter !== undefined && sent >= cutAfter) {
        controller.error(new Error('client cut the upload'));
        return;
      }
      if (sent >= total) {
        controller.close();
        return;
      }
      const n = Math.min(chunk.length, total - sent);
      controller.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
}
