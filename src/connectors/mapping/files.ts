// Where CRM mapping files are: `crm/*.yaml` (and `.yml`) in each rules folder the paths name. Kept
// apart from the loader (and its YAML parser) so that commands can ask "are there any?" cheaply.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

function crmFolders(paths: string[], cwd: string): string[] {
  const folders = new Set<string>();
  for (const given of paths.length > 0 ? paths : ['rules']) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) continue;
    const base = statSync(path).isDirectory() ? path : dirname(path);
    folders.add(basename(base) === 'crm' ? base : join(base, 'crm'));
  }
  return [...folders].filter((f) => existsSync(f) && statSync(f).isDirectory()).sort();
}

/** The mapping files the rule paths imply (default `rules/`), absolute, in a stable order. */
export function mappingFiles(paths: string[], cwd = process.cwd()): string[] {
  return crmFolders(paths, cwd).flatMap((folder) =>
    readdirSync(folder).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(folder, n)));
}
