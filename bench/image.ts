// `npm run bench:image`: the image service's upload and download throughput for one large
// image (1 GiB by default) and its peak memory, side by side with the object store's own
// throughput for the same bytes stored the same way (a static large object of segments
// streamed one after another, then read back), in the same run, against the local cluster
// (`npm start`), with the same overlap of segments (the next one streams while up to
// segment_concurrency - 1 earlier ones await their answer). Reports MB/s, the ratios
// (target: at least 80%) and the image service's RSS (target: under 200 MB, nothing
// buffered whole). Where Debian's Glance is installed (glance-common), the same image goes
// through it too (file store, bench/glance-reference.ts), side by side.
//
//   node dist/bench/image.js [--data DIR] [--size-mib 1024] [--segment-mib N] [--json FILE]
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { glanceUnavailable, startGlanceReference } from './glance-reference.js';
import { randomChunks } from './swift-api/random-body.js';

const MB = 1e6;
const MiB = 1024 * 1024;
const TARGET_RATIO = 0.8;
const TARGET_RSS_MB = 200;
const SAMPLE_MS = 50;
const TIMEOUT_MS = 10 * 60_000;

const log = (msg: string) => process.stderr.write(`bench:image: ${msg}\n`);
const agent = new Agent({ headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });

interface ImageRun {
  upload: Figure;
  download: Figure;
  uploadRssMb: number;
  downloadRssMb: number;
}

interface Figure {
  name: string;
  bytes: number;
  seconds: number;
  mbPerS: number;
}

function openrc(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dataDir, 'openrc'), 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'");
  }
  return env;
}

async function login(env: Record<string, string>): Promise<{ token: string; storageUrl: string; imageUrl: string }> {
  const res = await request(`${env.OS_AUTH_URL}/auth/tokens`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, domain: { name: env.OS_USER_DOMAIN_NAME ?? 'Default' }, password: env.OS_PASSWORD } } },
        scope: { project: { name: env.OS_PROJECT_NAME, domain: { name: env.OS_PROJECT_DOMAIN_NAME ?? 'Default' } } },
      },
    }),
  });
  if (res.statusCode !== 201) throw new Error(`login as ${env.OS_USERNAME} answered ${res.statusCode}`);
  const body = (await res.body.json()) as { token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } };
  const endpoint = (type: string) => body.token.catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public')?.url;
  const storageUrl = endpoint('object-store');
  const imageUrl = endpoint('image');
  if (!storageUrl || !imageUrl) throw new Error('the catalog lacks an object-store or image endpoint');
  return { token: String(res.headers['x-subject-token']), storageUrl, imageUrl: imageUrl.replace(/\/+$/, '') };
}

/** The image service's pid: the node process running image-service/main.js with this cluster's config. */
function imageServicePid(dataDir: string): number | undefined {
  const config = join(dataDir, 'stowage.json');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((a) => a.endsWith('image-service/main.js')) && cmdline.includes(config)) return Number(entry);
    } catch {
      // gone, or not ours
    }
  }
  return undefined;
}

/** Samples the resident memory of some processes (summed) while `work` runs; resolves with the work's result and the peak in MB. */
async function withRss<T>(pids: () => number[], work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = 0;
  const sample = () => {
    let kb = 0;
    for (const pid of pids()) {
      try {
        kb += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // the process ended
      }
    }
    peak = Math.max(peak, (kb * 1024) / MB);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  try {
    return { result: await work(), peakMb: peak };
  } finally {
    clearInterval(timer);
    sample();
  }
}

async function timed(name: string, bytes: number, work: () => Promise<void>): Promise<Figure> {
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const figure = { name, bytes, seconds, mbPerS: bytes / MB / seconds };
  log(`${name}: ${figure.mbPerS.toFixed(1)} MB/s (${seconds.toFixed(1)} s)`);
  return figure;
}

/** Bytes [from, to) of the pseudo-random body, as a stream. */
function bodyStream(sizeBytes: number, seed: number): Readable {
  return Readable.from(randomChunks(sizeBytes, seed));
}

async function check(res: { statusCode: number; body: { text(): Promise<string> } }, expected: number[], what: string): Promise<void> {
  const text = await res.body.text();
  if (!expected.includes(res.statusCode)) throw new Error(`${what} answered ${res.statusCode}: ${text.slice(0, 300)}`);
}

/** Reads a response body to the end; returns its MD5 and length. */
async function drain(body: AsyncIterable<Buffer>): Promise<{ md5: string; bytes: number }> {
  const hash = createHash('md5');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { md5: hash.digest('hex'), bytes };
}

/** The object store on its own: the same bytes as an SLO of segments streamed one after another. */
async function objectStoreRun(storageUrl: string, token: string, size: number, segment: number, concurrency: number, seed: number, md5: string): Promise<[Figure, Figure]> {
  const container = `${storageUrl}/bench-image-baseline`;
  const auth = { 'x-auth-token': token };
  await check(await request(container, { method: 'PUT', headers: auth, dispatcher: agent }), [201, 202], 'container PUT');
  const chunks = randomChunks(size, seed);
  const manifest: { path: string; etag: string; size_bytes: number }[] = [];
  const upload = await timed('object store: SLO upload', size, async () => {
    let pending: Buffer | undefined;
    // As the image service does: the next segment streams while earlier ones await their answer.
    const inflight: Promise<void>[] = [];
    for (let n = 0, left = size; left > 0; n++) {
      while (inflight.length > 0 && inflight.length >= concurrency - 1) await inflight.shift();
      const length = Math.min(segment, left);
      const name = `big/${String(n).padStart(8, '0')}`;
      // One segment's worth of the same stream.
      const piece = async function* () {
        let need = length;
        while (need > 0) {
          const chunk = pending ?? (chunks.next().value as Buffer);
          pending = undefined;
          if (chunk.length > need) {
            pending = chunk.subarray(need);
            yield chunk.subarray(0, need);
            need = 0;
          } else {
            yield chunk;
            need -= chunk.length;
          }
        }
      };
      const body = Readable.from(piece());
      const entry = { path: `/bench-image-baseline/${name}`, etag: '', size_bytes: length };
      manifest.push(entry);
      const put = request(`${container}/${name}`, { method: 'PUT', headers: { ...auth, 'content-length': String(length) }, body, dispatcher: agent }).then(async (res) => {
        await check(res, [201], `segment ${name}`);
        entry.etag = String(res.headers.etag).replace(/"/g, '');
      });
      put.catch(() => undefined);
      // The segment's bytes are all sent before the next one is cut from the stream.
      await new Promise<void>((resolve, reject) => {
        body.once('end', resolve);
        body.once('error', reject);
        put.catch(reject);
      });
      inflight.push(put);
      left -= length;
    }
    await Promise.all(inflight);
    const res = await request(`${container}/big?multipart-manifest=put`, { method: 'PUT', headers: auth, body: JSON.stringify(manifest), dispatcher: agent });
    await check(res, [201], 'manifest PUT');
  });
  const download = await timed('object store: SLO download', size, async () => {
    const res = await request(`${container}/big`, { headers: auth, dispatcher: agent });
    if (res.statusCode !== 200) throw new Error(`SLO GET answered ${res.statusCode}`);
    const got = await drain(res.body);
    if (got.md5 !== md5) throw new Error('the SLO read back differs from what was written');
  });
  await check(await request(`${container}/big?multipart-manifest=delete`, { method: 'DELETE', headers: auth, dispatcher: agent }), [200], 'SLO delete');
  await check(await request(container, { method: 'DELETE', headers: auth, dispatcher: agent }), [204, 404, 409], 'container DELETE');
  return [upload, download];
}

async function imageServiceRun(label: string, imageUrl: string, token: string, size: number, seed: number, md5: string, pids: () => number[]): Promise<ImageRun> {
  const auth = { 'x-auth-token': token };
  const created = await request(`${imageUrl}/v2/images`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-image', disk_format: 'raw', container_format: 'bare', visibility: 'private' }),
    dispatcher: agent,
  });
  if (created.statusCode !== 201) throw new Error(`image create answered ${created.statusCode}: ${await created.body.text()}`);
  const id = ((await created.body.json()) as { id: string }).id;
  try {
    const up = await withRss(pids, () =>
      timed(`${label}: PUT /file`, size, async () => {
        const res = await request(`${imageUrl}/v2/images/${id}/file`, {
          method: 'PUT',
          headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(size) },
          body: bodyStream(size, seed),
          dispatcher: agent,
        });
        await check(res, [204], 'image upload');
      }),
    );
    const image = (await (await request(`${imageUrl}/v2/images/${id}`, { headers: auth, dispatcher: agent })).body.json()) as { checksum: string; status: string };
    if (image.status !== 'active' || image.checksum !== md5) throw new Error(`the image is ${image.status} with checksum ${image.checksum}, expected active ${md5}`);
    const down = await withRss(pids, () =>
      timed(`${label}: GET /file`, size, async () => {
        const res = await request(`${imageUrl}/v2/images/${id}/file`, { headers: auth, dispatcher: agent });
        if (res.statusCode !== 200) throw new Error(`image download answered ${res.statusCode}`);
        const got = await drain(res.body);
        if (got.md5 !== md5 || res.headers['content-md5'] !== md5) throw new Error('the image read back differs from what was written');
      }),
    );
    return { upload: up.result, download: down.result, uploadRssMb: up.peakMb, downloadRssMb: down.peakMb };
  } finally {
    await check(await request(`${imageUrl}/v2/images/${id}`, { method: 'DELETE', headers: auth, dispatcher: agent }), [204, 404], 'image delete');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { data: { type: 'string' }, 'size-mib': { type: 'string' }, 'segment-mib': { type: 'string' }, json: { type: 'string' } },
  });
  const dataDir = resolve(values.data ?? process.env.STOWAGE_DATA ?? 'data');
  const size = Number(values['size-mib'] ?? 1024) * MiB;
  const config = JSON.parse(readFileSync(join(dataDir, 'stowage.json'), 'utf8')) as { image_service?: { segment_size_bytes?: number; segment_concurrency?: number } };
  const concurrency = Number(process.env.STOWAGE_IMAGE_SERVICE_SEGMENT_CONCURRENCY ?? config.image_service?.segment_concurrency ?? 3);
  const segment = values['segment-mib'] ? Number(values['segment-mib']) * MiB : Number(process.env.STOWAGE_IMAGE_SERVICE_SEGMENT_SIZE_BYTES ?? config.image_service?.segment_size_bytes ?? 200 * MiB);
  let session;
  try {
    session = await login(openrc(dataDir));
  } catch (err) {
    log(`cannot log in to the cluster of ${dataDir} (is \`npm start\` running?): ${(err as Error).message}`);
    process.exit(2);
  }
  const pid = imageServicePid(dataDir);
  if (pid === undefined) log('the image service process was not found in /proc: no RSS figures');
  const seed = 7;
  log(`${size / MiB} MiB, segments of ${segment / MiB} MiB; computing the body's MD5`);
  const hash = createHash('md5');
  for (const chunk of randomChunks(size, seed)) hash.update(chunk);
  const md5 = hash.digest('hex');

  const [storeUp, storeDown] = await objectStoreRun(session.storageUrl, session.token, size, segment, concurrency, seed, md5);
  const image = await imageServiceRun('image service', session.imageUrl, session.token, size, seed, md5, () => (pid === undefined ? [] : [pid]));
  let glance: ImageRun | string = glanceUnavailable() ?? '';
  if (glance === '') {
    log("Debian's Glance (file store): starting glance-api");
    const ref = await startGlanceReference();
    try {
      glance = await imageServiceRun('Debian Glance (file store)', ref.url, 'unused', size, seed, md5, ref.pids);
    } finally {
      await ref.stop();
    }
  }

  const rows = [
    ['upload', storeUp.mbPerS, image.upload.mbPerS, image.uploadRssMb],
    ['download', storeDown.mbPerS, image.download.mbPerS, image.downloadRssMb],
  ] as const;
  console.log(`\nImage of ${size / MiB} MiB (segments of ${segment / MiB} MiB), local cluster at ${dataDir}`);
  console.log('phase     object store MB/s  image service MB/s  ratio  target  image-service peak RSS MB (target < 200)');
  for (const [phase, store, img, rss] of rows) {
    const ratio = img / store;
    console.log(
      `${phase.padEnd(9)} ${store.toFixed(1).padStart(17)}  ${img.toFixed(1).padStart(18)}  ${ratio.toFixed(2).padStart(5)}  ${ratio >= TARGET_RATIO ? '  ok  ' : ' MISS '}  ${rss.toFixed(0).padStart(6)} ${rss < TARGET_RSS_MB ? 'ok' : 'MISS'}`,
    );
  }
  if (typeof glance === 'string') console.log(`Debian Glance: not measured: ${glance}`);
  else {
    console.log('\nDebian Glance 25 (glance-api, 1 worker, file store on the same disk, no auth), same image:');
    console.log('phase     Glance MB/s  image service MB/s  Glance peak RSS MB  image service peak RSS MB');
    for (const [phase, g, img, grss, irss] of [
      ['upload', glance.upload.mbPerS, image.upload.mbPerS, glance.uploadRssMb, image.uploadRssMb],
      ['download', glance.download.mbPerS, image.download.mbPerS, glance.downloadRssMb, image.downloadRssMb],
    ] as const) {
      console.log(`${phase.padEnd(9)} ${g.toFixed(1).padStart(11)}  ${img.toFixed(1).padStart(18)}  ${grss.toFixed(0).padStart(18)}  ${irss.toFixed(0).padStart(25)}`);
    }
  }
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ sizeBytes: size, segmentBytes: segment, objectStore: [storeUp, storeDown], imageService: image, glance }, null, 2)}\n`);
  }
  await agent.close();
}

main().catch((err) => {
  log((err as Error).message);
  process.exit(1);
});
