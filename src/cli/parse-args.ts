// node's parseArgs for commands whose string options each take one value: given twice
// (`simulate --rule A --rule B`), parseArgs keeps the last and drops the first without a word, so
// the command runs on something other than what was asked. Here that is an error like parseArgs'
// own (thrown, for the command to print with its usage).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function parseArgsOnce<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const { tokens } = parseArgs({ ...config, tokens: true });
  const seen = new Map<string, string | undefined>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    // Own entries only: a token named `constructor` must not find Object's.
    const option = config.options && Object.hasOwn(config.options, token.name) ? config.options[token.name] : undefined;
    if (option?.type !== 'string' || option.multiple) continue;
    if (seen.has(token.name)) {
      throw new Error(`Option '--${token.name}' is given twice ("${seen.get(token.name)}", "${token.value}"); it takes one value`);
    }
    seen.set(token.name, token.value);
  }
  return parseArgs(config);
}
