import { filter as compileFilter, parse } from 'scim2-parse-filter';
import { scimError } from './scim-error.ts';
import { SCHEMA } from './scim-schemas.ts';

// PATCH (RFC 7644 §3.5.2) applied to the resource's JSON representation: add, replace and remove, with or without a
// path; paths are `attr`, `attr.sub`, `urn:...:attr`, or `attr[filter]` with an optional `.sub`. The patched
// representation is then stored like a PUT, so one mapping (scim-user.mapper.ts) decides what each attribute means.

type Json = Record<string, unknown>;
export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

interface ParsedPath {
  /** The object the attribute lives in: the resource, or an extension's object (by URN). */
  container?: string;
  name: string;
  filter?: string;
  sub?: string;
}

const CORE = [SCHEMA.user, SCHEMA.group];

export function parsePath(path: string): ParsedPath {
  let rest = path.trim();
  let container: string | undefined;
  for (const core of CORE) if (rest.toLowerCase().startsWith(`${core.toLowerCase()}:`)) rest = rest.slice(core.length + 1);
  if (rest.toLowerCase().startsWith('urn:')) {
    const bracket = rest.indexOf('[');
    const head = bracket === -1 ? rest : rest.slice(0, bracket);
    const cut = head.lastIndexOf(':');
    container = head.slice(0, cut);
    rest = rest.slice(cut + 1);
  }
  const match = /^([A-Za-z$][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z$][\w$-]*))?$/.exec(rest);
  if (!match) throw scimError(400, `invalid path ${path}`, 'invalidPath');
  return { container, name: match[1]!, filter: match[2], sub: match[3] };
}

/** The key of `object` that names `name`, case-insensitively (RFC 7643 §2.1), or `name` when there is none. */
function keyOf(object: Json, name: string): string {
  return Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
}

function containerOf(resource: Json, container: string | undefined, create: boolean): Json | undefined {
  if (!container) return resource;
  const key = keyOf(resource, container);
  if (typeof resource[key] !== 'object' || resource[key] === null) {
    if (!create) return undefined;
    resource[key] = {};
  }
  return resource[key] as Json;
}

function matcher(expression: string): (item: unknown) => boolean {
  try {
    const test = compileFilter(parse(expression));
    return (item) => typeof item === 'object' && item !== null && test(item);
  } catch (error) {
    throw scimError(400, `invalid filter in path: ${(error as Error).message}`, 'invalidFilter');
  }
}

const asList = (value: unknown) => (Array.isArray(value) ? value : [value]);
const sameValue = (a: unknown, b: unknown) => typeof a === 'object' && a !== null && typeof b === 'object' && b !== null
  && 'value' in a && 'value' in b ? (a as Json).value === (b as Json).value : JSON.stringify(a) === JSON.stringify(b);

function addOrReplace(resource: Json, op: 'add' | 'replace', path: string | undefined, value: unknown): void {
  if (path === undefined) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw scimError(400, `${op} without a path needs an object value`, 'invalidValue');
    for (const [name, inner] of Object.entries(value)) {
      if (name.toLowerCase().startsWith('urn:') && typeof inner === 'object' && inner !== null && !CORE.some((c) => c.toLowerCase() === name.toLowerCase())) {
        for (const [extName, extValue] of Object.entries(inner)) addOrReplace(resource, op, `${name}:${extName}`, extValue);
      } else {
        addOrReplace(resource, op, name, inner);
      }
    }
    return;
  }
  const parsed = parsePath(path);
  const target = containerOf(resource, parsed.container, true)!;
  const key = keyOf(target, parsed.name);
  if (parsed.filter) {
    const list = Array.isArray(target[key]) ? target[key] as unknown[] : [];
    const matches = list.filter(matcher(parsed.filter));
    if (!matches.length) {
      if (op === 'replace') throw scimError(400, `no value matches ${path}`, 'noTarget');
      return;
    }
    for (const item of matches as Json[]) {
      if (parsed.sub) item[keyOf(item, parsed.sub)] = value;
      else if (typeof value === 'object' && value !== null) Object.assign(item, value);
    }
    return;
  }
  if (parsed.sub) {
    const parent = (typeof target[key] === 'object' && target[key] !== null ? target[key] : (target[key] = {})) as Json;
    if (Array.isArray(parent)) throw scimError(400, `${path} needs a value filter`, 'invalidPath');
    parent[keyOf(parent, parsed.sub)] = value;
    return;
  }
  const current = target[key];
  if (op === 'add' && Array.isArray(current)) {
    for (const item of asList(value)) if (!current.some((existing) => sameValue(existing, item))) current.push(item);
  } else if (op === 'add' && typeof current === 'object' && current !== null && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    Object.assign(current, value);
  } else {
    target[key] = value;
  }
}

function remove(resource: Json, path: string | undefined, value: unknown): void {
  if (!path) throw scimError(400, 'remove needs a path', 'noTarget');
  const parsed = parsePath(path);
  const target = containerOf(resource, parsed.container, false);
  if (!target) return;
  const key = keyOf(target, parsed.name);
  const current = target[key];
  if (parsed.filter) {
    if (!Array.isArray(current)) return;
    const matches = matcher(parsed.filter);
    if (parsed.sub) {
      for (const item of current.filter(matches) as Json[]) delete item[keyOf(item, parsed.sub)];
    } else {
      target[key] = current.filter((item) => !matches(item));
    }
    return;
  }
  if (parsed.sub) {
    if (typeof current === 'object' && current !== null && !Array.isArray(current)) delete (current as Json)[keyOf(current as Json, parsed.sub)];
    return;
  }
  // Some directories send the members (or values) to remove as the value of a path-only remove.
  if (Array.isArray(current) && value !== undefined) {
    target[key] = current.filter((item) => !asList(value).some((gone) => sameValue(item, gone)));
    return;
  }
  delete target[key];
}

/** A copy of `resource` with the operations applied in order (all or nothing: the caller stores the result). */
export function applyPatch(resource: Json, operations: PatchOperation[]): Json {
  const copy = structuredClone(resource);
  for (const operation of operations) {
    const op = operation.op.toLowerCase();
    if (op === 'add' || op === 'replace') addOrReplace(copy, op, operation.path, operation.value);
    else if (op === 'remove') remove(copy, operation.path, operation.value);
    else throw scimError(400, `unknown PATCH op ${operation.op}`, 'invalidSyntax');
  }
  return copy;
}
