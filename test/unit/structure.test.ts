import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from '@babel/parser';

// The layout rules of README.md's "Layout" section, checked on the source itself so that they hold as code is added:
// small files and functions, pages only in interaction/, a shared kernel that depends on nothing of ours, and no
// import cycles.

const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');
const MAX_FILE_LINES = 300;
/** Lines of a function's own code: the lines of the functions nested in it count for those functions. */
const MAX_FUNCTION_LINES = 60;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = sourceFiles(SRC);
const relative = (file: string) => path.relative(SRC, file);
const textOf = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));

interface Node { type: string; loc?: { start: { line: number }; end: { line: number } }; [key: string]: unknown }
const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'ArrowFunctionExpression', 'FunctionExpression', 'ClassMethod', 'ObjectMethod']);
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';

/** Every function of a file with its own lines (its span less the spans of the functions directly inside it). */
function functionsOf(file: string): Array<{ line: number; own: number }> {
  const program = parse(textOf.get(file)!, { sourceType: 'module', plugins: ['typescript'] }).program as unknown as Node;
  const found: Array<{ line: number; span: number; nested: number }> = [];
  const visit = (node: Node, owner: { nested: number } | undefined) => {
    let current = owner;
    if (FUNCTION_TYPES.has(node.type) && node.loc) {
      const entry = { line: node.loc.start.line, span: node.loc.end.line - node.loc.start.line + 1, nested: 0 };
      if (owner) owner.nested += entry.span;
      found.push(entry);
      current = entry;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc') continue;
      if (Array.isArray(value)) for (const child of value) { if (isNode(child)) visit(child, current); }
      else if (isNode(value)) visit(value, current);
    }
  };
  visit(program, undefined);
  return found.map(({ line, span, nested }) => ({ line, own: span - nested }));
}

/** The files of ours a file imports (relative specifiers, type-only imports included). */
function importsOf(file: string): string[] {
  const specifiers = [...textOf.get(file)!.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier));
}

describe('source layout', () => {
  test(`no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.filter((file) => textOf.get(file)!.split('\n').length > MAX_FILE_LINES + 1).map(relative);
    expect(long).toEqual([]);
  });

  test(`no function over ${MAX_FUNCTION_LINES} lines of its own`, () => {
    const long = files.flatMap((file) => functionsOf(file)
      .filter((fn) => fn.own > MAX_FUNCTION_LINES).map((fn) => `${relative(file)}:${fn.line} (${fn.own} lines)`));
    expect(long).toEqual([]);
  });

  test('pages live in interaction/: profile, consents and federation never import it', () => {
    const offenders = files.filter((file) => /^(profile|consents|federation)\//.test(relative(file)))
      .flatMap((file) => importsOf(file).filter((target) => relative(target).startsWith('interaction/')).map(() => relative(file)));
    expect(offenders).toEqual([]);
  });

  test('the shared kernel depends on nothing of ours outside it', () => {
    const offenders = files.filter((file) => relative(file).startsWith('shared/'))
      .flatMap((file) => importsOf(file).filter((target) => !relative(target).startsWith('shared/'))
        .map((target) => `${relative(file)} -> ${relative(target)}`));
    expect(offenders).toEqual([]);
  });

  test('only oidc/ knows the engine\'s collections', () => {
    const offenders = files.filter((file) => !relative(file).startsWith('oidc/') && /['"`]oidc_/.test(textOf.get(file)!)).map(relative);
    expect(offenders).toEqual([]);
  });

  test('no import cycles (type-only imports included): each folder can be read from its imports down', () => {
    const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => textOf.has(target))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (file: string, trail: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file)!) {
        if (state.get(next) === 'open') cycles.push([...trail.slice(trail.indexOf(next)), file, next].map(relative).join(' -> '));
        else if (!state.has(next)) walk(next, [...trail, file]);
      }
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) walk(file, []);
    expect(cycles).toEqual([]);
  });
});
