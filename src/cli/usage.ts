import type { CommandGroup } from './command.ts';

// Help text built from the command definitions themselves, so it cannot drift from what the parser accepts.
export function usageText(groups: Record<string, CommandGroup>): string {
  const commands = Object.values(groups).flatMap((group) => Object.values(group));
  const lines = commands.flatMap((c) => [`  idp ${c.usage}`, `      ${c.summary}`]);
  return [
    'Usage: idp <command> [options]',
    '',
    'Commands:',
    ...lines,
    '  idp help',
    '      show this text (also --help, -h)',
    '',
    'Every command is non-interactive and prints JSON on stdout. On failure it prints one line',
    "'idp: <message>' on stderr and exits with 1 (2 for a usage error).",
    '',
    'Store: MONGODB_URI when set; otherwise the embedded MongoDB under the data directory (IDP_DATA_DIR,',
    'default ./data): the running server\'s, or one started for the command. Configuration is read like the',
    'server\'s: config/*.json in the current directory, IDP_CONFIG, IDP_* variables.',
    '',
  ].join('\n');
}
