// The answer format Swift's bulk middleware shares with SLO (bulk.get_response_body): a
// result dictionary plus a list of [name, status] errors, as text/plain "Key: value"
// lines, JSON, or XML, whichever the client's Accept header prefers (swob's best_match).
import { SwiftError } from '../errors.js';
import { chooseListingFormat, pythonJson, type ListingFormat } from './listing-format.js';

/**
 * swob's Accept.best_match over bulk's formats (text/plain, application/json,
 * application/xml, text/xml — the listings' offers, so the listings' matcher serves):
 * text/plain without an Accept header, null when the header is malformed or nothing matches.
 */
export function bulkFormat(accept: string | undefined): ListingFormat | null {
  try {
    return chooseListingFormat(new Map(), accept);
  } catch (err) {
    if (err instanceof SwiftError) return null;
    throw err;
  }
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
