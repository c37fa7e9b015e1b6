import Router from '@koa/router';
import type { Connection } from 'mongoose';
import { pingMongo } from '../db/connection.ts';

// Liveness (/healthz: the process answers) and readiness (/readyz: MongoDB answers too), for load balancers and
// orchestrators. Both are exempt from the issuer host check.
export function createOpsRouter(connection: Connection): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const mongodb = await pingMongo(connection);
    ctx.status = mongodb ? 200 : 503;
    ctx.body = { status: mongodb ? 'ready' : 'unavailable', mongodb: mongodb ? 'up' : 'down' };
  });
  return router;
}
