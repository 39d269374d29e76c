/**
 * The `content-type` record header: how a record says what its value is, so a reader can tell a
 * JSON value from a string that merely looks like JSON ("42", "{...}") and from bytes that happen
 * to be UTF-8. The header name and media types are those of the CloudEvents Kafka binding.
 *
 * - HTTP and WebSocket produce mark `valueFormat=string` values `text/plain; charset=utf-8` and
 *   `valueFormat=binary` values `application/octet-stream` (unless the record sets its own
 *   content-type). JSON values, the default and the hot path, carry no header: stored bytes that
 *   parse as JSON are JSON unless a header says otherwise. (Marking every JSON value would add
 *   ~30 bytes to each stored record and ~40 to each rendered one; see docs/decisions.md.)
 * - The `auto` rendering honours the header whoever wrote it (a Kafka producer may set it too):
 *   `text/*` renders a UTF-8 value as a string, `application/octet-stream` as base64,
 *   `application/json` or `*+json` as JSON when it is JSON. Without the header the bytes decide.
 *   Explicit formats ignore it.
 */

export const CONTENT_TYPE_HEADER = 'content-type';
export const TEXT_PLAIN_UTF8 = 'text/plain; charset=utf-8';
export const OCTET_STREAM = 'application/octet-stream';

/** What a content-type says about the value. */
export const enum ValueHint {
  None = 0,
  Json = 1,
  Text = 2,
  Binary = 3,
}

export function hintOfContentType(value: string): ValueHint {
  const semicolon = value.indexOf(';');
  const mediaType = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return ValueHint.Json;
  if (mediaType.startsWith('text/')) return ValueHint.Text;
  if (mediaType === OCTET_STREAM) return ValueHint.Binary;
  return ValueHint.None;
}

const NAME_BYTES = Buffer.from(CONTENT_TYPE_HEADER, 'latin1');

/** Whether header-name bytes are `content-type`, in any letter case. */
export function isContentTypeName(src: Uint8Array, start: number, end: number): boolean {
  if (end - start !== NAME_BYTES.length) return false;
  for (let i = 0; i < NAME_BYTES.length; i++) {
    let c = src[start + i];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== NAME_BYTES[i]) return false;
  }
  return true;
}
