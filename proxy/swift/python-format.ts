// URL-quoting as Swift's Python does it where clients see the result (names in SLO and
// bulk reports, X-Copied-From): urllib's quote(name, safe='/'). (JSON as json.dumps
// writes it lives with the listings: listing-format.ts's pythonJson.)

/** Python's urllib.parse.quote(text, safe='/') over the UTF-8 bytes. */
export function pythonQuote(text: string): string {
  return encodeURIComponent(text)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
