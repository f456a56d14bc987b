// The body of a signed request, decoded and verified while it streams (never held whole):
// a signed payload's SHA-256, the aws-chunked framing of streaming uploads with every
// chunk signature checked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) or none
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER), and x-amz-checksum-* from a header or a trailer.
// A mismatch fails the stream before it ends, so the object servers never commit the
// upload; `failure` keeps the S3 error, since the layers below only see a broken body.
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import { S3Error } from './errors.js';
import { CHECKSUM_ALGORITHMS, createChecksum, isChecksumAlgorithm, type Checksum } from './checksums.js';
import {
  EMPTY_SHA256,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  chunkSignature,
  signaturesEqual,
  trailerSignature,
  type SignedRequestClaim,
} from './signature-v4.js';

/** A chunk header ("<hex size>;chunk-signature=<64 hex>") or a trailer line longer than this is refused. */
const MAX_LINE_BYTES = 4096;
/** Trailers after the last chunk: at most this many bytes together. */
const MAX_TRAILER_BYTES = 16 * 1024;

export interface DecodedPayload {
  body: Readable;
  /** Bytes of the decoded body, when the client said (Content-Length or x-amz-decoded-content-length). */
  length?: number;
  /** The S3 error that made the body fail, if one did. */
  failure(): S3Error | null;
  /** Checksums verified once the body ended, to echo as x-amz-checksum-* response headers. */
  checksums(): Record<string, string>;
}

export interface PayloadAuth {
  claim: SignedRequestClaim | null;
  signingKey: Buffer | null;
  /** Sends "100 Continue" to a client that waits for it (Expect: 100-continue). */
  continueBody?: () => void;
}

export const isStreaming = (payloadHash: string | undefined) =>
  payloadHash === STREAMING_SIGNED || payloadHash === STREAMING_SIGNED_TRAILER || payloadHash === STREAMING_UNSIGNED_TRAILER;

/** Fails a transform with an S3 error, remembering it for the caller. */
abstract class Verifying extends Transform {
  failure: S3Error | null = null;
  protected fail(err: S3Error, callback: TransformCallback): void {
    this.failure = err;
    callback(err);
  }
}

/** Checks a signed payload's SHA-256 and any header checksums over the raw body. */
class BodyVerifier extends Verifying {
  private readonly sha = createHash('sha256');
  verified: Record<string, string> = {};
  constructor(
    private readonly expectedSha256: string | null,
    private readonly checks: Array<{ checksum: Checksum; expected: string }>,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.expectedSha256) this.sha.update(chunk);
    for (const { checksum } of this.checks) checksum.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.expectedSha256 && this.sha.digest('hex') !== this.expectedSha256) return this.fail(new S3Error('XAmzContentSHA256Mismatch'), callback);
    for (const { checksum, expected } of this.checks) {
      if (checksum.digest() !== expected) {
        return this.fail(new S3Error('BadDigest', `The ${checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`), callback);
      }
      this.verified[`x-amz-checksum-${checksum.algorithm}`] = expected;
    }
    callback();
  }
}

/** Passes every chunk on one step late; the last goes out only when the stream ends cleanly. */
class HoldLast extends Transform {
  private held: Buffer | null = null;
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    const previous = this.held;
    this.held = chunk;
    callback(null, previous ?? undefined);
  }
  override _flush(callback: TransformCallback): void {
    callback(null, this.held ?? undefined);
  }
}

type ChunkState = 'header' | 'data' | 'data-end' | 'trailer' | 'done';

/** Decodes aws-chunked framing, checking chunk signatures (when signed) and trailing checksums. */
export class AwsChunkedDecoder extends Verifying {
  private state: ChunkState = 'header';
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private chunkSig = '';
  private chunkHash = createHash('sha256');
  private previousSig: string;
  private decodedBytes = 0;
  private trailerText = '';
  private readonly trailers = new Map<string, string>();
  private readonly checksum: Checksum | null;
  verified: Record<string, string> = {};

  constructor(
    private readonly signing: { key: Buffer; claim: SignedRequestClaim } | null,
    private readonly expectedTrailer: string | null,
    private readonly decodedLength: number | undefined,
  ) {
    super();
    this.previousSig = signing?.claim.signature ?? '';
    const algorithm = expectedTrailer?.replace(/^x-amz-checksum-/, '') ?? '';
    this.checksum = isChecksumAlgorithm(algorithm) ? createChecksum(algorithm) : null;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.consume();
    } catch (err) {
      if (err instanceof S3Error) return this.fail(err, callback);
      throw err;
    }
    callback();
  }

  /** A CRLF-terminated line from `pending`, or null when it has not all arrived. */
  private line(): string | null {
    const end = this.pending.indexOf('\r\n');
    if (end < 0) {
      if (this.pending.length > MAX_LINE_BYTES) throw new S3Error('IncompleteBody', 'An aws-chunked line is too long.');
      return null;
    }
    const text = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    return text;
  }

  private consume(): void {
    for (;;) {
      if (this.state === 'header') {
        const header = this.line();
        if (header === null) return;
        const [sizeText, ...extensions] = header.split(';');
        if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText ?? '')) throw new S3Error('IncompleteBody', 'Malformed aws-chunked chunk header.');
        this.remaining = parseInt(sizeText!, 16);
        const sig = extensions.find((e) => e.startsWith('chunk-signature='));
        this.chunkSig = sig?.slice('chunk-signature='.length) ?? '';
        if (this.signing && !this.chunkSig) throw new S3Error('SignatureDoesNotMatch', 'A chunk has no chunk-signature.');
        this.chunkHash = createHash('sha256');
        if (this.remaining === 0) {
          this.verifyChunk(EMPTY_SHA256);
          this.state = 'trailer';
        } else {
          this.state = 'data';
        }
      } else if (this.state === 'data') {
        if (this.pending.length === 0) return;
        const piece = this.pending.subarray(0, this.remaining);
        this.pending = this.pending.subarray(piece.length);
        this.remaining -= piece.length;
        this.decodedBytes += piece.length;
        if (this.decodedLength !== undefined && this.decodedBytes > this.decodedLength) {
          throw new S3Error('IncompleteBody', 'The body is longer than x-amz-decoded-content-length.');
        }
        if (this.signing) this.chunkHash.update(piece);
        this.checksum?.update(piece);
        this.push(piece);
        if (this.remaining === 0) {
          this.verifyChunk(this.chunkHash.digest('hex'));
          this.state = 'data-end';
        }
      } else if (this.state === 'data-end') {
        if (this.pending.length < 2) return;
        if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw new S3Error('IncompleteBody', 'A chunk does not end with CRLF.');
        this.pending = this.pending.subarray(2);
        this.state = 'header';
      } else if (this.state === 'trailer') {
        const line = this.line();
        if (line === null) return;
        if (line === '') {
          this.state = 'done';
          continue;
        }
        this.trailerText += `${line}\n`;
        if (this.trailerText.length > MAX_TRAILER_BYTES) throw new S3Error('InvalidRequest', 'The trailers are too large.');
        const colon = line.indexOf(':');
        if (colon <= 0) throw new S3Error('IncompleteBody', 'Malformed trailer.');
        this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      } else {
        // Anything after the final CRLF is not part of the body.
        this.pending = Buffer.alloc(0);
        return;
      }
    }
  }

  private verifyChunk(hash: string): void {
    if (!this.signing) return;
    const { key, claim } = this.signing;
    const expected = chunkSignature(key, claim.amzDate, claim.scope, this.previousSig, hash);
    if (!signaturesEqual(expected, this.chunkSig)) throw new S3Error('SignatureDoesNotMatch', 'A chunk signature does not match.');
    this.previousSig = expected;
  }

  override _flush(callback: TransformCallback): void {
    // The final zero-size chunk of an upload without trailers may lack the closing CRLF.
    if (this.state === 'trailer' && this.pending.length === 0 && this.trailers.size === 0) this.state = 'done';
    if (this.state !== 'done') return this.fail(new S3Error('IncompleteBody'), callback);
    if (this.decodedLength !== undefined && this.decodedBytes !== this.decodedLength) return this.fail(new S3Error('IncompleteBody'), callback);
    if (this.signing && this.expectedTrailer) {
      const given = this.trailers.get('x-amz-trailer-signature') ?? '';
      const text = this.trailerText
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('x-amz-trailer-signature:'))
        .map((l) => `${l}\n`)
        .join('');
      const { key, claim } = this.signing;
      if (!signaturesEqual(trailerSignature(key, claim.amzDate, claim.scope, this.previousSig, text), given)) {
        return this.fail(new S3Error('SignatureDoesNotMatch', 'The trailer signature does not match.'), callback);
      }
    }
    if (this.expectedTrailer) {
      const value = this.trailers.get(this.expectedTrailer);
      if (value === undefined) return this.fail(new S3Error('InvalidRequest', `The trailer ${this.expectedTrailer} is missing.`), callback);
      if (this.checksum) {
        if (this.checksum.digest() !== value) {
          return this.fail(
            new S3Error('BadDigest', `The ${this.checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`),
            callback,
          );
        }
        this.verified[this.expectedTrailer] = value;
      }
    }
    callback();
  }
}

function headerChecks(headers: Record<string, string>): Array<{ checksum: Checksum; expected: string }> {
  const checks: Array<{ checksum: Checksum; expected: string }> = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const expected = headers[`x-amz-checksum-${algorithm}`];
    if (expected !== undefined) checks.push({ checksum: createChecksum(algorithm), expected });
  }
  return checks;
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new S3Error('InvalidArgument', 'The length header is not a number.');
  return Number(value);
}

/**
 * The request body as the client meant it: aws-chunked framing removed, every signature
 * and checksum checked as the bytes pass. Null body → an empty stream.
 */
export function decodePayload(body: Readable, headers: Record<string, string>, auth: PayloadAuth): DecodedPayload {
  const payloadHash = auth.claim?.payloadHash ?? headers['x-amz-content-sha256'] ?? UNSIGNED_PAYLOAD;
  const stages: Verifying[] = [];
  let length: number | undefined;
  let chunked: AwsChunkedDecoder | null = null;
  if (isStreaming(payloadHash)) {
    length = parseLength(headers['x-amz-decoded-content-length']);
    const trailer = headers['x-amz-trailer']?.trim().toLowerCase() || null;
    if (payloadHash !== STREAMING_SIGNED && !trailer) throw new S3Error('InvalidRequest', 'A trailer upload needs the x-amz-trailer header.');
    const signing = payloadHash === STREAMING_UNSIGNED_TRAILER || !auth.signingKey || !auth.claim ? null : { key: auth.signingKey, claim: auth.claim };
    if (payloadHash !== STREAMING_UNSIGNED_TRAILER && !signing) throw new S3Error('AccessDenied', 'Signed streaming uploads need a signed request.');
    chunked = new AwsChunkedDecoder(signing, trailer, length);
    stages.push(chunked);
  } else {
    length = parseLength(headers['content-length']);
    if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash)) {
      throw new S3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a streaming mode or a SHA-256 hex digest.');
    }
  }
  const checks = headerChecks(headers);
  const signedSha = !isStreaming(payloadHash) && payloadHash !== UNSIGNED_PAYLOAD ? payloadHash : null;
  const verifier = signedSha || checks.length > 0 ? new BodyVerifier(signedSha, checks) : null;
  if (verifier) stages.push(verifier);
  // The gate holds the last piece back until every check passed: an object server that
  // never sees the last byte of a Content-Length body never commits it.
  const out = stages.length === 0 ? body : (pipeline([body, ...stages, new HoldLast()], () => {}) as unknown as Readable);
  return {
    body: out,
    ...(length !== undefined ? { length } : {}),
    failure: () => stages.find((s) => s.failure)?.failure ?? null,
    checksums: () => ({ ...(chunked?.verified ?? {}), ...(verifier?.verified ?? {}) }),
  };
}

/** A small request body (an XML document), decoded and verified, whole: at most `maxBytes`. */
export async function readSmallPayload(
  body: Readable | null,
  headers: Record<string, string>,
  auth: PayloadAuth,
  maxBytes: number,
): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const decoded = decodePayload(body, headers, auth);
  if (decoded.length !== undefined && decoded.length > maxBytes) throw new S3Error('InvalidRequest', `The request body is over ${maxBytes} bytes.`);
  // A client sending Expect: 100-continue waits for it before the body (curl does for
  // bodies over 1 KiB, e.g. a DeleteObjects of many keys).
  auth.continueBody?.();
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of decoded.body) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) throw new S3Error('InvalidRequest', `The request body is over ${maxBytes} bytes.`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw decoded.failure() ?? (err instanceof S3Error ? err : new S3Error('IncompleteBody'));
  }
  return Buffer.concat(chunks);
}
