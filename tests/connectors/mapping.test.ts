// CRM mappings (rules/crm/*.yaml) as `salesflow check` reports them: positions, carets and
// did-you-mean like rule diagnostics; a team's file merged over its preset.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInMapping, findMapping, loadMappings } from '../../src/connectors/mapping/load.js';
import { formatDiagnostics } from '../../src/dsl/index.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');

describe('salesflow check on CRM mappings', () => {
  it('reports every mistake in a mapping at its line and column, with a caret and did-you-mean', async () => {
    const run = await salesflow(['check', 'bad'], join(tempDir(), 'x.db'), root);
    expect(run.code).toBe(1);
    const out = run.stdout;
    expect(out).toContain('bad/crm/hubspot.yaml:2:11: error: "Europe/Berln" is not an IANA time zone like Europe/Berlin [SF1206]');
    expect(out).toContain('bad/crm/hubspot.yaml:5:5: error: deal has no field "amout" [SF1203]\n      amout: amount\n      ^~~~~\n  did you mean amount?');
    expect(out).toContain('bad/crm/hubspot.yaml:7:16: error: the stage of "closedwon" must be one of open, won, lost, not "wonn" [SF1204]');
    expect(out).toContain('did you mean won?');
    expect(out).toContain('bad/crm/hubspot.yaml:9:10: error: "deal.wom" is not an event a deal can become; expected one of deal.created, deal.updated, deal.won, deal.lost, or none [SF1208]');
    expect(out).toContain('did you mean deal.won?');
    expect(out).toContain('bad/crm/hubspot.yaml:10:13: error: "usd" is not a currency code');
    expect(out).toContain('bad/crm/hubspot.yaml:12:3: error: unknown key "stages" in lead');
    expect(out).toContain('bad/crm/hubspot.yaml:14:1: error: unknown key "webhok" in the mapping');
    expect(out).toContain('did you mean webhook?');
    // The rule file beside it is still checked in the same run: a clean rule adds nothing.
    expect(run.stderr).toMatch(/2 files checked: 7 errors, 0 warnings/);
  });

  it('gives the same diagnostics as JSON for CI', async () => {
    const run = await salesflow(['check', '--format', 'json', 'bad'], join(tempDir(), 'x.db'), root);
    const rows = JSON.parse(run.stdout) as { file: string; line: number; col: number; code: string; message: string }[];
    expect(rows).toContainEqual(expect.objectContaining({ file: 'bad/crm/hubspot.yaml', line: 5, col: 5, code: 'SF1203', message: 'deal has no field "amout"; did you mean amount?' }));
  });

  it('passes a good rules folder with its mappings', async () => {
    const run = await salesflow(['check', 'rules'], join(tempDir(), 'x.db'), root);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('3 files checked: 0 errors, 0 warnings');
    expect(run.code).toBe(0);
  });

  it('reports broken YAML with its position instead of failing', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'rules', 'crm'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'crm', 'zoho.yaml'), 'preset: zoho\ndeal:\n  fields: [unclosed\n');
    const loaded = loadMappings([join(dir, 'rules')], dir);
    expect(loaded.mappings).toEqual([]);
    expect(loaded.diagnostics[0]).toMatchObject({ file: 'rules/crm/zoho.yaml', code: 'SF1201', severity: 'error' });
    expect(formatDiagnostics(loaded.diagnostics, 'text')).toMatch(/^rules\/crm\/zoho\.yaml:\d+:\d+: error: not valid YAML/);
  });

  it('warns when a generic source declares no signature, and refuses two files adjusting one preset', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'rules', 'crm'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'crm', 'custom.yaml'), 'deal:\n  objects: [Deal]\n  fields: { id: id, rep: owner, amount: total, stage: status }\n  currency: EUR\n');
    writeFileSync(join(dir, 'rules', 'crm', 'hs-a.yaml'), 'preset: hubspot\n');
    writeFileSync(join(dir, 'rules', 'crm', 'hs-b.yaml'), 'preset: hubspot\n');
    const loaded = loadMappings([join(dir, 'rules')], dir);
    const text = formatDiagnostics(loaded.diagnostics, 'text');
    expect(text).toContain('rules/crm/custom.yaml:1:1: warning: no webhook.signature: POST /webhooks/generic/custom refuses every request');
    expect(text).toContain('rules/crm/hs-b.yaml:1:1: error: preset hubspot is already adjusted by rules/crm/hs-a.yaml');
    // A preset's events are named after its file: hs-a.yaml would name HubSpot's hs-a:ID, not hubspot:ID.
    expect(text).toContain('rules/crm/hs-a.yaml:1:9: warning: name a file with preset hubspot hubspot.yaml: events from hubspot are named hs-a:ID through this file but hubspot:ID through the built-in preset or a hubspot.yaml, so a change hubspot sends again after the file is added, renamed or removed is taken as new [SF1214]');
  });
});

describe('deal.missing_amount', () => {
  it('is checked at its line and column: a misspelt choice, an unknown stage, the key on a lead', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'rules', 'crm'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'crm', 'hubspot.yaml'), 'preset: hubspot\ndeal:\n  missing_amount: { won: zeroo, closed: skip }\nlead:\n  missing_amount: zero\n');
    writeFileSync(join(dir, 'rules', 'crm', 'zoho.yaml'), 'preset: zoho\ndeal:\n  missing_amount: later\n');
    const loaded = loadMappings([join(dir, 'rules')], dir);
    expect(loaded.mappings).toEqual([]);
    const text = formatDiagnostics(loaded.diagnostics, 'text');
    expect(text).toContain('rules/crm/hubspot.yaml:3:26: error: deal.missing_amount.won must be one of error, zero, skip, not "zeroo" [SF1204]\n' +
      '    missing_amount: { won: zeroo, closed: skip }\n' + ' '.repeat(27) + '^~~~~\n  did you mean zero?');
    expect(text).toContain('rules/crm/hubspot.yaml:3:33: error: unknown key "closed" in deal.missing_amount; expected one of open, won, lost [SF1202]');
    expect(text).toContain('rules/crm/hubspot.yaml:5:3: error: unknown key "missing_amount" in lead');
    expect(text).toContain('rules/crm/zoho.yaml:3:19: error: deal.missing_amount must be one of error, zero, skip, not "later" [SF1204]');
  });

  it('one choice for every stage, or stages over the default (open and lost stored at 0, won refused); absent, the mapping is as before', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'rules', 'crm'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'crm', 'hubspot.yaml'), 'preset: hubspot\ndeal:\n  missing_amount: skip\n');
    writeFileSync(join(dir, 'rules', 'crm', 'zoho.yaml'), 'preset: zoho\ndeal:\n  missing_amount: { won: zero }\n');
    writeFileSync(join(dir, 'rules', 'crm', 'salesforce.yaml'), 'preset: salesforce\n');
    const loaded = loadMappings([join(dir, 'rules')], dir);
    expect(loaded.diagnostics).toEqual([]);
    expect(findMapping(loaded.mappings, 'hubspot')!.deal.missingAmount).toEqual({ open: 'skip', won: 'skip', lost: 'skip' });
    expect(findMapping(loaded.mappings, 'zoho')!.deal.missingAmount).toEqual({ open: 'zero', won: 'zero', lost: 'zero' });
    expect(findMapping(loaded.mappings, 'salesforce')!.deal).not.toHaveProperty('missingAmount');
  });
});

describe('mapping over a preset', () => {
  it("keeps the preset's fields and stages and adds the team's", () => {
    const loaded = loadMappings([join(root, 'rules')], root);
    expect(loaded.diagnostics).toEqual([]);
    const hubspot = findMapping(loaded.mappings, 'hubspot')!;
    expect(hubspot.file).toBe('rules/crm/hubspot.yaml');
    expect(hubspot.timezone).toBe('America/New_York');
    expect(hubspot.deal.fields.amount).toEqual(['amount']);
    expect(hubspot.deal.fields.product).toEqual(['product_line']);
    expect(hubspot.deal.stages).toMatchObject({ closedwon: 'won', closedlost: 'lost', '98765432': 'won' });
    expect(hubspot.deal.csv.name).toEqual(['Deal Name']);
    // A CRM without a file is served by its built-in preset.
    expect(findMapping(loaded.mappings, 'salesforce')).toEqual(builtInMapping('salesforce'));
    expect(findMapping(loaded.mappings, 'fxiaoke')!.webhook.signature).toEqual({ header: 'X-Fs-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
    expect(findMapping(loaded.mappings, 'nosuchcrm')).toBeNull();
  });
});
