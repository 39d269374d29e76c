/**
 * The JSON nesting limit of the JSON faces (HTTP bodies, WebSocket frames), checked on the raw
 * text before it is parsed. Why before: V8's JSON.parse copes with deep nesting, but everything
 * after it (validation, re-encoding a value with JSON.stringify, rendering) recurses, and a body of
 * 100,000 nested arrays overflowed the stack there (a 500). A scan is one pass over bytes that the
 * parser reads anyway, and refuses the request before any object is built.
 *
 * Only `[` and `{` outside strings open a level; a string is skipped from its opening quote to the
 * next quote not escaped by a backslash. Malformed JSON is left for the parser to refuse: this scan
 * says nothing about validity, only about depth.
 */
import { SpoolError } from '@spool/common';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Default most levels of nesting (an object or array inside another counts one more), as Jackson's
 * StreamReadConstraints: deep enough for any document a person designs, shallow enough that every
 * recursive step after parsing stays far from the stack's end (a test produces a record at this
 * depth). SPOOL_MAX_JSON_DEPTH.
 */
export const DEFAULT_MAX_JSON_DEPTH = 1000;

/**
 * The deepest nesting in `text` (UTF-8 bytes or a string: every byte or code unit that matters is
 * ASCII, and no multi-byte UTF-8 sequence contains an ASCII byte), or maxDepth + 1 as soon as it is
 * crossed (the scan stops there).
 */
export function jsonDepthOf(text: Uint8Array | string, maxDepth: number): number {
  const bytes = typeof text !== 'string';
  const length = text.length;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = bytes ? (text as Uint8Array)[i] : (text as string).charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return deepest;
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return deepest;
}

/** Throws INVALID_REQUEST (reason json-too-deep, 400 on HTTP, an error frame on WebSocket) past maxDepth. */
export function assertJsonDepth(text: Uint8Array | string, maxDepth: number, what: string): void {
  // Each level opens with its own byte (code unit), so a text no longer than maxDepth cannot nest
  // deeper: most records are that short, and the scan was a pass over every byte of each.
  if (text.length <= maxDepth) return;
  if (jsonDepthOf(text, maxDepth) > maxDepth) {
    throw new SpoolError('INVALID_REQUEST', `${what} nests JSON more than ${maxDepth} levels deep`, { reason: 'json-too-deep', limit: maxDepth });
  }
}
