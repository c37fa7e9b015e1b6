import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as ja from '@zxcvbn-ts/language-ja';

// Offline check of a new password (NIST SP 800-63B §5.1.1.2: compare against "passwords obtained from previous
// breach corpuses" and "commonly-used, expected, or compromised" values), with zxcvbn-ts: its common list
// (the most frequent passwords of public breach corpora, with l33t, case and reversed variants) and the Japanese
// dictionaries (common words, names, romaji) for the guess estimate. Nothing leaves the process. The only importer of
// @zxcvbn-ts; the dictionaries are loaded once, on the first check.

export type PasswordRefusal = 'password.common' | 'password.weak';

let factory: ZxcvbnFactory | undefined;
const estimator = () => factory ??= new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...ja.dictionary },
  graphs: common.adjacencyGraphs,
});

/** The whole password is one entry of the breached/common list (up to case, l33t or reversal). */
const isListed = (result: ZxcvbnResult) => result.sequence.length === 1
  && result.sequence[0]!.pattern === 'dictionary'
  && (result.sequence[0] as { dictionaryName?: string }).dictionaryName === 'passwords-common';

/**
 * Why `password` is refused, or undefined. `userInputs`: the account's own email and name, which make a password
 * guessable for someone who knows them. `minScore`: zxcvbn's 0-4 scale (2: more than about 10^8 guesses).
 */
export function refusePassword(password: string, minScore: number, userInputs: string[] = []): PasswordRefusal | undefined {
  const result = estimator().check(password, userInputs.filter(Boolean));
  if (isListed(result)) return 'password.common';
  if (result.score < minScore) return 'password.weak';
  return undefined;
}
