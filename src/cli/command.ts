import type { ParseArgsOptionsConfig } from 'node:util';
import type { Store } from './cli-context.ts';

// The shape every `idp <group> <action>` shares. Arguments are checked in `parse`, before any database work,
// so a typo fails at once instead of after starting MongoDB.

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command<Input = ParsedArgs> {
  /** One usage line without the leading `idp`, e.g. `clients remove <client_id>`. */
  usage: string;
  summary: string;
  options?: ParseArgsOptionsConfig;
  /** How many positional arguments the action takes (all required). */
  positionals?: number;
  parse?(args: ParsedArgs): Input;
  /** The JSON-serialisable result printed on stdout. */
  run(input: Input, store: Store): Promise<unknown>;
}

export type CommandGroup = Record<string, Command<unknown>>;

/** Keeps each command's input type checked while the dispatcher handles them all alike. */
export const defineCommand = <Input = ParsedArgs>(command: Command<Input>): Command<unknown> =>
  command as unknown as Command<unknown>;

/** A failure of the caller's making: exit status 2 and a pointer to the help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure reported as is, exit status 1 (bad input file, invalid JSON ...). */
export class CliError extends Error {
  override name = 'CliError';
}
