// RFC 4180 CSV: quoted fields, doubled quotes inside quotes, commas and newlines inside quotes,
// CRLF or LF line ends, an optional UTF-8 byte-order mark, spaces around a quoted field. Every record carries the physical line
// it starts on, so an import error can point at the line a spreadsheet user sees.

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  fields: string[];
}

export type CsvParse =
  | { ok: true; records: CsvRecord[] }
  | { ok: false; line: number; message: string };

export function parseCsv(text: string): CsvParse {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quotedFieldOpenedAt = 0;
  // A record is "empty" until it has a character or a separator: blank lines are skipped.
  let started = false;

  const endField = () => { fields.push(field); field = ''; };
  const endRecord = () => {
    if (started) records.push({ line: recordLine, fields });
    fields = [];
    started = false;
  };

  while (i < input.length) {
    const ch = input[i];
    if (ch === '"' && /^[ \t]*$/.test(field)) {
      // Quoted field: runs to the next lone quote. Spaces padding it (`a, "b" ,c`, as some CRM
      // exports write) are outside the value and dropped.
      field = '';
      started = true;
      quotedFieldOpenedAt = line;
      i++;
      for (;;) {
        if (i >= input.length) {
          return { ok: false, line: quotedFieldOpenedAt, message: 'a quoted field is never closed (missing ")' };
        }
        const c = input[i];
        if (c === '"') {
          if (input[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      while (input[i] === ' ' || input[i] === '\t') i++;
      const next = input[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        return { ok: false, line, message: 'unexpected text after a closing quote (use "" for a quote inside a quoted field)' };
      }
      continue;
    }
    if (ch === ',') { started = true; endField(); i++; continue; }
    if (ch === '\r' || ch === '\n') {
      if (started || field !== '') { started = true; endField(); }
      endRecord();
      i += ch === '\r' && input[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    if (ch === '"') return { ok: false, line, message: 'a quote inside an unquoted field (quote the whole field and double the quote)' };
    started = true;
    field += ch;
    i++;
  }
  if (started || field !== '') { started = true; endField(); endRecord(); }
  return { ok: true, records };
}

/** Quote a field when it holds a comma, quote, CR or LF, or starts/ends with spaces. */
export function csvField(value: string | null | undefined): string {
  const text = value ?? '';
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatCsv(header: readonly string[], rows: (string | null | undefined)[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
