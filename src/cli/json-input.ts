import { readFileSync } from 'node:fs';
import { CliError, UsageError, type ParsedArgs } from './command.ts';

// The JSON a command takes with --json '<text>' or --file <path> (`-` is stdin, so secrets need not appear in the
// process list). Exactly one of the two; errors name where the text came from.

export function readJsonInput(values: ParsedArgs['values'], command: string): { value: unknown; origin: string } {
  const { json, file } = values as { json?: string; file?: string };
  if ((json === undefined) === (file === undefined)) throw new UsageError(`${command} needs exactly one of --json or --file`);
  const origin = json !== undefined ? '--json' : file!;
  let text = json;
  if (text === undefined) {
    try {
      text = readFileSync(file === '-' ? 0 : file!, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    return { value: JSON.parse(text), origin };
  } catch (error) {
    throw new CliError(`${origin}: invalid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/** The same, when the command needs a JSON object (`what` names it in the error: "client metadata"). */
export function readJsonObject(values: ParsedArgs['values'], command: string, what: string): Record<string, unknown> {
  const { value, origin } = readJsonInput(values, command);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`${origin}: ${what} must be a JSON object`);
  return value as Record<string, unknown>;
}
