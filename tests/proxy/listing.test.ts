// Account and container listings: the three formats (by ?format= and by Accept), every
// listing parameter, the stats headers, and the limit on limit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, TestCluster } from './harness.js';

let cluster: TestCluster;
let s: Session;

const OBJECTS = ['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'c.txt', 'd.txt'];
const names = (text: string) => (JSON.parse(text) as { name?: string; subdir?: string }[]).map((i) => i.name ?? `subdir:${i.subdir}`);

before(async () => {
  cluster = await TestCluster.start();
  s = await Session.login(cluster);
  for (const c of ['alpha', 'beta', 'gamma']) assert.equal((await s.request('PUT', `/${c}`)).status, 201);
  for (const o of OBJECTS) {
    assert.equal((await s.request('PUT', `/alpha/${o}`, { body: `body of ${o}`, headers: { 'content-type': 'text/plain' } })).status, 201);
  }
  await s.request('PUT', '/beta/only', { body: '12345' });
});

after(() => cluster?.stop());

describe('container listings', () => {
  test('plain text by default: one name per line, with the stats headers', async () => {
    const res = await s.request('GET', '/alpha');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.text, OBJECTS.map((o) => `${o}\n`).join(''));
    assert.equal(res.headers.get('x-container-object-count'), String(OBJECTS.length));
    const bytes = OBJECTS.reduce((sum, o) => sum + `body of ${o}`.length, 0);
    assert.equal(res.headers.get('x-container-bytes-used'), String(bytes));
  });

  test('JSON rows carry name, hash, bytes, content_type and last_modified', async () => {
    const res = await s.request('GET', '/alpha?format=json');
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    const rows = JSON.parse(res.text) as Record<string, unknown>[];
    assert.equal(rows.length, OBJECTS.length);
    const first = rows[0]!;
    assert.equal(first.name, 'a.txt');
    assert.equal(first.bytes, 'body of a.txt'.length);
    assert.equal(first.content_type, 'text/plain');
    assert.match(String(first.hash), /^[0-9a-f]{32}$/);
    assert.match(String(first.last_modified), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  });

  test('XML with ?format=xml, and each format by Accept header', async () => {
    const xml = await s.request('GET', '/alpha?format=xml&limit=1');
    assert.equal(xml.headers.get('content-type'), 'application/xml; charset=utf-8');
    assert.match(xml.text, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<container name="alpha"><object><name>a\.txt<\/name><hash>[0-9a-f]{32}<\/hash><bytes>13<\/bytes><content_type>text\/plain<\/content_type><last_modified>[^<]+<\/last_modified><\/object><\/container>$/);
    const byAccept = async (accept: string) => (await s.request('GET', '/alpha', { headers: { accept } })).headers.get('content-type');
    assert.equal(await byAccept('application/json'), 'application/json; charset=utf-8');
    // Swift answers in the media type the client named: text/xml stays text/xml.
    assert.equal(await byAccept('text/xml'), 'text/xml; charset=utf-8');
    assert.equal(await byAccept('application/xml;q=0.5, application/json;q=0.9'), 'application/json; charset=utf-8');
    assert.equal(await byAccept('*/*'), 'text/plain; charset=utf-8');
    assert.equal((await s.request('GET', '/alpha', { headers: { accept: 'image/png' } })).status, 406);
    const formatWins = await s.request('GET', '/alpha?format=json', { headers: { accept: 'application/xml' } });
    assert.equal(formatWins.headers.get('content-type'), 'application/json; charset=utf-8');
  });

  test('limit, marker, end_marker, prefix and reverse', async () => {
    const list = async (query: string) => names((await s.request('GET', `/alpha?format=json&${query}`)).text);
    assert.deepEqual(await list('limit=2'), ['a.txt', 'b/1.txt']);
    assert.deepEqual(await list('marker=b/2.txt'), ['b/c/3.txt', 'c.txt', 'd.txt']);
    assert.deepEqual(await list('end_marker=b/2.txt'), ['a.txt', 'b/1.txt']);
    assert.deepEqual(await list('marker=a.txt&end_marker=c.txt'), ['b/1.txt', 'b/2.txt', 'b/c/3.txt']);
    assert.deepEqual(await list('prefix=b/'), ['b/1.txt', 'b/2.txt', 'b/c/3.txt']);
    assert.deepEqual(await list('reverse=true&limit=2'), ['d.txt', 'c.txt']);
  });

  test('delimiter rolls names up into subdirs, in every format', async () => {
    assert.deepEqual(names((await s.request('GET', '/alpha?format=json&delimiter=/')).text), [
      'a.txt',
      'subdir:b/',
      'c.txt',
      'd.txt',
    ]);
    assert.deepEqual(names((await s.request('GET', '/alpha?format=json&delimiter=/&prefix=b/')).text), [
      'b/1.txt',
      'b/2.txt',
      'subdir:b/c/',
    ]);
    assert.equal((await s.request('GET', '/alpha?delimiter=/')).text, 'a.txt\nb/\nc.txt\nd.txt\n');
    const xml = (await s.request('GET', '/alpha?format=xml&delimiter=/&prefix=b/')).text;
    assert.match(xml, /<subdir name="b\/c\/"><name>b\/c\/<\/name><\/subdir>/);
    // Swift >= 2.23 takes delimiters of several characters.
    assert.equal((await s.request('GET', '/alpha?delimiter=b/')).text, 'a.txt\nb/\nc.txt\nd.txt\n');
  });

  test('limit above 10000 is 412; an empty container is 204 in plain text and [] in JSON', async () => {
    const tooMany = await s.request('GET', '/alpha?limit=10001');
    assert.equal(tooMany.status, 412);
    assert.match(tooMany.text, /Maximum limit is 10000/);
    assert.equal((await s.request('GET', '/alpha?limit=10000')).status, 200);
    const empty = await s.request('GET', '/gamma');
    assert.equal(empty.status, 204);
    assert.equal(empty.text, '');
    const emptyJson = await s.request('GET', '/gamma?format=json');
    assert.equal(emptyJson.status, 200);
    assert.equal(emptyJson.text, '[]');
    assert.equal((await s.request('GET', '/gamma?format=xml')).text, '<?xml version="1.0" encoding="UTF-8"?>\n<container name="gamma" />');
  });

  test('XML escapes names', async () => {
    await s.request('PUT', '/beta/%3Ctag%3E%20%26%20%22q%22', { body: 'x' });
    const xml = (await s.request('GET', '/beta?format=xml&prefix=%3C')).text;
    // ElementTree escapes &, < and > in text; quotes stay as they are.
    assert.match(xml, /<name>&lt;tag&gt; &amp; "q"<\/name>/);
  });
});

describe('account listings', () => {
  test('containers with counts and bytes, in every format, with the account stats', async () => {
    const plain = await s.request('GET', '');
    assert.equal(plain.status, 200);
    assert.equal(plain.text, 'alpha\nbeta\ngamma\n');
    assert.equal(plain.headers.get('x-account-container-count'), '3');
    const rows = JSON.parse((await s.request('GET', '?format=json')).text) as { name: string; count: number; bytes: number }[];
    const beta = rows.find((r) => r.name === 'beta');
    assert.ok(beta && beta.count >= 1 && beta.bytes >= 5, JSON.stringify(rows));
    const xml = (await s.request('GET', '?format=xml&limit=1')).text;
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<account name="AUTH_test">\n<container><name>alpha<\/name><count>\d+<\/count><bytes>\d+<\/bytes><last_modified>[^<]+<\/last_modified><\/container>\n<\/account>$/);
  });

  test('limit, marker, end_marker, prefix, reverse; limit above 10000 is 412', async () => {
    const list = async (query: string) => names((await s.request('GET', `?format=json&${query}`)).text);
    assert.deepEqual(await list('limit=1'), ['alpha']);
    assert.deepEqual(await list('marker=alpha'), ['beta', 'gamma']);
    assert.deepEqual(await list('end_marker=gamma'), ['alpha', 'beta']);
    assert.deepEqual(await list('prefix=g'), ['gamma']);
    assert.deepEqual(await list('reverse=on'), ['gamma', 'beta', 'alpha']);
    assert.equal((await s.request('GET', '?limit=10001')).status, 412);
  });
});
