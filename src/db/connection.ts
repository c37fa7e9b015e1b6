import mongoose, { type Connection, type mongo } from 'mongoose';

// Our own connection (no global mongoose state). Commands are not buffered while disconnected: a request during
// an outage fails within serverSelectionTimeoutMS and answers 503, instead of hanging; the driver reconnects by
// itself when MongoDB is back.
export async function connectMongo(uri: string, options: {
  serverSelectionTimeoutMS: number;
  /** Sees the driver's client before its first connection, so pool and command events are counted from the start. */
  monitor?: (client: mongo.MongoClient) => void;
}): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS,
    connectTimeoutMS: options.serverSelectionTimeoutMS,
    socketTimeoutMS: 30_000,
    maxPoolSize: 20,
    // Command monitoring events (started/succeeded/failed) are only emitted when asked for.
    monitorCommands: options.monitor !== undefined,
  });
  options.monitor?.(connection.getClient());
  await connection.asPromise();
  return connection;
}

/** True when the error means "MongoDB is not reachable right now" rather than a bug or bad input. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as { name?: string; code?: unknown; stack?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.name === 'string' && /^(MongoServerSelectionError|MongooseServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoTopologyClosedError|MongoPoolClearedError)$/.test(e.name)) {
      return true;
    }
    // A write on a pooled connection that the network already dropped surfaces as a bare socket error.
    if ((e.code === 'EPIPE' || e.code === 'ECONNRESET') && e.stack?.includes('mongodb')) return true;
  }
  return false;
}

export async function pingMongo(connection: Connection): Promise<boolean> {
  try {
    await connection.db!.admin().command({ ping: 1 }, { timeoutMS: 2000 } as never);
    return true;
  } catch {
    return false;
  }
}
