// Account and container listings against Swift 2.30's exact behaviour (issue 15 item 4):
// delimiters of several characters, marker/end_marker/reverse together, path= and deep
// pseudo-directory trees, prefix + delimiter on accounts, the three formats byte for byte
// (Python's json.dumps, ElementTree's XML), Accept negotiation, the stats headers after
// puts, overwrites and deletes, and UTF-8 names of 3- and 4-byte characters everywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, TestCluster } from './harness.js';
import { listingParams } from '../../proxy/swift/constraints.js';
import { chooseListingFormat } from '../../proxy/swift/listing-format.js';

let cluster: TestCluster;
let s: Session;
/** A second account, holding only what the account-listing tests put there. */
let s2: Session;

const q = encodeURIComponent;
/** A header value as fetch must carry it: the UTF-8 bytes as a ByteString. */
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const fromWire = (value: string | null) => (value === null ? null : Buffer.from(value, 'latin1').toString('utf8'));

type Row = { name?: string; subdir?: string } & Record<string, unknown>;
const rowsOf = (text: string) => JSON.parse(text) as Row[];
const labels = (rows: Row[]) => rows.map((r) => (r.subdir !== undefined ? `subdir:${r.subdir}` : r.name!));

async function put(session: Session, path: string, body = 'x', headers: Record<string, string> = {}): Promise<void> {
  const res = await session.request('PUT', path, { body, headers });
  assert.ok(res.status === 201 || res.status === 202, `PUT ${path}: ${res.status} ${res.text}`);
}

/** Names (and subdir:… entries) of a JSON listing of `path` with the query `query`. */
async function list(path: string, query: string, session = s): Promise<string[]> {
  const res = await session.request('GET', `${path}?format=json${query ? `&${query}` : ''}`);
  assert.equal(res.status, 200, `${path}?${query}: ${res.text}`);
  return labels(rowsOf(res.text));
}

/** Polls until `check` holds (account stats are updated asynchronously, as in Swift); returns the last value. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 200 && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

const MULTI = ['a::b', 'a::c::d', 'a:x', 'b', 'b::', 'b::c', '日本::大阪', '日本::東京', '😀::a', '😀x'];
const BOUNDS = ['a', 'b', 'b/1', 'b/2', 'c', 'd', 'e'];
const TREE = [
  'photos/',
  'photos/2023/',
  'photos/2023/b.jpg',
  'photos/2023/jan/',
  'photos/2023/jan/a.jpg',
  'photos/2023x',
  'photos/c.jpg',
  'photos/日本/',
  'photos/日本/😀.png',
  'photos0',
  'readme',
];

before(async () => {
  cluster = await TestCluster.start();
  s = await Session.login(cluster);
  s2 = await Session.login(cluster, 'test2:tester2', 'testing2');
  for (const c of ['multi', 'bounds', 'tree', 'deep', 'empty', 'stats']) await put(s, `/${c}`, '');
  for (const name of MULTI) await put(s, `/multi/${q(name)}`);
  for (const name of BOUNDS) await put(s, `/bounds/${q(name)}`);
  for (const name of TREE) {
    const dir = name.endsWith('/');
    await put(s, `/tree/${q(name)}`, dir ? '' : 'x', dir ? { 'content-type': 'application/directory' } : {});
  }
});

after(() => cluster?.stop());

describe('delimiters of several characters (Swift >= 2.23)', () => {
  test('roll up on the whole delimiter, with prefix, marker, end_marker, reverse and limit', async () => {
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}`), ['subdir:a::', 'a:x', 'b', 'subdir:b::', 'subdir:日本::', 'subdir:😀::', '😀x']);
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}&prefix=${q('a::')}`), ['a::b', 'subdir:a::c::']);
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}&reverse=true`), ['😀x', 'subdir:😀::', 'subdir:日本::', 'subdir:b::', 'b', 'a:x', 'subdir:a::']);
    // A subdir equal to the marker is left out (a client paging with the last subdir it saw).
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}&marker=${q('a::')}`), ['a:x', 'b', 'subdir:b::', 'subdir:日本::', 'subdir:😀::', '😀x']);
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}&end_marker=${q('b::')}`), ['subdir:a::', 'a:x', 'b']);
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}&limit=2`), ['subdir:a::', 'a:x']);
    assert.deepEqual(await list('/multi', `delimiter=${q('::')}&prefix=${q('日本::')}`), ['日本::大阪', '日本::東京']);
  });

  test('delimiters of 3- and 4-byte characters', async () => {
    assert.deepEqual(await list('/multi', `delimiter=${q('本::')}`), ['a::b', 'a::c::d', 'a:x', 'b', 'b::', 'b::c', 'subdir:日本::', '😀::a', '😀x']);
    assert.deepEqual(await list('/multi', `delimiter=${q('😀')}`), [...MULTI.slice(0, 8), 'subdir:😀']);
    assert.deepEqual(await list('/multi', `delimiter=${q('😀')}&reverse=on`), ['subdir:😀', ...MULTI.slice(0, 8).reverse()]);
  });

  test('a delimiter the names do not hold changes nothing; an empty one is no delimiter', async () => {
    assert.deepEqual(await list('/multi', `delimiter=${q('/no/such/')}`), MULTI);
    assert.deepEqual(await list('/multi', 'delimiter='), MULTI);
  });

  test('plain text and XML carry the same subdirs', async () => {
    const plain = await s.request('GET', `/multi?delimiter=${q('::')}&prefix=${q('日本')}`);
    assert.equal(plain.text, '日本::\n');
    const xml = await s.request('GET', `/multi?format=xml&delimiter=${q('::')}&prefix=b`);
    const b = rowsOf((await s.request('GET', '/multi?format=json&prefix=b&limit=1')).text)[0]!;
    assert.equal(
      xml.text,
      '<?xml version="1.0" encoding="UTF-8"?>\n<container name="multi">' +
        `<object><name>b</name><hash>${b.hash}</hash><bytes>1</bytes><content_type>${b.content_type}</content_type><last_modified>${b.last_modified}</last_modified></object>` +
        '<subdir name="b::"><name>b::</name></subdir></container>',
    );
  });
});

describe('marker, end_marker, reverse and limit', () => {
  test('bounds are exclusive; with reverse, marker is the upper bound and end_marker the lower', async () => {
    assert.deepEqual(await list('/bounds', 'marker=b&end_marker=d'), ['b/1', 'b/2', 'c']);
    assert.deepEqual(await list('/bounds', 'marker=b%2F2&end_marker=d'), ['c']);
    assert.deepEqual(await list('/bounds', 'reverse=true&marker=d&end_marker=b'), ['c', 'b/2', 'b/1']);
    assert.deepEqual(await list('/bounds', 'reverse=true&marker=d'), ['c', 'b/2', 'b/1', 'b', 'a']);
    assert.deepEqual(await list('/bounds', 'reverse=true&end_marker=b%2F2'), ['e', 'd', 'c']);
    assert.deepEqual(await list('/bounds', 'marker=d&end_marker=b'), []);
    assert.deepEqual(await list('/bounds', 'marker=c&end_marker=c'), []);
    assert.deepEqual(await list('/bounds', 'reverse=true&marker=b&end_marker=d'), []);
    // A marker past every name, and one before them all.
    assert.deepEqual(await list('/bounds', 'marker=z'), []);
    assert.deepEqual(await list('/bounds', 'end_marker=0'), []);
  });

  test('together with prefix and delimiter', async () => {
    assert.deepEqual(await list('/bounds', 'delimiter=%2F&marker=a&end_marker=d'), ['b', 'subdir:b/', 'c']);
    assert.deepEqual(await list('/bounds', 'delimiter=%2F&reverse=true&marker=d&end_marker=a'), ['c', 'subdir:b/', 'b']);
    assert.deepEqual(await list('/bounds', 'delimiter=%2F&marker=b%2F'), ['c', 'd', 'e']);
    assert.deepEqual(await list('/bounds', 'prefix=b%2F&marker=a'), ['b/1', 'b/2']);
    assert.deepEqual(await list('/bounds', 'prefix=b%2F&marker=b%2F1'), ['b/2']);
    assert.deepEqual(await list('/bounds', 'prefix=b%2F&end_marker=b%2F2'), ['b/1']);
    // Reversed, end_marker is the lower bound: nothing lies above "z"; marker bounds from above.
    assert.deepEqual(await list('/bounds', 'prefix=b%2F&end_marker=z&reverse=true'), []);
    assert.deepEqual(await list('/bounds', 'prefix=b%2F&marker=z&reverse=true'), ['b/2', 'b/1']);
    assert.deepEqual(await list('/bounds', 'prefix=b%2F&marker=b%2F2&reverse=true'), ['b/1']);
    assert.deepEqual(await list('/bounds', 'prefix=b&delimiter=%2F&reverse=true&limit=1'), ['subdir:b/']);
  });

  test('limit: 0 lists nothing, a non-number or negative one is ignored, above 10000 is 412', async () => {
    const zero = await s.request('GET', '/bounds?limit=0&format=json');
    assert.equal(zero.status, 200);
    assert.equal(zero.text, '[]');
    const zeroPlain = await s.request('GET', '/bounds?limit=0');
    assert.equal(zeroPlain.status, 204);
    assert.equal(zeroPlain.text, '');
    assert.deepEqual(await list('/bounds', 'limit=abc'), BOUNDS);
    assert.deepEqual(await list('/bounds', 'limit=-1'), BOUNDS);
    assert.deepEqual(await list('/bounds', 'limit=2.5'), BOUNDS);
    assert.deepEqual(await list('/bounds', 'limit=10000'), BOUNDS);
    for (const path of ['/bounds', '']) {
      const tooMany = await s.request('GET', `${path}?limit=10001`);
      assert.equal(tooMany.status, 412);
      assert.equal(tooMany.text, 'Maximum limit is 10000');
      assert.equal(tooMany.headers.get('content-type'), 'text/html; charset=UTF-8');
    }
    assert.equal((await s.request('GET', '/bounds?limit=99999999999999999999')).status, 412);
  });
});

describe('path= (one pseudo-directory)', () => {
  test('lists what is directly in the directory, directory markers included, no subdir entries', async () => {
    const expected = ['photos/2023/', 'photos/2023x', 'photos/c.jpg', 'photos/日本/'];
    assert.deepEqual(await list('/tree', 'path=photos'), expected);
    // Trailing slashes are stripped and one put back.
    assert.deepEqual(await list('/tree', 'path=photos%2F'), expected);
    assert.deepEqual(await list('/tree', 'path=photos%2F%2F%2F'), expected);
    // path overrides prefix and delimiter.
    assert.deepEqual(await list('/tree', `path=photos&prefix=readme&delimiter=${q('.')}`), expected);
    assert.deepEqual(await list('/tree', 'path=photos%2F2023'), ['photos/2023/b.jpg', 'photos/2023/jan/']);
    assert.deepEqual(await list('/tree', 'path=photos%2F2023%2Fjan'), ['photos/2023/jan/a.jpg']);
    assert.deepEqual(await list('/tree', `path=${q('photos/日本')}`), ['photos/日本/😀.png']);
    assert.deepEqual(await list('/tree', 'path=nothing'), []);
  });

  test('path with marker, end_marker, limit and reverse', async () => {
    assert.deepEqual(await list('/tree', 'path=photos&marker=photos%2F2023x'), ['photos/c.jpg', 'photos/日本/']);
    assert.deepEqual(await list('/tree', 'path=photos&end_marker=photos%2Fc.jpg'), ['photos/2023/', 'photos/2023x']);
    assert.deepEqual(await list('/tree', 'path=photos&limit=2'), ['photos/2023/', 'photos/2023x']);
    // Swift's backend: reversed, the jump past a subtree ends just below "<dir>/", so the
    // directory marker of a directory holding more is not listed.
    assert.deepEqual(await list('/tree', 'path=photos&reverse=true'), ['photos/c.jpg', 'photos/2023x']);
  });

  test('an empty path is the top level; the jump past "photos/…" is exclusive, so "photos0" is skipped as in Swift', async () => {
    assert.deepEqual(await list('/tree', 'path='), ['photos/', 'readme']);
    const plain = await s.request('GET', '/tree?path=');
    assert.equal(plain.text, 'photos/\nreadme\n');
  });

  test('a deep pseudo-directory tree is traversable with path, following its directory markers', async () => {
    const depth = 12;
    const dirs: string[] = [];
    for (let i = 1, dir = 'deep/'; i <= depth; i++, dir += `${i % 2 ? '日本' : '😀'}${i}/`) dirs.push(dir);
    const leaves = dirs.map((dir, i) => `${dir}file-${i}.txt`);
    for (const dir of dirs) await put(s, `/deep/${q(dir)}`, '', { 'content-type': 'application/directory' });
    for (const leaf of leaves) await put(s, `/deep/${q(leaf)}`);
    const seen: string[] = [];
    const walk = async (path: string): Promise<void> => {
      for (const name of await list('/deep', `path=${q(path)}`)) {
        seen.push(name);
        if (name.endsWith('/')) await walk(name);
      }
    };
    await walk('');
    assert.deepEqual(seen.sort(), [...dirs, ...leaves].sort());
    // Each level holds its file and the next level's marker.
    assert.deepEqual(await list('/deep', `path=${q(dirs[4]!)}`), [dirs[5]!, leaves[4]!].sort());
  });
});

describe('formats, byte for byte', () => {
  const container = 'x&"<>\'日本😀';
  const objects = ['<&>"\'.txt', '日本.txt', '😀.txt'];
  before(async () => {
    await put(s, `/${q(container)}`, '');
    await put(s, `/${q(container)}/${q(objects[0]!)}`, 'a', { 'content-type': wire('text/plain; name="日本😀"') });
    await put(s, `/${q(container)}/${q(objects[1]!)}`, 'bb', { 'content-type': 'text/plain' });
    await put(s, `/${q(container)}/${q(objects[2]!)}`, 'ccc', { 'content-type': 'application/json' });
  });

  test('JSON: Python json.dumps separators, Swift field order, non-ASCII as \\u escapes (surrogate pairs)', async () => {
    const res = await s.request('GET', `/${q(container)}?format=json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.ok(/^[\x20-\x7e]*$/.test(res.text), 'the JSON body is ASCII');
    const rows = rowsOf(res.text);
    assert.deepEqual(rows.map((r) => r.name), [...objects].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    const expected = rows
      .map(
        (r) =>
          `{"bytes": ${r.bytes}, "hash": "${r.hash}", "name": ${asciiJson(r.name!)}, "content_type": ${asciiJson(String(r.content_type))}, "last_modified": "${r.last_modified}"}`,
      )
      .join(', ');
    assert.equal(res.text, `[${expected}]`);
    assert.ok(res.text.includes('"name": "\\u65e5\\u672c.txt"'));
    assert.ok(res.text.includes('"name": "\\ud83d\\ude00.txt"'));
    assert.ok(res.text.includes('"name": "<&>\\"\'.txt"'));
    assert.ok(res.text.includes('"content_type": "text/plain; name=\\"\\u65e5\\u672c\\ud83d\\ude00\\""'));
  });

  test('XML: declaration, container name attribute, ElementTree escaping, raw UTF-8', async () => {
    const rows = rowsOf((await s.request('GET', `/${q(container)}?format=json`)).text);
    const res = await s.request('GET', `/${q(container)}?format=xml`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/xml; charset=utf-8');
    const text = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const objectsXml = rows
      .map(
        (r) =>
          `<object><name>${text(r.name)}</name><hash>${r.hash}</hash><bytes>${r.bytes}</bytes>` +
          `<content_type>${text(r.content_type)}</content_type><last_modified>${r.last_modified}</last_modified></object>`,
      )
      .join('');
    assert.equal(res.text, `<?xml version="1.0" encoding="UTF-8"?>\n<container name="x&amp;&quot;&lt;&gt;'日本😀">${objectsXml}</container>`);
    assert.ok(res.text.includes('<name>&lt;&amp;&gt;"\'.txt</name>'));
    assert.ok(res.text.includes('<content_type>text/plain; name="日本😀"</content_type>'));
  });

  test('plain text: one UTF-8 name per line', async () => {
    const res = await s.request('GET', `/${q(container)}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.text, ['<&>"\'.txt', '日本.txt', '😀.txt'].map((n) => `${n}\n`).join(''));
  });

  test('UTF-8 marker, end_marker and prefix', async () => {
    assert.deepEqual(await list(`/${q(container)}`, `marker=${q('日本.txt')}`), ['😀.txt']);
    assert.deepEqual(await list(`/${q(container)}`, `end_marker=${q('😀.txt')}`), ['<&>"\'.txt', '日本.txt']);
    assert.deepEqual(await list(`/${q(container)}`, `prefix=${q('😀')}`), ['😀.txt']);
    assert.deepEqual(await list(`/${q(container)}`, `reverse=1&marker=${q('😀.txt')}&end_marker=${q('<')}`), ['日本.txt', '<&>"\'.txt']);
  });

  test('an SLO manifest is listed with its total size and slo_etag (JSON only, last)', async () => {
    await put(s, '/slo-segs', '');
    await put(s, '/slo-segs/one', 'a'.repeat(5));
    await put(s, '/slo-segs/two', 'b'.repeat(7));
    const manifest = JSON.stringify([{ path: '/slo-segs/one' }, { path: '/slo-segs/two' }]);
    await put(s, `/slo-segs/${q('大きい😀')}?multipart-manifest=put`, manifest);
    const res = await s.request('GET', `/slo-segs?format=json&prefix=${q('大')}`);
    const [row] = rowsOf(res.text);
    assert.equal(row!.bytes, 12);
    assert.match(String(row!.slo_etag), /^"[0-9a-f]{32}"$/);
    assert.deepEqual(Object.keys(row!), ['bytes', 'hash', 'name', 'content_type', 'last_modified', 'slo_etag']);
    const xml = (await s.request('GET', `/slo-segs?format=xml&prefix=${q('大')}`)).text;
    assert.match(xml, /<name>大きい😀<\/name><hash>[0-9a-f]{32}<\/hash><bytes>12<\/bytes><content_type>[^<]*<\/content_type><last_modified>[^<]+<\/last_modified><\/object><\/container>$/);
  });

  test('an empty listing: 204 in plain text, [] in JSON, a self-closed element in XML', async () => {
    const plain = await s.request('GET', '/empty');
    assert.equal(plain.status, 204);
    assert.equal(plain.text, '');
    assert.equal(plain.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(plain.headers.get('content-length'), '0');
    const json = await s.request('GET', '/empty?format=json');
    assert.equal(json.status, 200);
    assert.equal(json.text, '[]');
    const xml = await s.request('GET', '/empty?format=xml');
    assert.equal(xml.status, 200);
    assert.equal(xml.text, '<?xml version="1.0" encoding="UTF-8"?>\n<container name="empty" />');
  });

  test('HEAD answers 204 with the negotiated Content-Type', async () => {
    const head = await s.request('HEAD', '/empty?format=json');
    assert.equal(head.status, 204);
    assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(head.headers.get('content-length'), '0');
    // Swift's proxy sets Accept-Ranges on every answer it relays from a backend.
    assert.equal(head.headers.get('accept-ranges'), 'bytes');
    assert.equal((await s.request('GET', '/bounds')).headers.get('accept-ranges'), 'bytes');
    assert.equal((await s.request('GET', '')).headers.get('accept-ranges'), 'bytes');
    assert.equal((await s.request('HEAD', '/empty')).headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await s.request('HEAD', '', { headers: { accept: 'application/xml' } })).headers.get('content-type'), 'application/xml; charset=utf-8');
    assert.equal((await s.request('HEAD', '/empty', { headers: { accept: 'image/png' } })).status, 406);
  });
});

describe('format and Accept negotiation (swob best_match)', () => {
  const typeFor = async (query: string, accept?: string) => {
    const res = await s.request('GET', `/bounds${query}`, accept === undefined ? {} : { headers: { accept } });
    return res.status === 200 ? res.headers.get('content-type') : res.status;
  };

  test('?format= wins; unknown formats are plain; an empty one leaves it to Accept', async () => {
    assert.equal(await typeFor('?format=JSON'), 'application/json; charset=utf-8');
    assert.equal(await typeFor('?format=Xml'), 'application/xml; charset=utf-8');
    assert.equal(await typeFor('?format=csv'), 'text/plain; charset=utf-8');
    assert.equal(await typeFor('?format=xml', 'image/png'), 'application/xml; charset=utf-8');
    assert.equal(await typeFor('?format=', 'application/json'), 'application/json; charset=utf-8');
  });

  test('Accept: the best quality first, exact before wildcards, the server order breaking ties', async () => {
    assert.equal(await typeFor('', 'text/xml'), 'text/xml; charset=utf-8');
    assert.ok((await s.request('GET', '/bounds', { headers: { accept: 'text/xml' } })).text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<container name="bounds">'));
    assert.equal(await typeFor('', 'application/*'), 'application/json; charset=utf-8');
    assert.equal(await typeFor('', 'text/*'), 'text/plain; charset=utf-8');
    assert.equal(await typeFor('', '*/*'), 'text/plain; charset=utf-8');
    assert.equal(await typeFor('', '*/*;q=0.9, application/xml'), 'application/xml; charset=utf-8');
    assert.equal(await typeFor('', 'application/xml;q=0.5, application/json;q=0.9'), 'application/json; charset=utf-8');
    assert.equal(await typeFor('', 'text/*, application/json'), 'application/json; charset=utf-8');
    // A quality of 0 still matches in swob.
    assert.equal(await typeFor('', 'application/json;q=0'), 'application/json; charset=utf-8');
    assert.equal(await typeFor('', 'application/json; charset=utf-8; q=0.5'), 'application/json; charset=utf-8');
  });

  test('nothing acceptable is 406, a malformed Accept is 400, matching is case-sensitive', async () => {
    const none = await s.request('GET', '/bounds', { headers: { accept: 'image/png' } });
    assert.equal(none.status, 406);
    assert.equal(none.text, '<html><h1>Not Acceptable</h1><p>The resource is not available in a format acceptable to your browser.</p></html>');
    assert.equal(none.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.equal(await typeFor('', 'Application/JSON'), 406);
    const bad = await s.request('GET', '/bounds', { headers: { accept: 'garbage' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, 'Invalid Accept header');
    assert.equal(bad.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.equal(await typeFor('', 'text/plain;q=0.5;q=0.6'), 400);
    assert.equal(await typeFor('', 'text/plain;q=high'), 400);
    assert.equal(await typeFor('', 'application/json, '), 400);
  });

  test('the format is negotiated before auth, as Swift\'s listing_formats runs first', async () => {
    const anonymous = await cluster.request('GET', `/v1/${s.account}/bounds`, { headers: { accept: 'image/png' } });
    assert.equal(anonymous.status, 406);
    assert.equal((await cluster.request('GET', `/v1/${s.account}/bounds`)).status, 401);
  });

  test('query values that are not UTF-8 are 400 naming the parameter, when a listing reads them', async () => {
    for (const [query, name] of [
      ['marker=%FF', 'marker'],
      ['end_marker=%E6%97', 'end_marker'],
      ['prefix=%C0%AF', 'prefix'],
      ['delimiter=%FE', 'delimiter'],
      ['path=%FF', 'path'],
      ['limit=%FF', 'limit'],
      ['format=%FF', 'format'],
    ]) {
      const res = await s.request('GET', `/bounds?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.text, `"${name}" parameter not valid UTF-8`);
      assert.equal(res.headers.get('content-type'), 'text/plain');
    }
    assert.equal((await s.request('GET', '?prefix=%FF')).text, '"prefix" parameter not valid UTF-8');
    // A parameter no listing reads is ignored, whatever its bytes.
    assert.deepEqual(await list('/bounds', 'whatever=%FF'), BOUNDS);
  });

  test('a repeated parameter: the last value wins (swob reads dict(parse_qsl(…)))', async () => {
    assert.deepEqual(await list('/bounds', 'limit=1&limit=3'), ['a', 'b', 'b/1']);
    const res = await s.request('GET', '/bounds?format=xml&format=json&limit=1');
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  });

  test('NUL is a character in query values; a broken %-escape stays as it stands', async () => {
    assert.deepEqual(await list('/bounds', 'marker=a%00'), BOUNDS.slice(1));
    assert.deepEqual(await list('/bounds', 'end_marker=b%00'), ['a', 'b']);
    assert.deepEqual(await list('/bounds', 'prefix=%ZZ'), []);
    assert.deepEqual(await list('/bounds', 'marker=%ZZ'), BOUNDS);
    assert.deepEqual(await list('/bounds', 'prefix=b%2'), []);
  });

  test('unit: chooseListingFormat and listingParams read parameters as Swift does', () => {
    assert.equal(chooseListingFormat(new Map(), undefined), 'text/plain');
    assert.equal(chooseListingFormat(new Map(), ''), 'text/plain');
    assert.equal(chooseListingFormat(new Map([['format', '']]), 'text/xml'), 'text/xml');
    // A value whose bytes were not UTF-8 reaches the proxy with escaped bytes (U+DC80 + byte).
    const notUtf8 = 'a\udcff';
    assert.throws(() => chooseListingFormat(new Map([['format', notUtf8]]), undefined), { status: 400, message: '"format" parameter not valid UTF-8' });
    assert.throws(() => listingParams(new Map([['marker', notUtf8]]), 10_000, 'container'), { status: 400, message: '"marker" parameter not valid UTF-8' });
    // The container server reads path, prefix, delimiter, marker, end_marker, then limit.
    assert.throws(() => listingParams(new Map([['limit', '20000'], ['end_marker', notUtf8]]), 10_000, 'container'), { status: 400 });
    assert.throws(() => listingParams(new Map([['reverse', notUtf8], ['limit', '20000']]), 10_000, 'container'), { status: 412 });
    // The account server reads prefix, delimiter, reverse, limit, then marker and end_marker.
    assert.throws(() => listingParams(new Map([['limit', '20000'], ['marker', notUtf8]]), 10_000, 'account'), { status: 412 });
    assert.deepEqual(listingParams(new Map([['path', ''], ['marker', ''], ['reverse', 'yes']]), 10_000, 'container'), { limit: 10_000, path: '', reverse: true });
    assert.deepEqual(listingParams(new Map([['path', 'a'], ['limit', '0']]), 10_000, 'account'), { limit: 0, reverse: false });
  });
});

describe('account listings', () => {
  const containers = ['zz::a::1', 'zz::a::2', 'zz::b', 'zz日本::x', 'zz😀'];
  before(async () => {
    for (const c of containers) await put(s2, `/${q(c)}`, '');
    await put(s2, `/${q('zz::b')}/obj`, '12345');
  });

  test('prefix with a delimiter rolls container names up into subdirs', async () => {
    assert.deepEqual(await list('', `prefix=zz&delimiter=${q('::')}`, s2), ['subdir:zz::', 'subdir:zz日本::', 'zz😀']);
    assert.deepEqual(await list('', `prefix=${q('zz::')}&delimiter=${q('::')}`, s2), ['subdir:zz::a::', 'zz::b']);
    assert.deepEqual(await list('', `prefix=${q('zz::')}&delimiter=${q('::')}&reverse=true`, s2), ['zz::b', 'subdir:zz::a::']);
    assert.deepEqual(await list('', `delimiter=${q('::')}&marker=${q('zz::')}`, s2), ['subdir:zz日本::', 'zz😀']);
    assert.deepEqual(await list('', `delimiter=${q('::')}&end_marker=${q('zz::b')}`, s2), ['subdir:zz::']);
    assert.deepEqual(await list('', `delimiter=${q('日本')}`, s2), ['zz::a::1', 'zz::a::2', 'zz::b', 'subdir:zz日本', 'zz😀']);
    assert.deepEqual(await list('', `marker=${q('zz::a::1')}&end_marker=${q('zz😀')}`, s2), ['zz::a::2', 'zz::b', 'zz日本::x']);
    assert.deepEqual(await list('', `reverse=true&limit=2&marker=${q('zz😀')}`, s2), ['zz日本::x', 'zz::b']);
    // The account server has no path parameter: it is ignored.
    assert.deepEqual(await list('', 'path=zz', s2), containers);
  });

  test('JSON, XML and plain text, subdirs included', async () => {
    const query = `prefix=${q('zz::')}&delimiter=${q('::')}`;
    // The account learns of zz::b's object asynchronously (as in Swift): wait for it first.
    await eventually(async () => rowsOf((await s2.request('GET', `?format=json&prefix=${q('zz::b')}`)).text)[0], (r) => r?.count === 1);
    const json = await s2.request('GET', `?format=json&${query}`);
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
    const b = rowsOf(json.text)[1]!;
    assert.equal(json.text, `[{"subdir": "zz::a::"}, {"name": "zz::b", "count": ${b.count}, "bytes": ${b.bytes}, "last_modified": "${b.last_modified}"}]`);
    const xml = await s2.request('GET', `?format=xml&${query}`);
    assert.equal(
      xml.text,
      `<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_test2">\n<subdir name="zz::a::" />\n` +
        `<container><name>zz::b</name><count>${b.count}</count><bytes>${b.bytes}</bytes><last_modified>${b.last_modified}</last_modified></container>\n</account>`,
    );
    assert.equal((await s2.request('GET', `?${query}`)).text, 'zz::a::\nzz::b\n');
    const utf8 = await s2.request('GET', `?format=json&prefix=${q('zz日本')}&delimiter=${q('::')}`);
    assert.equal(utf8.text, '[{"subdir": "zz\\u65e5\\u672c::"}]');
    const emoji = await s2.request('GET', `?format=xml&prefix=${q('zz😀')}`);
    assert.match(emoji.text, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<account name="AUTH_test2">\n<container><name>zz😀<\/name><count>0<\/count><bytes>0<\/bytes><last_modified>[^<]+<\/last_modified><\/container>\n<\/account>$/);
  });

  test('an empty account listing in each format', async () => {
    const query = 'prefix=nothing';
    const plain = await s2.request('GET', `?${query}`);
    assert.equal(plain.status, 204);
    assert.equal(plain.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await s2.request('GET', `?format=json&${query}`)).text, '[]');
    const xml = await s2.request('GET', `?format=xml&${query}`);
    assert.equal(xml.status, 200);
    assert.equal(xml.text, '<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_test2">\n</account>');
  });

  test('an account nobody wrote to yet lists as empty in each format', async () => {
    const fresh = await Session.login(cluster, 'test5:tester5', 'testing5');
    assert.equal((await fresh.request('GET', '')).status, 204);
    assert.equal((await fresh.request('GET', '?format=json')).text, '[]');
    assert.equal((await fresh.request('GET', '?format=xml')).text, '<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_test5">\n</account>');
    const head = await fresh.request('HEAD', '');
    assert.equal(head.headers.get('x-account-container-count'), '0');
    // The proxy makes this answer up itself (Swift's fake account listing): no Accept-Ranges.
    assert.equal(head.headers.get('accept-ranges'), null);
  });
});

describe('stats headers match the listings', () => {
  const head = async (path: string, session = s) => {
    const res = await session.request('HEAD', path);
    return { count: res.headers.get('x-container-object-count'), bytes: res.headers.get('x-container-bytes-used') };
  };
  const totals = (rows: Row[]) => ({ count: String(rows.length), bytes: String(rows.reduce((sum, r) => sum + Number(r.bytes), 0)) });

  test('container counts after puts, an overwrite and a delete; account totals follow', async () => {
    await put(s, '/stats/日本', 'a');
    await put(s, '/stats/😀', '0123456789');
    await put(s, '/stats/three', 'x'.repeat(100));
    assert.deepEqual(await head('/stats'), { count: '3', bytes: '111' });
    await put(s, '/stats/😀', '01234');
    assert.deepEqual(await head('/stats'), { count: '3', bytes: '106' });
    assert.equal((await s.request('DELETE', '/stats/three')).status, 204);
    assert.deepEqual(await head('/stats'), { count: '2', bytes: '6' });
    const get = await s.request('GET', '/stats?format=json');
    assert.deepEqual(totals(rowsOf(get.text)), { count: '2', bytes: '6' });
    assert.equal(get.headers.get('x-container-object-count'), '2');
    assert.equal(get.headers.get('x-container-bytes-used'), '6');

    // The account's row for the container, and its totals, catch up with the container.
    const statsRow = await eventually(
      async () => rowsOf((await s.request('GET', '?format=json&prefix=stats')).text)[0],
      (row) => row?.count === 2 && row.bytes === 6,
    );
    assert.deepEqual({ name: statsRow?.name, count: statsRow?.count, bytes: statsRow?.bytes }, { name: 'stats', count: 2, bytes: 6 });
    const account = await eventually(
      async () => {
        const res = await s.request('GET', '?format=json');
        const rows = rowsOf(res.text);
        return {
          header: [res.headers.get('x-account-container-count'), res.headers.get('x-account-object-count'), res.headers.get('x-account-bytes-used')],
          listed: [String(rows.length), String(rows.reduce((n, r) => n + Number(r.count), 0)), String(rows.reduce((n, r) => n + Number(r.bytes), 0))],
        };
      },
      (v) => v.header.join() === v.listed.join(),
    );
    assert.deepEqual(account.header, account.listed);
  });

  test('a container with a UTF-8 name in the account listing and HEAD', async () => {
    const name = '統計😀';
    await put(s2, `/${q(name)}`, '');
    await put(s2, `/${q(name)}/${q('対象😀')}`, 'abc', { 'content-type': wire('text/日本') });
    assert.deepEqual(await head(`/${q(name)}`, s2), { count: '1', bytes: '3' });
    const [row] = rowsOf((await s2.request('GET', `/${q(name)}?format=json`)).text);
    assert.equal(row!.content_type, 'text/日本');
    const listed = await eventually(
      async () => rowsOf((await s2.request('GET', `?format=json&prefix=${q(name)}`)).text)[0],
      (r) => r?.count === 1,
    );
    assert.deepEqual({ name: listed?.name, count: listed?.count, bytes: listed?.bytes }, { name, count: 1, bytes: 3 });
    assert.equal(fromWire((await s2.request('HEAD', `/${q(name)}/${q('対象😀')}`)).headers.get('content-type')), 'text/日本');
  });
});

/** A string as Python's json.dumps writes it (ASCII only, \uXXXX escapes, surrogate pairs). */
function asciiJson(value: string): string {
  const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const code = value.charCodeAt(i);
    out += escapes[c] ?? (code >= 0x20 && code < 0x7f ? c : `\\u${code.toString(16).padStart(4, '0')}`);
  }
  return `${out}"`;
}
