// What an author probably meant by `1000 dollars` or `500 eru`: money is written with an ISO 4217
// code, and a word after an amount is read as a try at one. Used by the lexer (only for a word that
// directly follows a number, which the grammar never allows otherwise).
import { closest } from './diagnostics.js';
import { knownCurrencies } from './types.js';

// Currency names people write instead of the code. `dollars` could be CAD or AUD too: the code
// given is only the example the message shows, never applied.
const codeByWord: Record<string, string> = {
  dollar: 'USD', dollars: 'USD', buck: 'USD', bucks: 'USD',
  euro: 'EUR', euros: 'EUR',
  pound: 'GBP', pounds: 'GBP', quid: 'GBP', sterling: 'GBP',
  yen: 'JPY', yuan: 'CNY', renminbi: 'CNY', rupee: 'INR', rupees: 'INR',
  franc: 'CHF', francs: 'CHF', rand: 'ZAR', peso: 'MXN', pesos: 'MXN', real: 'BRL', reais: 'BRL',
  krona: 'SEK', kronor: 'SEK', krone: 'NOK', kroner: 'NOK', zloty: 'PLN',
};

const commonCodes = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'CNY', 'INR', 'SEK', 'NOK', 'DKK', 'PLN', 'BRL', 'MXN', 'ZAR', 'SGD', 'HKD'];

// Left to the duration check (`wait 2 dayz` suggests `2 days`).
const durationWords = ['minutes', 'hours', 'days', 'weeks', 'business'];

// Unit abbreviations people write (`wait 2 hrs`, `30 min`); `min` was read as a misspelt MXN.
const durationAbbreviations: Record<string, string> = {
  m: 'minutes', min: 'minutes', mins: 'minutes', h: 'hours', hr: 'hours', hrs: 'hours', d: 'days', w: 'weeks', wk: 'weeks', wks: 'weeks',
};

/** The duration unit a word after an amount was probably meant as (`dayz`, `hrs`), if any. */
export function durationUnitMeant(word: string): string | undefined {
  const lower = word.toLowerCase();
  return Object.hasOwn(durationAbbreviations, lower) ? durationAbbreviations[lower] : closest(lower, durationWords);
}

export interface MoneyWordFix {
  /** The code to show in the example. */
  code: string;
  /** The word is a misspelt code (`eru`), so the fix can be offered as "did you mean". */
  misspelt: boolean;
}

export function moneyWordFix(word: string): MoneyWordFix | undefined {
  const named = Object.hasOwn(codeByWord, word.toLowerCase()) ? codeByWord[word.toLowerCase()] : undefined;
  if (named) return { code: named, misspelt: false };
  if (durationUnitMeant(word)) return undefined;
  // `at 9am`: a time of day (reported as one, with 09:00 offered), not money in AMD.
  if (/^[ap]\.?m\.?$/i.test(word)) return undefined;
  // `eru` is as near ERN as EUR: the codes people use most are offered first.
  const code = closest(word.toUpperCase(), commonCodes) ?? closest(word.toUpperCase(), knownCurrencies());
  return code ? { code, misspelt: true } : undefined;
}

/** The currency code a currency's name stands for (`dollars` → USD), for suggestions. */
export function codeForCurrencyWord(word: string): string | undefined {
  return Object.hasOwn(codeByWord, word.toLowerCase()) ? codeByWord[word.toLowerCase()] : undefined;
}
