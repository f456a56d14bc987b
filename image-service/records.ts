// Image records, members and pending data deletions in one LevelDB. Changes to one image
// are serialised (a per-image lock around read-modify-write), so a patch and the end of
// an upload never overwrite each other.
import { Level } from 'level';
import type { ImageRecord, StoredData } from './image.js';

export interface MemberRecord {
  image_id: string;
  member_id: string;
  status: 'pending' | 'accepted' | 'rejected';
  created_at: string;
  updated_at: string;
}

/** Data whose image is gone but whose deletion from the object store has not succeeded yet. */
export interface Garbage {
  data: StoredData;
  since: string;
}

const IMAGE = 'image!';
const MEMBER = 'member!';
const GARBAGE = 'gc!';

export class Records {
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(readonly db: Level<string, unknown>) {}

  static async open(path: string): Promise<Records> {
    const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
    await db.open();
    return new Records(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async getImage(id: string): Promise<ImageRecord | undefined> {
    return (await this.db.get(IMAGE + id)) as ImageRecord | undefined;
  }

  putImage(image: ImageRecord): Promise<void> {
    return this.db.put(IMAGE + image.id, image);
  }

  async *images(): AsyncGenerator<ImageRecord> {
    for await (const value of this.db.values({ gt: IMAGE, lt: `${IMAGE}\xff` })) yield value as ImageRecord;
  }

  /** Runs `fn` with no other `withImage` of the same id running; its result is returned. */
  async withImage<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    }
  }

  /** Deletes the image record and its members, and lists its data as garbage, in one batch. */
  async deleteImage(id: string, garbage: Garbage[] = []): Promise<void> {
    const ops: ({ type: 'del'; key: string } | { type: 'put'; key: string; value: unknown })[] = [{ type: 'del', key: IMAGE + id }];
    for await (const key of this.db.keys({ gt: `${MEMBER}${id}!`, lt: `${MEMBER}${id}!\xff` })) ops.push({ type: 'del', key });
    for (const entry of garbage) ops.push({ type: 'put', key: GARBAGE + entry.data.object, value: entry });
    await this.db.batch(ops);
  }

  async getMember(imageId: string, memberId: string): Promise<MemberRecord | undefined> {
    return (await this.db.get(`${MEMBER}${imageId}!${memberId}`)) as MemberRecord | undefined;
  }

  putMember(member: MemberRecord): Promise<void> {
    return this.db.put(`${MEMBER}${member.image_id}!${member.member_id}`, member);
  }

  deleteMember(imageId: string, memberId: string): Promise<void> {
    return this.db.del(`${MEMBER}${imageId}!${memberId}`);
  }

  async members(imageId: string): Promise<MemberRecord[]> {
    const out: MemberRecord[] = [];
    for await (const value of this.db.values({ gt: `${MEMBER}${imageId}!`, lt: `${MEMBER}${imageId}!\xff` })) out.push(value as MemberRecord);
    return out;
  }

  async garbage(): Promise<[string, Garbage][]> {
    const out: [string, Garbage][] = [];
    for await (const [key, value] of this.db.iterator({ gt: GARBAGE, lt: `${GARBAGE}\xff` })) out.push([key.slice(GARBAGE.length), value as Garbage]);
    return out;
  }

  addGarbage(id: string, garbage: Garbage): Promise<void> {
    return this.db.put(GARBAGE + id, garbage);
  }

  clearGarbage(id: string): Promise<void> {
    return this.db.del(GARBAGE + id);
  }
}
