import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { PairwiseSubject } from '../keys/pairwise-subject.ts';

// Pairwise subject identifiers (OpenID Connect Core §8.1), registered per client as `subject_type: pairwise`
// (Registration §2). The engine does the protocol: it works out the sector (client.sectorIdentifier: the host of
// sector_identifier_uri, else the host of the single redirect_uri host; several redirect hosts need a
// sector_identifier_uri), fetches the sector_identifier_uri over https and refuses a client whose redirect_uris are
// not all listed there (Registration §5; lib/helpers/sector_validate.js), and passes every `sub` it issues (ID token,
// userinfo, introspection, logout token) through pairwiseIdentifier. We supply the keyed hash, shared with SAML
// persistent NameIDs (src/keys/pairwise-subject.ts).

type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;

export function pairwiseConfiguration(pairwise: PairwiseSubject | undefined): Pick<Configuration, 'subjectTypes' | 'pairwiseIdentifier'> {
  if (!pairwise) return { subjectTypes: ['public'] };
  return {
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => pairwise(sectorOf(client as Client), accountId),
  };
}

/** The `sub` a client sees for an account: the account id, or the pseudonym of the client's sector. */
export function subjectFor(pairwise: PairwiseSubject | undefined) {
  return (accountId: string, client: Client): string =>
    (pairwise && client.subjectType === 'pairwise' ? pairwise(sectorOf(client), accountId) : accountId);
}

function sectorOf(client: Client): string {
  const sector = (client as unknown as { sectorIdentifier?: string }).sectorIdentifier;
  // The engine refuses to register a pairwise client without a sector (lib/helpers/sector_identifier.js).
  if (!sector) throw new Error(`client ${client.clientId} has no sector identifier`);
  return sector;
}
