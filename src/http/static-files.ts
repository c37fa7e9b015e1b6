import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Context, Next } from 'koa';

// The few static assets of the hosted pages (public/), read once at start-up and served from memory.
const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.js': 'text/javascript; charset=utf-8' };

export function staticFiles(dir: string, prefix = '/static/') {
  const files = new Map(readdirSync(dir).filter((f) => TYPES[path.extname(f)]).map((f) => [f, readFileSync(path.join(dir, f))]));
  return async (ctx: Context, next: Next) => {
    if (!ctx.path.startsWith(prefix) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const name = ctx.path.slice(prefix.length);
    const body = files.get(name);
    if (!body) return next();
    ctx.type = TYPES[path.extname(name)]!;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = body;
  };
}
