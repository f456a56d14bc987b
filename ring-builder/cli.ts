// `ring-builder`: swift-ring-builder's command syntax, output lines and exit codes
// (0 success, 1 warning, 2 error) over our RingBuilder. Every change is saved atomically
// and only after it succeeded, so a failed command leaves the builder file as it was.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { RingBuilder, RingBuilderError, MAX_BALANCE, type DispersionReport } from './builder.js';
import {
  DeviceSpecError,
  checkNewDevice,
  formatDevice,
  parseDeviceSpec,
  parseSearchValue,
  parseWeight,
  type Device,
  type NewDevice,
} from './devices.js';
import { readRingFile, writeRingFile } from './ring.js';
import { CorruptFileError } from './sealed-file.js';

export const EXIT_SUCCESS = 0;
export const EXIT_WARNING = 1;
export const EXIT_ERROR = 2;

/** A clean stop with a message and an exit code, not a crash. */
class Exit extends Error {
  constructor(
    readonly status: number,
    message = '',
  ) {
    super(message);
  }
}

const USAGE = `ring-builder <builder_file> <command> [args]

Commands (as swift-ring-builder):
  create <part_power> <replicas> <min_part_hours>
  add r<region>z<zone>-<ip>:<port>[R<ip>:<port>]/<device>[_<meta>] <weight> [...]
  add --region N --zone N --ip IP --port N [--replication-ip IP --replication-port N]
      --device NAME --weight W [--meta TEXT]
  remove <search-value> [...] [--yes]
  set_weight <search-value> <weight> [...] [--yes]
  set_overload <overload>[%]
  set_min_part_hours <hours>
  rebalance [--seed N] [--force]
  write_ring
  validate
  dispersion [--verbose]
  search <search-value>
  list_parts <search-value> [...]
  pretend_min_part_hours_passed
  (no command) show the builder: devices, partitions, balance, dispersion

Search values: d<id>r<region>z<zone>-<ip>:<port>R<ip>:<port>/<device>_<meta>, any part optional.
The ring file is written next to the builder: object.builder -> object.ring`;

function ringFileFor(builderPath: string): string {
  return builderPath.endsWith('.builder') ? `${builderPath.slice(0, -'.builder'.length)}.ring` : `${builderPath}.ring`;
}

const fixed = (n: number, digits: number) => n.toFixed(digits);
/** Python's repr of a float, which swift-ring-builder's messages show ("100.0"). */
const pyFloat = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));
/** Python's str(timedelta): "0:59:59", "1 day, 2:00:00". */
function timedelta(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  return days ? `${days} day${days > 1 ? 's' : ''}, ${hms}` : hms;
}

function parseInteger(text: string | undefined, what: string): number {
  if (text === undefined || !/^-?\d+$/.test(text)) throw new Exit(EXIT_ERROR, `${what} must be an integer, not ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

class Cli {
  constructor(
    private readonly builderPath: string,
    private readonly args: string[],
  ) {}

  print(line = ''): void {
    process.stdout.write(`${line}\n`);
  }

  private flags<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(options: T) {
    try {
      return parseArgs({ args: this.args, options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new Exit(EXIT_ERROR, (err as Error).message);
    }
  }

  private async load(): Promise<RingBuilder> {
    if (!existsSync(this.builderPath)) throw new Exit(EXIT_ERROR, `Ring Builder file does not exist: ${this.builderPath}`);
    return RingBuilder.load(this.builderPath);
  }

  private async confirm(question: string, yes: boolean): Promise<boolean> {
    if (yes) return true;
    if (!process.stdin.isTTY) return false;
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`${question} (y/N) `);
    rl.close();
    return /^y(es)?$/i.test(answer.trim());
  }

  private matches(builder: RingBuilder, value: string): Device[] {
    const devices = builder.search(parseSearchValue(value));
    if (devices.length === 0) throw new Exit(EXIT_ERROR, `No matching devices found for ${JSON.stringify(value)}`);
    return devices;
  }

  async create(): Promise<number> {
    const [partPower, replicas, minPartHours] = this.args;
    if (this.args.length !== 3) throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> create <part_power> <replicas> <min_part_hours>');
    const builder = RingBuilder.create(
      parseInteger(partPower, 'part_power'),
      parseInteger(replicas, 'replicas'),
      parseInteger(minPartHours, 'min_part_hours'),
    );
    await builder.save(this.builderPath);
    return EXIT_SUCCESS;
  }

  async add(): Promise<number> {
    const { values, positionals } = this.flags({
      region: { type: 'string' },
      zone: { type: 'string' },
      ip: { type: 'string' },
      port: { type: 'string' },
      'replication-ip': { type: 'string' },
      'replication-port': { type: 'string' },
      device: { type: 'string' },
      weight: { type: 'string' },
      meta: { type: 'string' },
    });
    const builder = await this.load();
    const specs: NewDevice[] = [];
    if (values.ip !== undefined || values.device !== undefined) {
      for (const key of ['region', 'zone', 'ip', 'port', 'device', 'weight'] as const) {
        if (values[key] === undefined) throw new Exit(EXIT_ERROR, `add: --${key} is required`);
      }
      const ip = values.ip!;
      const port = parseInteger(values.port, '--port');
      specs.push(
        checkNewDevice({
          region: parseInteger(values.region, '--region'),
          zone: parseInteger(values.zone, '--zone'),
          ip,
          port,
          replication_ip: values['replication-ip'] ?? ip,
          replication_port: values['replication-port'] ? parseInteger(values['replication-port'], '--replication-port') : port,
          device: values.device!,
          weight: parseWeight(values.weight!),
          meta: values.meta ?? '',
        }),
      );
    }
    if (positionals.length % 2 !== 0) throw new Exit(EXIT_ERROR, 'add: every device spec needs a weight after it');
    for (let i = 0; i < positionals.length; i += 2) specs.push(parseDeviceSpec(positionals[i]!, positionals[i + 1]!));
    if (specs.length === 0) throw new Exit(EXIT_ERROR, 'add: no device given');
    const added = specs.map((spec) => builder.addDevice(spec));
    await builder.save(this.builderPath);
    for (const dev of added) this.print(`Device ${formatDevice(dev)} with ${pyFloat(dev.weight)} weight got id ${dev.id}`);
    return EXIT_SUCCESS;
  }

  async remove(): Promise<number> {
    const { values, positionals } = this.flags({ yes: { type: 'boolean', short: 'y' } });
    if (positionals.length === 0) throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> remove <search-value> [...]');
    const builder = await this.load();
    const devices = positionals.flatMap((value) => this.matches(builder, value));
    if (devices.length > 1) {
      this.print('Matched more than one device:');
      for (const dev of devices) this.print(`    ${formatDevice(dev)}`);
      if (!(await this.confirm(`Are you sure you want to remove these ${devices.length} devices?`, values.yes ?? false))) {
        throw new Exit(EXIT_ERROR, 'Aborting device removals (pass --yes to confirm)');
      }
    }
    for (const dev of devices) builder.removeDevice(dev.id);
    await builder.save(this.builderPath);
    for (const dev of devices) this.print(`${formatDevice(dev)} marked for removal and will be removed next rebalance.`);
    return EXIT_SUCCESS;
  }

  async set_weight(): Promise<number> {
    const { values, positionals } = this.flags({ yes: { type: 'boolean', short: 'y' } });
    if (positionals.length === 0 || positionals.length % 2 !== 0) {
      throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> set_weight <search-value> <weight> [...]');
    }
    const builder = await this.load();
    const changes: Array<[Device, number]> = [];
    for (let i = 0; i < positionals.length; i += 2) {
      const weight = parseWeight(positionals[i + 1]!);
      for (const dev of this.matches(builder, positionals[i]!)) changes.push([dev, weight]);
    }
    if (changes.length > 1 && !(await this.confirm(`Set the weight of ${changes.length} devices?`, values.yes ?? false))) {
      throw new Exit(EXIT_ERROR, `Matched ${changes.length} devices; aborting (pass --yes to confirm)`);
    }
    for (const [dev, weight] of changes) builder.setWeight(dev.id, weight);
    await builder.save(this.builderPath);
    for (const [dev, weight] of changes) this.print(`${formatDevice(dev)} weight set to ${pyFloat(weight)}`);
    return EXIT_SUCCESS;
  }

  async set_overload(): Promise<number> {
    const text = this.args[0];
    if (this.args.length !== 1 || text === undefined) throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> set_overload <overload>[%]');
    const percent = text.endsWith('%');
    const value = Number(percent ? text.slice(0, -1) : text);
    if (!Number.isFinite(value) || value < 0) throw new Exit(EXIT_ERROR, `invalid overload ${JSON.stringify(text)}`);
    const builder = await this.load();
    builder.setOverload(percent ? value / 100 : value);
    await builder.save(this.builderPath);
    this.print(`The overload factor is now ${fixed(builder.overload * 100, 2)}% (${fixed(builder.overload, 6)})`);
    return EXIT_SUCCESS;
  }

  async set_min_part_hours(): Promise<number> {
    if (this.args.length !== 1) throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> set_min_part_hours <hours>');
    const builder = await this.load();
    builder.setMinPartHours(parseInteger(this.args[0], 'hours'));
    await builder.save(this.builderPath);
    this.print(`The minimum number of hours before a partition can be reassigned is now set to ${builder.minPartHours}`);
    return EXIT_SUCCESS;
  }

  async rebalance(): Promise<number> {
    const { values } = this.flags({ seed: { type: 'string', short: 's' }, force: { type: 'boolean', short: 'f' } });
    const builder = await this.load();
    const seed = values.seed === undefined ? undefined : parseInteger(values.seed, '--seed') >>> 0;
    const devsChanged = builder.devsChanged || builder.removing.size > 0;
    const secondsLeft = builder.minPartSecondsLeft();
    const lastBalance = builder.getBalance();
    const lastDispersion = builder.dispersion;
    const result = builder.rebalance(seed === undefined ? {} : { seed });
    if (!(result.changed || values.force || result.removed.length)) {
      this.print('No partitions could be reassigned.');
      if (secondsLeft > 0) {
        this.print(`The time between rebalances must be at least min_part_hours: ${builder.minPartHours} hours (${timedelta(secondsLeft)} remaining)`);
      } else {
        this.print('There is no need to do so at this time');
      }
      return EXIT_WARNING;
    }
    const improved =
      Math.abs(lastBalance - result.balance) >= 1 ||
      (lastBalance === MAX_BALANCE && result.balance === MAX_BALANCE) ||
      lastDispersion === null ||
      Math.abs(lastDispersion - result.dispersion) >= 1;
    if (!values.force && !devsChanged && !improved) {
      this.print('Cowardly refusing to save rebalance as it did not change at least 1%.');
      return EXIT_WARNING;
    }
    builder.validate();
    await writeRingFile(ringFileFor(this.builderPath), builder.ringData());
    await builder.save(this.builderPath);
    const percent = (100 * result.changed) / builder.partCount;
    this.print(
      `Reassigned ${result.changed} (${fixed(percent, 2)}%) partitions. Balance is now ${fixed(result.balance, 2)}.  Dispersion is now ${fixed(result.dispersion, 2)}`,
    );
    let status = EXIT_SUCCESS;
    if (result.dispersion > 0) {
      this.print('-'.repeat(79));
      this.print(`NOTE: Dispersion of ${fixed(result.dispersion, 6)} indicates some parts are not`);
      this.print('      optimally dispersed.');
      this.print('');
      this.print('      You may want to adjust some device weights, increase');
      this.print('      the overload or review the dispersion report.');
      status = EXIT_WARNING;
    }
    if (result.balance > 5 && builder.minPartSecondsLeft() > 0) {
      this.print('-'.repeat(79));
      this.print(`NOTE: Balance of ${fixed(result.balance, 2)} indicates you should push this `);
      this.print('      ring, wait at least ' + builder.minPartHours + ' hours, and rebalance/repush.');
      status = EXIT_WARNING;
    }
    if (status !== EXIT_SUCCESS) this.print('-'.repeat(79));
    return status;
  }

  async write_ring(): Promise<number> {
    const builder = await this.load();
    await writeRingFile(ringFileFor(this.builderPath), builder.ringData());
    return EXIT_SUCCESS;
  }

  async validate(): Promise<number> {
    const builder = await this.load();
    builder.validate();
    return EXIT_SUCCESS;
  }

  async pretend_min_part_hours_passed(): Promise<number> {
    const builder = await this.load();
    builder.pretendMinPartHoursPassed();
    await builder.save(this.builderPath);
    return EXIT_SUCCESS;
  }

  async dispersion(): Promise<number> {
    const { values } = this.flags({ verbose: { type: 'boolean', short: 'v' } });
    const builder = await this.load();
    if (!builder.assignment) throw new Exit(EXIT_ERROR, 'Ring not built: run rebalance first');
    const report = builder.dispersionReport(true);
    this.print(
      `Dispersion is ${fixed(report.dispersion, 6)}, Balance is ${fixed(builder.getBalance(), 6)}, Overload is ${fixed(builder.overload * 100, 2)}%`,
    );
    this.print(`Required overload is ${fixed(builder.requiredOverload() * 100, 6)}%`);
    this.printDispersionTable(builder, report, values.verbose ?? false);
    return report.dispersion > 0 ? EXIT_WARNING : EXIT_SUCCESS;
  }

  private printDispersionTable(builder: RingBuilder, report: DispersionReport, verbose: boolean): void {
    const rows = [...report.graph].filter(([tier, counts]) => {
      const max = report.maxReplicas.get(tier)!;
      return verbose || counts.slice(max + 1).some((n) => n > 0);
    });
    if (rows.length === 0) return;
    const width = Math.max(20, ...rows.map(([tier]) => tier.length));
    const replicaCols = [...Array(builder.replicas + 1).keys()];
    const line = '-'.repeat(width + 22 + 6 * replicaCols.length);
    this.print(line);
    this.print(`${'Tier'.padEnd(width)}  Parts      %   Max${replicaCols.map((r) => String(r).padStart(6)).join('')}`);
    this.print(line);
    for (const [tier, counts] of rows) {
      const max = report.maxReplicas.get(tier)!;
      const atRisk = counts.slice(max + 1).reduce((a, b) => a + b, 0);
      this.print(
        `${tier.padEnd(width)} ${String(atRisk).padStart(6)} ${fixed((100 * atRisk) / builder.partCount, 2).padStart(6)} ${String(max).padStart(5)}` +
          counts.map((n) => String(n).padStart(6)).join(''),
      );
    }
  }

  async search(): Promise<number> {
    if (this.args.length !== 1) throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> search <search-value>');
    const builder = await this.load();
    const devices = this.matches(builder, this.args[0]!);
    const parts = builder.partsPerDevice();
    const balance = builder.balancePerDevice(parts);
    this.print('Devices:    id  region  zone      ip address  port  replication ip  replication port      name weight partitions balance meta');
    for (const d of devices) {
      this.print(
        `         ${String(d.id).padStart(5)} ${String(d.region).padStart(7)} ${String(d.zone).padStart(5)} ${d.ip.padStart(15)} ${String(d.port).padStart(5)} ` +
          `${d.replication_ip.padStart(15)} ${String(d.replication_port).padStart(17)} ${d.device.padStart(9)} ${fixed(d.weight, 2).padStart(6)} ` +
          `${String(parts[d.id] ?? 0).padStart(10)} ${fixed(balance.get(d.id) ?? 0, 2).padStart(7)} ${d.meta}`,
      );
    }
    return EXIT_SUCCESS;
  }

  async list_parts(): Promise<number> {
    if (this.args.length === 0) throw new Exit(EXIT_ERROR, 'usage: ring-builder <builder_file> list_parts <search-value> [...]');
    const builder = await this.load();
    if (!builder.assignment) throw new Exit(EXIT_ERROR, 'Ring not built: run rebalance first');
    const ids = new Set(this.args.flatMap((value) => this.matches(builder, value)).map((d) => d.id));
    const matches = new Map<number, number>();
    for (const row of builder.assignment.replica2part2dev) {
      for (let p = 0; p < row.length; p++) if (ids.has(row[p]!)) matches.set(p, (matches.get(p) ?? 0) + 1);
    }
    this.print('Partition   Matches');
    const sorted = [...matches].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [part, count] of sorted) this.print(`${String(part).padStart(9)}   ${String(count).padStart(7)}`);
    return EXIT_SUCCESS;
  }

  async show(): Promise<number> {
    const builder = await this.load();
    const active = builder.activeDevices();
    const regions = new Set(active.map((d) => d.region)).size;
    const zones = new Set(active.map((d) => `${d.region}/${d.zone}`)).size;
    const parts = builder.partsPerDevice();
    const balance = builder.balancePerDevice(parts);
    this.print(`${basename(this.builderPath)}, build version ${builder.version}, id ${builder.id}`);
    this.print(
      `${builder.partCount} partitions, ${fixed(builder.replicas, 6)} replicas, ${regions} regions, ${zones} zones, ` +
        `${active.length} devices, ${fixed(builder.getBalance(), 2)} balance, ${fixed(builder.dispersion ?? 0, 2)} dispersion`,
    );
    this.print(
      `The minimum number of hours before a partition can be reassigned is ${builder.minPartHours} (${timedelta(builder.minPartSecondsLeft())} remaining)`,
    );
    this.print(`The overload factor is ${fixed(builder.overload * 100, 2)}% (${fixed(builder.overload, 6)})`);
    this.print(await this.ringFileStatus(builder));
    this.print('Devices:   id region zone      ip address:port  replication ip:port   name weight partitions balance flags meta');
    for (const d of builder.devs) {
      if (!d) continue;
      this.print(
        `${String(d.id).padStart(12)} ${String(d.region).padStart(6)} ${String(d.zone).padStart(4)} ${`${d.ip}:${d.port}`.padStart(20)} ` +
          `${`${d.replication_ip}:${d.replication_port}`.padStart(20)} ${d.device.padStart(6)} ${fixed(d.weight, 2).padStart(6)} ` +
          `${String(parts[d.id] ?? 0).padStart(10)} ${fixed(balance.get(d.id) ?? 0, 2).padStart(7)} ${(builder.removing.has(d.id) ? 'DEL' : '').padStart(5)} ${d.meta}`,
      );
    }
    return EXIT_SUCCESS;
  }

  private async ringFileStatus(builder: RingBuilder): Promise<string> {
    const ringPath = ringFileFor(this.builderPath);
    const name = basename(ringPath);
    if (!existsSync(ringPath)) return `Ring file ${name} not found, probably it hasn't been written yet`;
    try {
      const { header } = await readRingFile(ringPath);
      const fresh = header.builder_id === builder.id && header.builder_version === builder.version;
      return fresh ? `Ring file ${name} is up-to-date` : `Ring file ${name} is obsolete`;
    } catch (err) {
      return `Ring file ${name} is invalid: ${(err as Error).message}`;
    }
  }
}

const COMMANDS = [
  'create', 'add', 'remove', 'set_weight', 'set_overload', 'set_min_part_hours', 'rebalance', 'write_ring',
  'validate', 'dispersion', 'search', 'list_parts', 'pretend_min_part_hours_passed',
] as const;
type Command = (typeof COMMANDS)[number];

export async function main(argv: string[]): Promise<number> {
  const [builderPath, command, ...args] = argv;
  if (!builderPath || builderPath === '-h' || builderPath === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return builderPath ? EXIT_SUCCESS : EXIT_ERROR;
  }
  try {
    if (command === undefined) return await new Cli(builderPath, []).show();
    if (!(COMMANDS as readonly string[]).includes(command)) throw new Exit(EXIT_ERROR, `Unknown command: ${command}\n${USAGE}`);
    return await new Cli(builderPath, args)[command as Command]();
  } catch (err) {
    if (err instanceof Exit) {
      if (err.message) process.stderr.write(`Error: ${err.message}\n`);
      return err.status;
    }
    if (err instanceof RingBuilderError || err instanceof DeviceSpecError || err instanceof CorruptFileError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return EXIT_ERROR;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code && code.startsWith('E')) {
      process.stderr.write(`Error: ${(err as Error).message}\n`);
      return EXIT_ERROR;
    }
    throw err;
  }
}
