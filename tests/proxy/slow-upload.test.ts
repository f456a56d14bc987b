// An honest upload on a slow link takes longer than Node's default whole-request timeout
// (300 s): it must still succeed, because the proxy bounds a body by the silence between
// its chunks (client_timeout_ms), not by its total time. This test is slow on purpose —
// about six minutes of mostly waiting — and cheap: a few bytes every ten seconds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, TestCluster } from './harness.js';

const UPLOAD_S = 370;
const GAP_S = 10;
const CHUNK = Buffer.from('0123456789abcdef'.repeat(64));

let cluster: TestCluster;
let s: Session;

before(async () => {
  cluster = await TestCluster.start({ nodes: 3 });
  s = await Session.login(cluster);
  assert.equal((await s.request('PUT', '/slow')).status, 201);
});

after(() => cluster?.stop());

test('a six-minute upload that never pauses longer than client_timeout_ms is stored whole', { timeout: (UPLOAD_S + 120) * 1000 }, async () => {
  const chunks = Math.ceil(UPLOAD_S / GAP_S) + 1;
  const body = Buffer.concat(Array.from({ length: chunks }, () => CHUNK));
  const { hostname, port, pathname } = new URL(`${cluster.url}/v1/${s.account}/slow/trickled`);
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, path: pathname, method: 'PUT', headers: { 'x-auth-token': s.token, 'content-length': body.length } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    void (async () => {
      for (let i = 0; i < chunks; i++) {
        if (i > 0) await sleep(GAP_S * 1000);
        req.write(CHUNK);
      }
      req.end();
    })();
  });
  assert.equal(status, 201);
  const stored = await s.request('GET', '/slow/trickled');
  assert.equal(stored.status, 200);
  const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
  assert.equal(md5(stored.body), md5(body));
});
