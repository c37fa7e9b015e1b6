import { describeConfig } from '../src/config/config.loader.ts';

// Prints the configuration reference (markdown table) from the zod schema: `node scripts/config-reference.ts`.
const rows = describeConfig().map(({ key, env, description }) => `| \`${key}\` | \`${env}\` | ${description.replace(/\|/g, '\\|')} |`);
process.stdout.write(['| key | environment | meaning |', '|---|---|---|', ...rows].join('\n') + '\n');
