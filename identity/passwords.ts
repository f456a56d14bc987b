// Password hashing with scrypt (a memory-hard KDF), stored as
// "scrypt$<N>$<r>$<p>$<salt>$<hash>" so the cost can be raised later without breaking
// old hashes. Passwords are never stored, logged or echoed in clear.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Longest password accepted (bytes): hashing cost must not grow with the attacker's input. */
export const MAX_PASSWORD_BYTES = 4096;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { ...options, maxmem: 256 * options.N! * options.r! }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, { N: cost, r: 8, p: 1 });
  return `scrypt$${cost}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash no password matches, verified when the user does not exist so both cases take as long. */
let decoy: Promise<string> | null = null;

export async function verifyPassword(password: string, stored: string | null, cost: number): Promise<boolean> {
  if (stored === null) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'), cost);
    await verifyPassword(password, await decoy, cost);
    return false;
  }
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
