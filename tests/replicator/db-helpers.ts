// What the database replication and expirer tests share: running a daemon once on a
// node as an operator would (bin/stowage <daemon> --once), and reading a container or
// account database straight from one storage node's backend server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestCluster } from '../proxy/harness.js';

const STOWAGE = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));

// The tests run every pass themselves; the nodes' own background loops stay off.
process.env.STOWAGE_STORAGE_DAEMON_INTERVAL = '0';

/** `stowage <daemon> --once` for storage node `index`; the figures it prints. */
export async function runOnce(cluster: TestCluster, daemon: string, index: number): Promise<Record<string, number>> {
  const node = cluster.nodes[index - 1]!;
  const args = [STOWAGE, daemon, '--once', '--config', cluster.configPath, '--devices', node.devicesDir, '--bind-ip', node.ip, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `${daemon} on node ${index} exited with ${code}:\n${stderr}`);
  const line = stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, number>;
}

/** Runs `daemon` once on every running node; the figures summed. */
export async function runEverywhere(cluster: TestCluster, daemon: string): Promise<Record<string, number>> {
  const sum: Record<string, number> = {};
  for (const node of cluster.nodes) {
    if (node.child === null) continue;
    for (const [k, v] of Object.entries(await runOnce(cluster, daemon, node.index))) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
  }
  return sum;
}

export interface BackendAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

/** GET (JSON listing) or HEAD of /<device>/<part>/<names…> on node `index`'s container or account server. */
export async function backend(
  cluster: TestCluster,
  index: number,
  kind: 'container' | 'account',
  part: number,
  names: string[],
  method: 'GET' | 'HEAD' = 'GET',
): Promise<BackendAnswer> {
  const node = cluster.nodes[index - 1]!;
  const path = names.map((n) => encodeURIComponent(n)).join('/');
  const res = await fetch(`http://${node.ip}:${node.ports[kind]}/${node.device}/${part}/${path}?format=json`, { method });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text && res.status === 200 ? JSON.parse(text) : undefined };
}
