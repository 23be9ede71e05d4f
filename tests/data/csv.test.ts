import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from '../../src/data/csv.js';

describe('RFC 4180 CSV', () => {
  it('reads quotes, doubled quotes, embedded commas and newlines, CRLF and a BOM', () => {
    const text = '\uFEFFid,name\r\n1,"Smith, Jane"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n4,\r\n';
    const parsed = parseCsv(text);
    expect(parsed).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ['id', 'name'] },
        { line: 2, fields: ['1', 'Smith, Jane'] },
        { line: 3, fields: ['2', 'say "hi"'] },
        { line: 4, fields: ['3', 'two\r\nlines'] },
        { line: 6, fields: ['4', ''] },
      ],
    });
  });

  it('skips blank lines but keeps physical line numbers', () => {
    const parsed = parseCsv('a,b\n\n1,2\n');
    expect(parsed).toEqual({ ok: true, records: [{ line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['1', '2'] }] });
  });

  it('skips the empty rows spreadsheets export (",,,"), also quoted, and counts their lines', () => {
    const parsed = parseCsv('a,b\n,\n1,2\n" ", "\n"\n3,4\n');
    expect(parsed).toEqual({ ok: true, records: [{ line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['1', '2'] }, { line: 6, fields: ['3', '4'] }] });
  });

  it('reports an unclosed quote at the line it opens', () => {
    expect(parseCsv('a,b\n1,"open\nstill\n')).toMatchObject({ ok: false, line: 2 });
    expect(parseCsv('a\nx"y\n')).toMatchObject({ ok: false, line: 2 });
  });

  it('writes what it reads', () => {
    const text = formatCsv(['rule', 'amount'], [['AE, "FY26"', '15500.00'], ['multi\nline', null]]);
    expect(text).toBe('rule,amount\r\n"AE, ""FY26""",15500.00\r\n"multi\nline",\r\n');
    const back = parseCsv(text);
    expect(back.ok && back.records.map((r) => r.fields)).toEqual([['rule', 'amount'], ['AE, "FY26"', '15500.00'], ['multi\nline', '']]);
  });
});

describe('spaces around quoted fields, as some CRM exports pad them', () => {
  it('are dropped, while spaces inside the quotes are kept', () => {
    const parsed = parseCsv('"id" , "name"\r\n"r1",  "  Ada, Lovelace " \r\n');
    expect(parsed).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ['id', 'name'] },
        { line: 2, fields: ['r1', '  Ada, Lovelace '] },
      ],
    });
  });
});
