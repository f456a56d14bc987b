// Entry point: node dist/image-service/main.js [--config <stowage.json>] [--bind-ip <ip>]
// [--port <port>]. Prints {"event":"listening","url":…} on stdout once it accepts requests
// (logs go to stderr). At start it puts back images whose upload a previous run left
// unfinished, and deletes their partial data. SIGTERM/SIGINT: stop accepting, let requests
// finish for up to shutdown_timeout_ms, then drop the rest (their images are reverted).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { readConfigFile } from '../common/config.js';
import { announceListening, parseServiceArgs, stopOnSignals } from '../common/service.js';
import { Authenticator } from './auth.js';
import { loadImageServiceConfig } from './config.js';
import { ImageData } from './image-data.js';
import { Importer } from './import.js';
import { MetadefCatalog } from './metadefs/catalog.js';
import { StorageQuota } from './quota.js';
import { Records } from './records.js';
import { createImageServer } from './server.js';
import { StagingArea } from './staging.js';
import { SwiftClient } from './store/swift-client.js';

const USAGE = 'usage: node dist/image-service/main.js [--config <stowage.json>] [--bind-ip <ip>] [--port <port>]';

async function main(): Promise<void> {
  const args = parseServiceArgs(USAGE);
  if (args === null) return;
  const config = loadImageServiceConfig(readConfigFile(args.configPath), args.flags);
  const log = pino({ level: config.log_level, name: 'image-service' }, pino.destination(2));
  mkdirSync(config.data_dir, { recursive: true });
  const records = await Records.open(join(config.data_dir, 'records'));
  const swift = new SwiftClient(config);
  const data = new ImageData(config, records, swift, log);
  const staging = new StagingArea(config.data_dir);
  const quota = new StorageQuota(config.storageQuotaBytes, records, staging);
  const importer = new Importer(config, records, data, staging, quota, log);
  const metadefs = new MetadefCatalog(records);

  const reverted = await data.recover();
  await importer.init();
  const loaded = await metadefs.bootstrap();
  log.info({ reverted, metadef_namespaces_loaded: loaded, data_dir: config.data_dir }, 'image records ready');

  const app = createImageServer({ config, records, data, importer, quota, metadefs, auth: new Authenticator(config) }, log);
  stopOnSignals(app, config.shutdown_timeout_ms, async () => {
    importer.stop();
    await data.stop();
    await records.close();
    await swift.close();
  });

  const address = await app.listen({ host: config.bind_ip, port: config.bind_port });
  data.startSweeping();
  announceListening(address);
}

main().catch((err) => {
  process.stderr.write(`image-service: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
});
