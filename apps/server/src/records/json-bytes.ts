/**
 * JSON on bytes, for rendering stored records without parsing them into JavaScript values:
 *
 * - `scanJson` says whether bytes are exactly one JSON text (RFC 8259, the grammar JSON.parse
 *   accepts: whitespace = space, tab, LF, CR; no BOM; strings of well-formed UTF-8 without raw
 *   control characters). A stored value that passes can be copied into an outgoing JSON document
 *   as it is (spliced), and whatever parses the document gets exactly the value JSON.parse would
 *   have given for the stored bytes. json-bytes.spec.ts checks the verdict against JSON.parse on
 *   random inputs, since a scanner more lenient than the client's parser would break whole frames.
 * - `writeJsonString` writes bytes as a JSON string literal when they are well-formed UTF-8.
 * - `writeCompactJson` copies a scanned JSON text without the whitespace outside strings (stored
 *   JSON with line breaks cannot go into an SSE `data:` line as it is).
 *
 * Well-formed UTF-8 is Unicode's Table 3-7: no overlong forms, no surrogates (ED A0..BF), nothing
 * above U+10FFFF. Escaped lone surrogates (`"\ud800"`) are valid JSON text and pass, as in JSON.parse.
 */

/** scanJson result: not one JSON text. */
export const JSON_INVALID = -1;
/** scanJson flag: valid, and the text holds CR or LF whitespace (compact it before an SSE line). */
export const JSON_HAS_LINE_BREAK = 1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The byte after a lead byte that starts a well-formed sequence, and the continuation count. */
function utf8SequenceEnd(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return -1;
  if (i + need >= end) return -1;
  const c1 = b[i + 1];
  if (c1 < lo || c1 > hi) return -1;
  for (let k = 2; k <= need; k++) {
    const ck = b[i + k];
    if (ck < 0x80 || ck > 0xbf) return -1;
  }
  return i + need + 1;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Scans a string body from after its opening quote; returns the index after the closing quote, or -1. */
function scanStringBody(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      if (i + 1 >= end) return -1;
      const e = b[i + 1];
      if (e === 0x75 /* u */) {
        if (i + 5 >= end || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1;
        i += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else return -1;
    } else if (c < 0x20) {
      return -1;
    } else if (c < 0x80) {
      i++;
    } else {
      i = utf8SequenceEnd(b, i, end);
      if (i < 0) return -1;
    }
  }
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Scans a number starting at `i`; returns the index after it, or -1. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d /* - */) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) {
    i++;
    while (i < end && isDigit(b[i])) i++;
  } else return -1;
  if (i < end && b[i] === 0x2e /* . */) {
    i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45) /* e E */) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

function matches(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** Open containers while scanning: 1 = object, 2 = array (grown on demand: no depth limit but the input's size). */
let containerStack = new Uint8Array(64);
/** Set by skipWhitespace when it passed a CR or LF. */
let sawLineBreak = false;

function skipWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === 0x20 || c === 0x09) i++;
    else if (c === 0x0a || c === 0x0d) {
      sawLineBreak = true;
      i++;
    } else break;
  }
  return i;
}

/** Scans `"key" ws :` from `i` (at the quote); returns the index after the colon, or -1. */
function scanKey(b: Uint8Array, i: number, end: number): number {
  if (i >= end || b[i] !== QUOTE) return -1;
  i = scanStringBody(b, i + 1, end);
  if (i < 0) return -1;
  i = skipWhitespace(b, i, end);
  if (i >= end || b[i] !== 0x3a /* : */) return -1;
  return i + 1;
}

/**
 * Whether `b[start, end)` is exactly one JSON text. Returns JSON_INVALID, or flags >= 0
 * (JSON_HAS_LINE_BREAK). Iterative: deep nesting costs memory proportional to the depth, not stack.
 */
export function scanJson(b: Uint8Array, start: number, end: number): number {
  sawLineBreak = false;
  let depth = 0;
  let i = start;
  // true: a value is expected next; false: a value just ended.
  let wantValue = true;
  for (;;) {
    i = skipWhitespace(b, i, end);
    if (wantValue) {
      if (i >= end) return JSON_INVALID;
      const c = b[i];
      wantValue = false;
      if (c === QUOTE) {
        i = scanStringBody(b, i + 1, end);
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (depth === containerStack.length) {
          const grown = new Uint8Array(containerStack.length * 2);
          grown.set(containerStack);
          containerStack = grown;
        }
        containerStack[depth++] = c === 0x7b ? 1 : 2;
        i = skipWhitespace(b, i + 1, end);
        if (i < end && b[i] === (c === 0x7b ? 0x7d : 0x5d)) {
          // empty container
          depth--;
          i++;
        } else {
          wantValue = true;
          if (c === 0x7b) i = scanKey(b, i, end);
        }
      } else if (c === 0x2d || isDigit(c)) {
        i = scanNumber(b, i, end);
      } else if (c === 0x74 && matches(b, i, end, 'true')) {
        i += 4;
      } else if (c === 0x66 && matches(b, i, end, 'false')) {
        i += 5;
      } else if (c === 0x6e && matches(b, i, end, 'null')) {
        i += 4;
      } else return JSON_INVALID;
      if (i < 0) return JSON_INVALID;
      continue;
    }
    // after a value
    if (depth === 0) return i === end ? (sawLineBreak ? JSON_HAS_LINE_BREAK : 0) : JSON_INVALID;
    if (i >= end) return JSON_INVALID;
    const c = b[i];
    const top = containerStack[depth - 1];
    if (c === 0x2c /* , */) {
      i++;
      if (top === 1) {
        i = scanKey(b, skipWhitespace(b, i, end), end);
        if (i < 0) return JSON_INVALID;
      }
      wantValue = true;
    } else if ((c === 0x7d && top === 1) || (c === 0x5d && top === 2)) {
      depth--;
      i++;
    } else return JSON_INVALID;
  }
}

const HEX = '0123456789abcdef';

/**
 * Writes `src[start, end)` as a JSON string literal (quotes included) into `out` at `pos` when the
 * bytes are well-formed UTF-8; returns the position after it, or -1 (nothing useful written).
 * `out` must have room for 2 + 6 x (end - start) bytes (every byte escaped as \u00XX at worst).
 */
export function writeJsonString(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  out[pos++] = QUOTE;
  let i = start;
  while (i < end) {
    const c = src[i];
    if (c >= 0x20 && c < 0x80) {
      if (c === QUOTE || c === BACKSLASH) out[pos++] = BACKSLASH;
      out[pos++] = c;
      i++;
    } else if (c < 0x20) {
      out[pos++] = BACKSLASH;
      if (c === 0x0a) out[pos++] = 0x6e;
      else if (c === 0x0d) out[pos++] = 0x72;
      else if (c === 0x09) out[pos++] = 0x74;
      else if (c === 0x08) out[pos++] = 0x62;
      else if (c === 0x0c) out[pos++] = 0x66;
      else {
        out[pos++] = 0x75;
        out[pos++] = 0x30;
        out[pos++] = 0x30;
        out[pos++] = HEX.charCodeAt(c >> 4);
        out[pos++] = HEX.charCodeAt(c & 15);
      }
      i++;
    } else {
      const next = utf8SequenceEnd(src, i, end);
      if (next < 0) return -1;
      while (i < next) out[pos++] = src[i++];
    }
  }
  out[pos++] = QUOTE;
  return pos;
}

/** Whether `src[start, end)` is well-formed UTF-8. */
export function isWellFormedUtf8(src: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    if (src[i] < 0x80) i++;
    else {
      i = utf8SequenceEnd(src, i, end);
      if (i < 0) return false;
    }
  }
  return true;
}

/**
 * Copies a JSON text that scanJson accepted, without whitespace outside strings; returns the
 * position after it. `out` needs room for `end - start` bytes.
 */
export function writeCompactJson(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = src[i];
    if (inString) {
      out[pos++] = c;
      if (c === BACKSLASH) out[pos++] = src[++i];
      else if (c === QUOTE) inString = false;
    } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      continue;
    } else {
      out[pos++] = c;
      if (c === QUOTE) inString = true;
    }
  }
  return pos;
}
