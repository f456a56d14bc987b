// XML in and out of the S3 API, through fast-xml-parser: every document the proxy writes
// is built from plain objects (escaping is the library's job), every document a client
// sends is validated first (MalformedXML) and parsed with values kept as strings.
// No S3 document has a document type, so one with a DOCTYPE is refused before parsing:
// its entity declarations are how billion-laughs and external-entity bodies work.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
/** Elements that may repeat; they always parse as arrays, even when there is one. */
const REPEATED = new Set(['Object', 'Part', 'CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'Grant']);
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  removeNSPrefix: true,
  isArray: (name) => REPEATED.has(name),
});

/** `{Root: {...}}` → an XML document; the root gets S3's namespace unless told otherwise. */
export function toXml(root: string, body: Record<string, unknown>, xmlns: string | null = S3_XMLNS): string {
  const element = xmlns ? { '@_xmlns': xmlns, ...body } : body;
  return DECLARATION + builder.build({ [root]: element });
}

/** A client's XML body: MalformedXML unless it is well-formed and its root is `root`. */
export function parseXml(text: string, root: string): Record<string, unknown> {
  if (text.trim() === '' || /<!DOCTYPE/i.test(text) || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch {
    // Whatever the parser cannot take is the client's document, not a fault of ours.
    throw new S3Error('MalformedXML');
  }
  const element = doc[root];
  if (element === undefined) throw new S3Error('MalformedXML');
  return typeof element === 'object' && element !== null ? (element as Record<string, unknown>) : {};
}
