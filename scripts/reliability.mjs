// `npm run reliability`: docs/reliability.md from the figures the tests recorded in their last run
// (`npm test` writes them to test-results/reliability.jsonl; see test/helpers/reliability.ts).
// Nothing in the table is typed by hand: every row is a figure a test measured and asserted.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? join(root, 'test-results', 'reliability.jsonl');
if (!existsSync(source)) {
  process.stderr.write(`No figures at ${source}: run the tests first (npm test), which record them there.\n`);
  process.exit(1);
}
// A stage run again replaces what it recorded before: the last of each row counts.
const byRow = new Map();
for (const fact of readFileSync(source, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))) byRow.set(`${fact.area}\0${fact.what}\0${fact.test}`, fact);
const facts = [...byRow.values()];
if (facts.length === 0) {
  process.stderr.write(`${source} holds no figures.\n`);
  process.exit(1);
}
// The commit the run tested, as the test command noted it; else this checkout's.
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const noted = existsSync(`${source}.commit`) ? readFileSync(`${source}.commit`, 'utf8').trim() : '';
const commit = noted ? noted.split(' ')[0] : git('rev-parse', 'HEAD');
const dirty = noted ? noted.includes('uncommitted') : git('status', '--porcelain', '--untracked-files=no') !== '';
const areas = [...new Set(facts.map((f) => f.area))];
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const lines = [
  '# Reliability, as measured by the tests',
  '',
  `Made by \`npm run reliability\` from the figures the tests recorded in their run (\`${source.startsWith(root) ? source.slice(root.length + 1) : source}\`), at commit \`${commit}\`${dirty ? ' with uncommitted changes' : ''}, ${facts.map((f) => f.at).sort().at(-1)}. Each row is what one test did and saw; the test asserts the outcome, so a run in which it failed records nothing.`,
  '',
];
for (const area of areas) {
  lines.push(`## ${area}`, '', '| what | times | outcome | test |', '|---|---|---|---|');
  for (const f of facts.filter((x) => x.area === area)) lines.push(`| ${cell(f.what)} | ${f.count} | ${cell(f.outcome)} | ${cell(f.test)} |`);
  lines.push('');
}
writeFileSync(join(root, 'docs', 'reliability.md'), lines.join('\n'));
process.stdout.write(`docs/reliability.md: ${facts.length} figures in ${areas.length} groups, commit ${commit.slice(0, 10)}\n`);
