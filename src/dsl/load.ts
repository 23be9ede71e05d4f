// Reads rule sources from disk. A folder means its `*.rules` files (recursively; `templates/` and
// `tests/` folders are not rules) plus the `templates/*.md` beside them; a rule file in a subfolder
// without templates of its own uses the nearest `templates/` above it (inside the working
// directory, or, for rules outside it, inside their git checkout), so `check rules/emea/x.rules`
// sees what `check rules` sees, from wherever it runs. Paths in diagnostics and
// the plan are relative to the working directory, so two runs anywhere give the same plan.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import { formatMessage, messages } from './messages.js';
import type { CompileInput, SourceFile } from './program.js';

const skippedFolders = new Set(['templates', 'tests', 'node_modules']);

function display(path: string, cwd: string): string {
  const rel = relative(cwd, path) || '.';
  return rel.split(sep).join('/');
}

/**
 * A rule file or template as text. Editors on Windows often save UTF-8 with a byte-order mark; it
 * is not part of the rules (the lexer would call it an unexpected character at 1:1), so it is dropped.
 */
function readRuleText(path: string): string {
  const text = readFileSync(path, 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The `*.rules` files under `folder`, in name order. Symbolic links are followed (a team may link
 * rules shared between repositories): a linked file counts like any other, a linked folder is
 * walked once however often it is reached (`ln -s . loop` ends), and a file reached twice (a link
 * and its target both inside) is read once. A link to nothing, named like a rule file, is reported:
 * skipping it would drop a rule the team thinks is there, and apply would remove its schedules.
 */
function walk(folder: string, into: string[], problems: Diagnostic[], cwd: string, seen = new Set<string>()): void {
  const real = realpathSync(folder);
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(folder, entry.name);
    let kind: 'folder' | 'file' | 'other' = entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : 'other';
    if (entry.isSymbolicLink()) {
      const target = followLink(full);
      if (!target) {
        if (entry.name.endsWith('.rules')) problems.push(danglingLink(full, cwd));
        continue;
      }
      kind = target;
    }
    if (kind === 'folder') {
      if (!skippedFolders.has(entry.name)) walk(full, into, problems, cwd, seen);
    } else if (kind === 'file' && entry.name.endsWith('.rules')) {
      const realFile = realpathSync(full);
      if (seen.has(realFile)) continue;
      seen.add(realFile);
      into.push(full);
    }
  }
}

/** What a symbolic link points at now; null when nothing (or nothing readable) is there. */
function followLink(path: string): 'folder' | 'file' | 'other' | null {
  try {
    const target = statSync(path);
    return target.isDirectory() ? 'folder' : target.isFile() ? 'file' : 'other';
  } catch {
    return null;
  }
}

export interface LoadedSources {
  input: CompileInput;
  /** Problems finding the files (a path that does not exist). */
  diagnostics: Diagnostic[];
}

function fileProblem(key: 'pathNotFound' | 'noRuleFiles', path: string, shown = path): Diagnostic {
  const def = messages[key];
  return { file: path, line: 1, col: 1, endLine: 1, endCol: 1, severity: def.severity, code: def.code, message: formatMessage(def, [shown]) };
}

/** A symbolic link that points at nothing, as a "no such file" at the link. */
function danglingLink(path: string, cwd: string): Diagnostic {
  const shown = display(path, cwd);
  return fileProblem('pathNotFound', shown, `${shown} (a symbolic link to ${readlinkSync(path)})`);
}

export interface RuleFileRef {
  /** As shown to people: relative to the working directory. */
  path: string;
  absolute: string;
}

/** The `*.rules` files the paths name (what `fmt` rewrites), without reading them. */
export function listRuleFiles(paths: string[], cwd = process.cwd()): { files: RuleFileRef[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const files = new Map<string, RuleFileRef>();
  for (const given of paths.length > 0 ? paths : ['rules']) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) {
      diagnostics.push(fileProblem('pathNotFound', given));
      continue;
    }
    const found: string[] = [];
    if (statSync(path).isDirectory()) walk(path, found, diagnostics, cwd);
    else if (!isTemplateFile(path)) found.push(path);
    for (const f of found) files.set(f, { path: display(f, cwd), absolute: f });
  }
  return { files: [...files.values()], diagnostics };
}

/** `*.md` is a template wherever it is: never a rule file, even when named on the command line. */
const isTemplateFile = (path: string): boolean => path.endsWith('.md');

const isFolder = (path: string) => existsSync(path) && statSync(path).isDirectory();

/** Whether `path` is `folder` or inside it. */
function within(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * How far up `templatesFor` looks from `dir`: the working directory when `dir` is inside it; else
 * the git checkout `dir` is in (the folder holding `.git`), so `salesflow apply /ci/checkout/rules/emea`
 * from another folder finds rules/templates as it does from the checkout; else `dir` itself.
 */
function searchRoot(dir: string, cwd: string): string {
  if (within(cwd, dir)) return cwd;
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return dir;
  }
}

/** The `templates/` folder of `dir`, else of the nearest folder above it up to searchRoot; else `dir`'s own (absent) one. */
function templatesFor(dir: string, cwd: string): string {
  const root = searchRoot(dir, cwd);
  for (let at = dir; ; at = dirname(at)) {
    if (isFolder(join(at, 'templates'))) return join(at, 'templates');
    const up = dirname(at);
    if (up === at || !within(root, up)) return join(dir, 'templates');
  }
}

export function readSources(paths: string[], cwd = process.cwd()): LoadedSources {
  const diagnostics: Diagnostic[] = [];
  const ruleFiles = new Set<string>();
  const templateFolders = new Set<string>();
  const templateFiles = new Set<string>();
  for (const given of paths.length > 0 ? paths : ['rules']) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) {
      diagnostics.push(fileProblem('pathNotFound', given));
      continue;
    }
    if (statSync(path).isDirectory()) {
      const found: string[] = [];
      walk(path, found, diagnostics, cwd);
      if (found.length === 0) diagnostics.push(fileProblem('noRuleFiles', given));
      found.forEach((f) => ruleFiles.add(f));
      templateFolders.add(join(path, 'templates'));
      found.forEach((f) => templateFolders.add(templatesFor(dirname(f), cwd)));
    } else if (isTemplateFile(path)) {
      templateFiles.add(path);
    } else {
      ruleFiles.add(path);
      templateFolders.add(templatesFor(dirname(path), cwd));
    }
  }
  const rules: SourceFile[] = [...ruleFiles].map((f) => ({ path: display(f, cwd), text: readRuleText(f) }));
  const templates: SourceFile[] = [];
  for (const folder of [...templateFolders].sort()) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder).sort()) {
      if (!name.endsWith('.md')) continue;
      const file = join(folder, name);
      // A link to nothing is reported (its sends would be "unknown template" with no reason why);
      // a folder named like a template is not one.
      const kind = followLink(file);
      if (kind === null) diagnostics.push(danglingLink(file, cwd));
      if (kind === 'file') templates.push({ path: display(file, cwd), text: readRuleText(file) });
    }
  }
  // A template named on its own (`check rules/t.rules rules/templates/x.md`) is read as one, not
  // parsed as rules (every line of it an error); its folder's are not read unless asked for.
  for (const file of [...templateFiles].sort()) {
    const shown = display(file, cwd);
    if (!templates.some((t) => t.path === shown)) templates.push({ path: shown, text: readRuleText(file) });
  }
  const firstFolder = [...templateFolders][0];
  return {
    input: { rules, templates, templateFolder: firstFolder ? display(firstFolder, cwd) : 'rules/templates' },
    diagnostics,
  };
}

/**
 * The files `readSources` reads for these paths (rule files and templates), absolute: what `apply`
 * asks git about, as a template folder above a rules subfolder lies beyond the paths themselves.
 */
export function sourceFilesOf(paths: string[], cwd = process.cwd()): string[] {
  const { input } = readSources(paths, cwd);
  return [...input.rules, ...input.templates].map((f) => resolve(cwd, f.path));
}
