// The answer format Swift's bulk middleware shares with SLO (bulk.get_response_body): a
// result dictionary plus a list of [name, status] errors, as text/plain "Key: value"
// lines, JSON, or XML, whichever the client's Accept header prefers (swob's best_match).
import { pythonJson } from './python-format.js';

export const BULK_FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml'] as const;
export type BulkFormat = (typeof BULK_FORMATS)[number];

const TOKEN = '[^()<>@,;:\\\\"/\\[\\]?={}\\x00-\\x20\\x7f]+';
const QUOTED = '"(?:[^"]|(?:\\\\.))*"';
const EXTENSION = `(?:\\s*;\\s*(?:${TOKEN})\\s*=\\s*(?:${TOKEN}|${QUOTED}))`;
const MEDIA_RANGE = new RegExp(`^\\s*(${TOKEN})/(${TOKEN})(${EXTENSION}*?\\s*)$`);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * swob's Accept.best_match: the first option the most preferred media range (by q, exact
 * before globbed) matches; options[0] without an Accept header; null when nothing matches;
 * 'invalid' for a header that does not parse.
 */
export function bestMatch(accept: string | undefined, options: readonly string[]): string | null | 'invalid' {
  if (!accept) return options[0] ?? null;
  const types: { pattern: RegExp; q: number; exact: boolean }[] = [];
  for (const item of accept.split(',')) {
    const m = MEDIA_RANGE.exec(item);
    if (!m) return 'invalid';
    const [, type, subtype, params] = m as unknown as [string, string, string, string];
    let q = 1;
    let seenQ = false;
    for (const param of params.split(';').map((p) => p.trim()).filter(Boolean)) {
      const parts = param.split('=');
      if (parts.length !== 2) return 'invalid';
      if (parts[0]!.trim() !== 'q') continue;
      if (seenQ) return 'invalid';
      seenQ = true;
      q = Number(parts[1]!.trim());
      if (Number.isNaN(q)) return 'invalid';
    }
    const part = (p: string) => (p === '*' ? TOKEN : escapeRegExp(p));
    types.push({ pattern: new RegExp(`^${part(type)}/${part(subtype)}$`), q, exact: type !== '*' && subtype !== '*' });
  }
  // A stable sort by (q, exact), highest first, as Python's sort(reverse=True) keeps ties in order.
  types.sort((a, b) => b.q - a.q || Number(b.exact) - Number(a.exact));
  for (const { pattern } of types) {
    for (const option of options) if (pattern.test(option)) return option;
  }
  return null;
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** bulk.get_response_body: `fields` in insertion order for JSON, sorted for text and XML. */
export function bulkResponseBody(
  format: string | null,
  fields: Record<string, string | number>,
  errors: readonly (readonly [string, string])[],
  rootTag: 'upload' | 'delete',
): string {
  if (format === 'application/json') return pythonJson({ ...fields, Errors: errors });
  const keys = Object.keys(fields).sort();
  if (format?.endsWith('/xml')) {
    const lines = keys.map((k) => {
      const tag = k.replaceAll(' ', '_').toLowerCase();
      return `<${tag}>${xmlEscape(String(fields[k]))}</${tag}>\n`;
    });
    const objects = errors.map(([name, status]) => `<object><name>${xmlEscape(name)}</name><status>${xmlEscape(status)}</status></object>\n`);
    return `<${rootTag}>\n${lines.join('')}<errors>\n${objects.join('')}</errors>\n</${rootTag}>\n`;
  }
  return `${keys.map((k) => `${k}: ${fields[k]}\n`).join('')}Errors:\n${errors.map(([name, status]) => `${name}, ${status}\n`).join('')}`;
}
