// Conditional reads with S3's precedence (RFC 7232 section 6, as the S3 GetObject and
// HeadObject references state it): If-Match decides and If-Unmodified-Since is then
// ignored; If-None-Match decides and If-Modified-Since is then ignored; a failed
// If-Match / If-Unmodified-Since (412) wins over a failed If-None-Match /
// If-Modified-Since (304). So If-Match true + If-Unmodified-Since false is 200, and
// If-None-Match false + If-Modified-Since true is 304.
// The object servers evaluate conditions in swob's order (If-None-Match, If-Match,
// If-Modified-Since, If-Unmodified-Since), which differs when a 412 kind and a 304 kind
// are both present: then the 412 kind is checked first with a HEAD, and the read carries
// only the 304 kind.

export interface ReadConditions {
  /** Conditions to check with a HEAD before the read (412 kind), when both kinds are present. */
  precheck?: Record<string, string>;
  /** Conditions the read itself carries. */
  read: Record<string, string>;
  /** The name of the 412-kind condition in force, for PreconditionFailed's Condition element. */
  condition412?: string;
}

export function readConditions(headers: Record<string, string>): ReadConditions {
  const fail: Record<string, string> = {};
  const notModified: Record<string, string> = {};
  let condition412: string | undefined;
  if (headers['if-match'] !== undefined) {
    fail['if-match'] = headers['if-match'];
    condition412 = 'If-Match';
  } else if (headers['if-unmodified-since'] !== undefined) {
    fail['if-unmodified-since'] = headers['if-unmodified-since'];
    condition412 = 'If-Unmodified-Since';
  }
  if (headers['if-none-match'] !== undefined) notModified['if-none-match'] = headers['if-none-match'];
  else if (headers['if-modified-since'] !== undefined) notModified['if-modified-since'] = headers['if-modified-since'];
  const out: ReadConditions = Object.keys(fail).length > 0 && Object.keys(notModified).length > 0 ? { precheck: fail, read: notModified } : { read: { ...fail, ...notModified } };
  if (condition412) out.condition412 = condition412;
  return out;
}
