// EC2 credentials: the record id of an access key (Keystone's: sha256 of it, so a service
// holding the key finds the record with one GET /v3/credentials/{id}), and the signature
// check of Keystone's POST /v3/s3tokens: the caller (Swift's s3token
// middleware, or our proxy) sends the string an S3 client signed, base64-encoded, and the
// signature; identity recomputes it with the credential's secret. A string starting with
// "AWS4" is Signature V4 (its third line is the scope date/region/s3/aws4_request the key
// is derived from); anything else is V1/V2's HMAC-SHA1, base64. The comparison takes the
// same time whatever matches.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ec2CredentialId = (access: string) => createHash('sha256').update(access).digest('hex');

const V4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** The signature of `stringToSign` under `secret`, or null when a V4 string is malformed (Keystone: "Invalid EC2 signature."). */
export function s3Signature(stringToSign: Buffer, secret: string): string | null {
  if (stringToSign.subarray(0, 4).toString('latin1') !== 'AWS4') {
    return createHmac('sha1', secret).update(stringToSign).digest('base64');
  }
  const lines = stringToSign.toString('utf8').split('\n');
  if (lines.length !== 4 || lines[0] !== V4_ALGORITHM) return null;
  const scope = lines[2]!.split('/');
  if (scope.length !== 4 || scope[2] !== 's3' || scope[3] !== 'aws4_request') return null;
  let key: Buffer = Buffer.from(`AWS4${secret}`, 'utf8');
  for (const part of scope) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/** Whether `signature` is the signature of the base64 `token` under `secret`. */
export function s3SignatureMatches(token: string, signature: string, secret: string): boolean {
  const expected = s3Signature(Buffer.from(token, 'base64'), secret);
  if (expected === null) return false;
  const a = Buffer.from(signature, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
