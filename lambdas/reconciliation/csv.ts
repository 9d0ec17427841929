/**
 * A streaming CSV reader (RFC 4180): records are read from chunks as they arrive, never from the whole file,
 * with quoted cells ("a,b", "say ""hi""", cells spanning lines) and CRLF or LF line ends. Each record carries
 * the physical line it starts on, so a report can point a person at it. A malformed record (an unterminated
 * quote, text after a closing quote, a record longer than the limit) is answered as an error with its line,
 * and reading goes on with the next line.
 */

export interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

export interface CsvError {
  readonly line: number;
  readonly error: string;
}

export type CsvItem = CsvRecord | CsvError;

export const isCsvError = (item: CsvItem): item is CsvError => 'error' in item;

/** A record longer than this is not a settlement row: it is reported and skipped (bounds memory). */
export const MAX_RECORD_CHARS = 1_000_000;

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

interface Parsed {
  /** Records (or errors) complete in the text. */
  readonly items: CsvItem[];
  /** Where the first incomplete record starts. */
  readonly consumed: number;
  /** Physical lines consumed. */
  readonly lines: number;
}

/** Parses complete records of `text`; `final` = no more text will come, so an open record is an error. */
function parse(text: string, firstLine: number, final: boolean): Parsed {
  const items: CsvItem[] = [];
  const n = text.length;
  let pos = 0;
  let line = firstLine;
  while (pos < n) {
    const start = pos;
    const startLine = line;
    const cells: string[] = [];
    let error: string | undefined;
    let complete = false;
    let i = pos;
    for (;;) {
      if (i < n && text.charCodeAt(i) === QUOTE) {
        // Quoted cell: up to the closing quote; "" is a quote inside.
        let value = '';
        let from = i + 1;
        let closed = -1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) break;
          if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          if (q + 1 >= n && !final) break; // the next chunk may start with a second quote
          value += text.slice(from, q);
          closed = q;
          break;
        }
        if (closed < 0) {
          if (!final) return { items, consumed: start, lines: startLine - firstLine };
          error = 'unterminated quoted cell';
          // Resynchronise on the line the record started on, not the end of the file.
          i = start;
          break;
        }
        for (let k = i; k < closed; k++) if (text.charCodeAt(k) === LF) line++;
        cells.push(value);
        i = closed + 1;
        if (i >= n) {
          if (!final) return { items, consumed: start, lines: startLine - firstLine };
          complete = true;
          break;
        }
        const c = text.charCodeAt(i);
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF || (c === CR && i + 1 < n && text.charCodeAt(i + 1) === LF)) {
          i += c === CR ? 2 : 1;
          line++;
          complete = true;
          break;
        }
        if (c === CR && i + 1 >= n && !final) return { items, consumed: start, lines: startLine - firstLine };
        error = 'text after a closing quote';
        break;
      }
      // Unquoted cell: up to the next comma or line end.
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === LF) break;
        j++;
      }
      if (j >= n && !final) return { items, consumed: start, lines: startLine - firstLine };
      let end = j;
      if (end > i && text.charCodeAt(end - 1) === CR && (j >= n || text.charCodeAt(j) === LF)) end--;
      const cell = text.slice(i, end);
      if (cell.includes('"')) {
        error = 'quote inside an unquoted cell';
        i = j;
        break;
      }
      cells.push(cell);
      if (j < n && text.charCodeAt(j) === COMMA) {
        i = j + 1;
        continue;
      }
      i = j < n ? j + 1 : j;
      if (j < n) line++;
      complete = true;
      break;
    }
    if (error !== undefined) {
      // Skip to the end of the physical line the error is on, and go on from there.
      const nl = text.indexOf('\n', i);
      if (nl < 0 && !final) return { items, consumed: start, lines: startLine - firstLine };
      const stop = nl < 0 ? n : nl;
      line = startLine + (nl < 0 ? 0 : 1);
      for (let k = start; k < stop; k++) if (text.charCodeAt(k) === LF) line++;
      pos = nl < 0 ? n : nl + 1;
      items.push({ line: startLine, error });
      continue;
    }
    if (complete) {
      pos = i;
      // A blank line is not a record.
      if (!(cells.length === 1 && cells[0] === '')) items.push({ line: startLine, cells });
    }
  }
  return { items, consumed: pos, lines: line - firstLine };
}

/** Records of a stream of text or bytes (UTF-8), one at a time. */
export async function* csvRecords(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<CsvItem> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let line = 1;
  let first = true;
  for await (const chunk of source) {
    let text = carry + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark
    first = false;
    const parsed = parse(text, line, false);
    line += parsed.lines;
    carry = text.slice(parsed.consumed);
    yield* parsed.items;
    if (carry.length > MAX_RECORD_CHARS) {
      // An unterminated quote swallowing the file, or not a CSV: report it and resynchronise on a line end.
      yield { line, error: `record longer than ${MAX_RECORD_CHARS} characters` };
      const nl = carry.indexOf('\n', MAX_RECORD_CHARS);
      carry = nl < 0 ? '' : carry.slice(nl + 1);
      line++;
    }
  }
  const rest = carry + decoder.decode();
  if (rest.length > 0) yield* parse(rest, line, true).items;
}
