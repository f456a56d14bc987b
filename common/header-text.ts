// Header values between the wire and the code. Node (and undici) hand header values over
// as latin1 strings, one char per byte, and write them back the same way; Swift reads
// those bytes as UTF-8. So a value is decoded once where it arrives and encoded once
// where it leaves, and everything in between works with text. Bytes that are not UTF-8
// (object metadata may hold any) survive the round trip as lone surrogates U+DC80…U+DCFF,
// as Python's "surrogateescape" keeps them.

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const ESCAPED_BYTE = /[\udc80-\udcff]/;

/** The text a header value's bytes spell in UTF-8; invalid bytes become U+DC80 + byte. */
export function textFromWire(wire: string): string {
  if (ASCII_ONLY.test(wire)) return wire;
  const bytes = Buffer.from(wire, 'latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeEscapingInvalid(bytes);
  }
}

/** The wire form (latin1 string of the UTF-8 bytes) of a text; escaped bytes go back as themselves. */
export function wireFromText(text: string): string {
  if (ASCII_ONLY.test(text)) return text;
  if (!ESCAPED_BYTE.test(text)) return Buffer.from(text, 'utf8').toString('latin1');
  let wire = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    wire += code >= 0xdc80 && code <= 0xdcff ? String.fromCharCode(code - 0xdc00) : Buffer.from(char, 'utf8').toString('latin1');
  }
  return wire;
}

/** Whether a text came from bytes that were all valid UTF-8. */
export const isValidUtf8Text = (text: string) => !ESCAPED_BYTE.test(text);

/** Every value of a header record decoded (names are ASCII tokens and stay as they are). */
export function headersFromWire(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = textFromWire(value);
  return out;
}

/** Every value of a header record encoded for the wire. */
export function headersToWire(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = wireFromText(value);
  return out;
}

/** Decodes valid UTF-8 sequences and maps every byte outside them to U+DC00 + byte. */
function decodeEscapingInvalid(bytes: Buffer): string {
  let text = '';
  let start = 0;
  while (start < bytes.length) {
    const length = validSequenceLength(bytes, start);
    if (length === 0) {
      text += String.fromCharCode(0xdc00 + bytes[start]!);
      start += 1;
    } else {
      text += bytes.toString('utf8', start, start + length);
      start += length;
    }
  }
  return text;
}

/** The length of the well-formed UTF-8 sequence at `i` (RFC 3629 table), 0 if there is none. */
function validSequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < bytes.length && bytes[i + k]! >= lo && bytes[i + k]! <= hi;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 >= 0xe1 && b0 <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
