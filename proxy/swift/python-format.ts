// Byte-exact renderings of what Swift's Python produces, where clients see them: JSON as
// json.dumps writes it (", " and ": " separators, non-ASCII escaped as \uXXXX) and
// URL-quoting as urllib's quote(name, safe='/').

/** Python's json.dumps(value[, sort_keys=True]) for JSON-shaped values (integers only). */
export function pythonJson(value: unknown, sortKeys = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return pythonJsonString(value);
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v, sortKeys)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${pythonJsonString(k)}: ${pythonJson(v, sortKeys)}`).join(', ')}}`;
}

/** A JSON string with ensure_ascii: everything outside printable ASCII as \uXXXX (surrogate pairs for astral characters). */
function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's urllib.parse.quote(text, safe='/') over the UTF-8 bytes. */
export function pythonQuote(text: string): string {
  return encodeURIComponent(text)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
