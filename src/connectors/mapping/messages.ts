// Diagnostic messages of CRM mappings (rules/crm/*.yaml), in the rule language's catalog style:
// stable codes in their own range (SF12xx), severity, text with {0}-style holes. docs/crm.md lists them.
import type { Severity } from '../../dsl/index.js';

export interface MappingMessage {
  code: string;
  severity: Severity;
  text: string;
}

const m = (code: string, severity: Severity, text: string): MappingMessage => ({ code, severity, text });

export const mappingMessages = {
  yamlSyntax: m('SF1201', 'error', 'not valid YAML: {0}'),
  unknownKey: m('SF1202', 'error', 'unknown key "{0}" in {1}; expected one of {2}'),
  unknownField: m('SF1203', 'error', '{0} has no field "{1}"'),
  badChoice: m('SF1204', 'error', '{0} must be one of {1}, not "{2}"'),
  badType: m('SF1205', 'error', '{0} must be {1}'),
  badTimezone: m('SF1206', 'error', '"{0}" is not an IANA time zone like Europe/Berlin'),
  badCurrency: m('SF1207', 'error', '"{0}" is not a currency code: 3 capital letters (ISO 4217), like EUR or USD'),
  badEvent: m('SF1208', 'error', '"{0}" is not an event a {1} can become; expected one of {2}, or none'),
  presetTwice: m('SF1209', 'error', 'preset {0} is already adjusted by {1}: one file per CRM'),
  noSignature: m('SF1210', 'warning', 'no webhook.signature: POST /webhooks/generic/{0} refuses every request until one is declared'),
  badFileName: m('SF1211', 'error', 'a mapping file name is its source name in URLs and `import --source`: use lower-case letters, digits, - and _ ("{0}")'),
  missingSource: m('SF1212', 'error', '{0}.{1} has no source for the required field "{2}"'),
  notAMap: m('SF1213', 'error', 'a mapping file is a YAML map of keys like preset, deal, lead, webhook'),
  presetFileName: m('SF1214', 'warning', 'name a file with preset {0} {0}.yaml: events from {0} are named {1}:ID through this file but {0}:ID through the built-in preset or a {0}.yaml, so a change {0} sends again after the file is added, renamed or removed is taken as new'),
} as const;

export type MappingMessageKey = keyof typeof mappingMessages;

export function formatMappingMessage(key: MappingMessageKey, args: readonly string[]): string {
  return mappingMessages[key].text.replace(/\{(\d+)\}/g, (_, i: string) => args[Number(i)] ?? '');
}
