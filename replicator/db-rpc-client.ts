// The client side of the databases' replication verb (storage-node/db/replication-rpc.ts):
// `POST /<device>/<partition>/<account>[/<container>]` with `X-Backend-Replicate: <op>`
// and a JSON body, over undici with keep-alive connections and a timeout per request.
import { Agent, request } from 'undici';
import { quoteName } from '../common/paths.js';

export interface DbAddress {
  /** "ip:port" of the container or account server. */
  host: string;
  device: string;
  partition: number | string;
  /** Names of the database: [account] or [account, container]. */
  names: readonly string[];
}

/** A peer answered something other than 2xx (404 means "no such database there"). */
export class RpcStatusError extends Error {
  readonly code = 'ERR_DB_RPC_STATUS';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class DbRpcClient {
  private readonly agent: Agent;

  constructor(private readonly timeoutMs = 30_000) {
    this.agent = new Agent({ connections: 16, keepAliveTimeout: 10_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  /** Calls `op`; the parsed JSON answer (undefined for 204). Throws RpcStatusError on non-2xx. */
  async call<T>(address: DbAddress, op: string, body: object = {}): Promise<T> {
    const path = `/${quoteName(address.device)}/${address.partition}/${address.names.map(quoteName).join('/')}`;
    const res = await request(`http://${address.host}${path}`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { 'x-backend-replicate': op, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new RpcStatusError(res.statusCode, `${op} ${address.host}${path}: ${res.statusCode} ${text.slice(0, 200)}`);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
