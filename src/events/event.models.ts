import { Schema, type Connection, type Model } from 'mongoose';

// The event log and the state of the background workers. Written and read through the driver (hot paths);
// declared here so that db/schema.ts creates the collections and indexes explicitly at start-up.

export interface StoredEvent {
  /** Deterministic: a hash of the change stream resume token (see event-derivation.ts). */
  _id: string;
  /** Monotonic per database: the order subscribers receive events in. */
  seq: number;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  expiresAt: Date;
}

/** A lease (`lease:<name>`) or a worker's checkpoint (`deriver`: the resume token). */
export interface WorkerState {
  _id: string;
  owner?: string;
  expiresAt?: Date;
  resumeToken?: unknown;
  startAt?: unknown;
  lastSeq?: number;
}

const eventSchema = new Schema<StoredEvent>({
  _id: { type: String, required: true },
  seq: { type: Number, required: true },
  type: { type: String, required: true },
  occurredAt: { type: Date, required: true },
  data: { type: Schema.Types.Mixed, required: true },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, minimize: false, collection: 'events' });
eventSchema.index({ seq: 1 }, { name: 'seq_unique', unique: true });
eventSchema.index({ type: 1, seq: 1 }, { name: 'type_seq' });
eventSchema.index({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });

const stateSchema = new Schema<WorkerState>({
  _id: { type: String, required: true },
  owner: String,
  expiresAt: Date,
  resumeToken: Schema.Types.Mixed,
  startAt: Schema.Types.Mixed,
  lastSeq: Number,
}, { versionKey: false, collection: 'event_workers' });

export const eventModels = (connection: Connection) => ({
  Event: connection.model<StoredEvent>('Event', eventSchema) as Model<StoredEvent>,
  EventWorker: connection.model<WorkerState>('EventWorker', stateSchema) as Model<WorkerState>,
});
