// The image service's config: the storage quota's Glance syntax and the web-download
// filters (Glance's allow-list-wins rule, and the values refused when the config is read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../common/config.js';
import { loadImageServiceConfig, parseQuota } from '../../image-service/config.js';

const load = (section: Record<string, unknown>) => loadImageServiceConfig({ image_service: { data_dir: '/tmp/unused', ...section } }, {}, {});

test('user_storage_quota: bytes or B/KB/MB/GB/TB (powers of 1024, case-sensitive); 0 is no limit', () => {
  assert.equal(parseQuota('0'), 0);
  assert.equal(parseQuota('1234'), 1234);
  assert.equal(parseQuota('512B'), 512);
  assert.equal(parseQuota('3MB'), 3 * 1024 ** 2);
  assert.equal(parseQuota('1GB'), 1024 ** 3);
  assert.equal(parseQuota('2TB'), 2 * 1024 ** 4);
  for (const bad of ['1gb', '1 GB', '-1', '1.5GB', 'GB', '1PB', '']) assert.throws(() => parseQuota(bad), ConfigError, bad);
  assert.equal(load({}).storageQuotaBytes, 0);
  assert.equal(load({ user_storage_quota: '10GB' }).storageQuotaBytes, 10 * 1024 ** 3);
});

test('web-download filters: Glance defaults, and an allow list makes its deny list ignored', () => {
  const defaults = load({}).webDownload;
  assert.deepEqual(defaults.schemes, { allowed: ['http', 'https'], disallowed: [] });
  assert.deepEqual(defaults.ports, { allowed: [80, 443], disallowed: [] });
  assert.deepEqual(defaults.hosts, { allowed: [], disallowed: [] });
  assert.ok(defaults.addresses.refusal('169.254.169.254'));

  const both = load({ web_download_allowed_hosts: 'Mirror.Example.', web_download_disallowed_hosts: 'evil.example', web_download_allowed_ports: '', web_download_disallowed_ports: '22' }).webDownload;
  assert.deepEqual(both.hosts, { allowed: ['mirror.example'], disallowed: [] });
  assert.deepEqual(both.ports, { allowed: [], disallowed: [22] });
  assert.equal(load({ web_download_allowed_networks: '10.0.0.0/8' }).webDownload.addresses.refusal('10.1.2.3'), undefined);
});

test('web-download config that cannot work is refused when read', () => {
  assert.throws(() => load({ web_download_allowed_schemes: 'http,ftp' }), /fetches only http and https, not ftp/);
  assert.throws(() => load({ web_download_disallowed_ports: '70000' }), /web_download_disallowed_ports must be port numbers/);
  assert.throws(() => load({ web_download_allowed_networks: '10.0.0.0/40' }), /web_download_allowed_networks: "10.0.0.0\/40" is not an IP network/);
  assert.throws(() => load({ web_download_allow_loopback: 'true' }), /unknown key "web_download_allow_loopback"/);
});
