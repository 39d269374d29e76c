/**
 * JSON on bytes, for rendering stored records without parsing them into JavaScript values:
 *
 * - `copyJson` checks that bytes are exactly one JSON text (RFC 8259, the grammar JSON.parse
 *   accepts: whitespace = space, tab, LF, CR; no BOM; strings of well-formed UTF-8 without raw
 *   control characters) while copying it into an outgoing JSON document, without the whitespace
 *   between tokens (so it also fits one SSE `data:` line). Whatever parses the document gets
 *   exactly the value JSON.parse would have given for the stored bytes, which are never parsed
 *   into values and re-serialized. One pass: the check and the copy are the same loop.
 *   json-bytes.spec.ts checks the verdict against JSON.parse on generated, mutated and random
 *   inputs, since a checker more lenient than the client's parser would break whole frames.
 * - `writeJsonString` writes bytes as a JSON string literal when they are well-formed UTF-8.
 *
 * Well-formed UTF-8 is Unicode's Table 3-7: no overlong forms, no surrogates (ED A0..BF), nothing
 * above U+10FFFF. Escaped lone surrogates (`"\ud800"`) are valid JSON text and pass, as in JSON.parse.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index after a well-formed UTF-8 sequence starting at `i` (a byte >= 0x80), or -1. */
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

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Open containers while copying: 1 = object, 2 = array (grown on demand: no depth limit but the input's size). */
let containerStack = new Uint8Array(64);
/** Where copyJson's helpers left off in the output. */
let outPos = 0;

/** 1 for the bytes that stand for themselves inside a JSON string: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/** Copies a string body from after its opening quote; returns the index after the closing quote, or -1. */
function copyStringBody(b: Uint8Array, i: number, end: number, out: Uint8Array): number {
  let o = outPos;
  while (i < end) {
    let c = b[i];
    // The common run: one table load and one store per byte.
    while (PLAIN[c] === 1) {
      out[o++] = c;
      if (++i === end) return -1;
      c = b[i];
    }
    if (c === QUOTE) {
      out[o++] = c;
      outPos = o;
      return i + 1;
    } else if (c === BACKSLASH) {
      if (i + 1 >= end) return -1;
      const e = b[i + 1];
      if (e === 0x75 /* u */) {
        if (i + 5 >= end || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1;
        for (let k = 0; k < 6; k++) out[o++] = b[i + k];
        i += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        out[o++] = c;
        out[o++] = e;
        i += 2;
      } else return -1;
    } else if (c < 0x20) {
      return -1;
    } else {
      const next = utf8SequenceEnd(b, i, end);
      if (next < 0) return -1;
      while (i < next) out[o++] = b[i++];
    }
  }
  return -1;
}

/** Copies a number starting at `i`; returns the index after it, or -1. */
function copyNumber(b: Uint8Array, i: number, end: number, out: Uint8Array): number {
  const start = i;
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
  let o = outPos;
  for (let k = start; k < i; k++) out[o++] = b[k];
  outPos = o;
  return i;
}

function copyWord(b: Uint8Array, i: number, end: number, word: string, out: Uint8Array): number {
  if (i + word.length > end) return -1;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1;
  let o = outPos;
  for (let k = 0; k < word.length; k++) out[o++] = b[i + k];
  outPos = o;
  return i + word.length;
}

function skipWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWhitespace(b[i])) i++;
  return i;
}

/** Copies `"key" ws :` from `i` (at the quote); returns the index after the colon, or -1. */
function copyKey(b: Uint8Array, i: number, end: number, out: Uint8Array): number {
  if (i >= end || b[i] !== QUOTE) return -1;
  out[outPos++] = QUOTE;
  i = copyStringBody(b, i + 1, end, out);
  if (i < 0) return -1;
  i = skipWhitespace(b, i, end);
  if (i >= end || b[i] !== 0x3a /* : */) return -1;
  out[outPos++] = 0x3a;
  return i + 1;
}

/**
 * When `src[start, end)` is exactly one JSON text, writes it into `out` at `pos` without the
 * whitespace between tokens and returns the position after it; else returns -1 (bytes written
 * past `pos` are garbage to be overwritten). `out` needs room for `end - start` bytes. Iterative:
 * deep nesting costs memory proportional to the depth, not stack.
 */
export function copyJson(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  const b = src;
  outPos = pos;
  let depth = 0;
  let i = start;
  // true: a value is expected next; false: a value just ended.
  let wantValue = true;
  for (;;) {
    i = skipWhitespace(b, i, end);
    if (wantValue) {
      if (i >= end) return -1;
      const c = b[i];
      wantValue = false;
      if (c === QUOTE) {
        out[outPos++] = QUOTE;
        i = copyStringBody(b, i + 1, end, out);
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (depth === containerStack.length) {
          const grown = new Uint8Array(containerStack.length * 2);
          grown.set(containerStack);
          containerStack = grown;
        }
        containerStack[depth++] = c === 0x7b ? 1 : 2;
        out[outPos++] = c;
        i = skipWhitespace(b, i + 1, end);
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (i < end && b[i] === close) {
          // empty container
          out[outPos++] = close;
          depth--;
          i++;
        } else {
          wantValue = true;
          if (c === 0x7b) i = copyKey(b, i, end, out);
        }
      } else if (c === 0x2d || isDigit(c)) {
        i = copyNumber(b, i, end, out);
      } else if (c === 0x74) {
        i = copyWord(b, i, end, 'true', out);
      } else if (c === 0x66) {
        i = copyWord(b, i, end, 'false', out);
      } else if (c === 0x6e) {
        i = copyWord(b, i, end, 'null', out);
      } else return -1;
      if (i < 0) return -1;
      continue;
    }
    // after a value
    if (depth === 0) return i === end ? outPos : -1;
    if (i >= end) return -1;
    const c = b[i];
    const top = containerStack[depth - 1];
    if (c === 0x2c /* , */) {
      out[outPos++] = c;
      i++;
      if (top === 1) {
        i = copyKey(b, skipWhitespace(b, i, end), end, out);
        if (i < 0) return -1;
      }
      wantValue = true;
    } else if ((c === 0x7d && top === 1) || (c === 0x5d && top === 2)) {
      out[outPos++] = c;
      depth--;
      i++;
    } else return -1;
  }
}

let scratch = new Uint8Array(1024);

/** Whether `src[start, end)` is exactly one JSON text (copyJson into a scratch buffer). */
export function isJsonText(src: Uint8Array, start: number, end: number): boolean {
  if (scratch.length < end - start) scratch = new Uint8Array(end - start);
  return copyJson(src, start, end, scratch, 0) >= 0;
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
    let c = src[i];
    while (PLAIN[c] === 1) {
      out[pos++] = c;
      if (++i === end) {
        out[pos++] = QUOTE;
        return pos;
      }
      c = src[i];
    }
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
