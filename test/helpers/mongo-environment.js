import { TestEnvironment } from 'jest-environment-node';
import mongoose from 'mongoose';

// Each test file works in databases of its own on the one shared mongod (test/helpers/mongo.ts records their names).
// They are dropped when the file is done: every collection and index is a file of its own in WiredTiger, and
// mongod under Wine runs out of file handles ("24: Too many open files") when a whole run's databases pile up.
export default class MongoTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    // The test realm is a vm context: jest hands it the host's structuredClone, whose copies are objects of the host
    // realm, so `value.constructor === Object` checks in the code under test fail on them (oidc-provider refuses a
    // client's jwks read back through our adapter as "client JSON Web Key Set is invalid"). One realm in production:
    // here the copies are rebuilt as objects of the test realm.
    const hostClone = globalThis.structuredClone;
    const local = this.global;
    const adopt = (value) => {
      if (Array.isArray(value)) return local.Array.from(value, adopt);
      if (value instanceof Date) return new local.Date(value.getTime());
      if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
        const copy = new local.Object();
        for (const [key, entry] of Object.entries(value)) copy[key] = adopt(entry);
        return copy;
      }
      return value;
    };
    this.global.structuredClone = (value, options) => adopt(hostClone(value, options));
  }

  async teardown() {
    const names = this.global.__TEST_DATABASES__;
    const uri = process.env.TEST_MONGODB_URI;
    if (uri && Array.isArray(names) && names.length > 0) {
      const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
      try {
        // One after another: dropping is cheap, and mongod under Wine dislikes concurrent catalogue changes.
        for (const name of names) await client.db(name).dropDatabase();
      } catch (error) {
        // A mongod that died is reported by the tests that needed it; cleaning up must not hide that.
        console.warn(`test databases not dropped: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await client.close();
      }
    }
    await super.teardown();
  }
}
