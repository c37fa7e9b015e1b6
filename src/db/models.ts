import type { Connection } from 'mongoose';
import { accountModel } from '../accounts/account.model.ts';
import { signingKeyModel } from '../keys/signing-key.model.ts';
import { samlModels } from '../saml/idp/saml.models.ts';
import { actionTokenModel } from '../tokens/action-token.model.ts';

/** Every mongoose model of the IdP, bound to one connection. */
export function createModels(connection: Connection) {
  return {
    Account: accountModel(connection),
    ActionToken: actionTokenModel(connection),
    SigningKey: signingKeyModel(connection),
    ...samlModels(connection),
  };
}

export type Models = ReturnType<typeof createModels>;
