// `npm start`: the local cluster. Builds the default rings under <data>/rings when there
// are none and shows them. (Storage nodes and the proxy join here as they land.)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDirFrom, prepareDataDir } from './local-config.js';
import { ensureDefaultRings } from './default-rings.js';

const RING_BUILDER = fileURLToPath(new URL('../../bin/ring-builder', import.meta.url));

async function main(): Promise<void> {
  const layout = prepareDataDir(dataDirFrom(process.argv.slice(2)));
  await ensureDefaultRings(layout.dataDir, layout.ringDir, (msg) => console.log(msg));
  console.log(`data directory: ${layout.dataDir}`);
  console.log(`config: ${layout.configPath}`);
  console.log(`rings: ${layout.ringDir}\n`);
  for (const name of ['account', 'container', 'object']) {
    spawnSync(process.execPath, [RING_BUILDER, join(layout.ringDir, `${name}.builder`)], { stdio: 'inherit' });
    console.log('');
  }
}

await main();
