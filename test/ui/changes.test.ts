// A worktree's changes since its base, as a person reviews them: the +/− on its row, its
// "Changes (N)" row and files, Review All Changes in the multi-file diff editor, and the warning on
// two worktrees that changed the same file.
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedGitEnv, makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { findClaudeBinary } from '../helpers/claudeCli';
import { clickRowAction, dismissHovers, showAgentsView } from './actions';
import { keepWhatFailed, openWorkbench, type Workbench } from './workbench';

keepWhatFailed();

describe('a worktree\'s changes since its base', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe', env: isolatedGitEnv() }).toString().trim();
  before(async () => {
    repo = makeGitRepo({
      name: 'changes-repo',
      files: {
        'README.md': '# changes\n',
        'src/parser.ts': Array.from({ length: 30 }, (_, i) => `export const rule${i} = ${i};\n`).join(''),
        'src/old-name.ts': Array.from({ length: 20 }, (_, i) => `// line ${i}\n`).join(''),
        'docs/notes.md': 'notes\n',
      },
    });
    const feature = join(dirname(repo.repo), 'feature-parser');
    const other = join(dirname(repo.repo), 'other-work');
    git(repo.repo, 'worktree', 'add', '--quiet', '-b', 'feature/parser', feature);
    git(repo.repo, 'worktree', 'add', '--quiet', '-b', 'fix/readme', other);
    // Committed on the branch: a rename with an edit, and a new file.
    git(feature, 'mv', 'src/old-name.ts', 'src/new-name.ts');
    writeFileSync(join(feature, 'src/new-name.ts'), Array.from({ length: 20 }, (_, i) => `// line ${i}\n`).join('') + '// moved\n');
    writeFileSync(join(feature, 'src/tokens.ts'), 'export const tokens = [];\nexport const more = 1;\n');
    git(feature, 'add', '--all');
    git(feature, '-c', 'user.name=Journey', '-c', 'user.email=journey@example.invalid', 'commit', '--quiet', '-m', 'parser work');
    // Not committed: an edit, a deleted file, a new file; and README.md, which the other worktree changes too.
    writeFileSync(join(feature, 'src/parser.ts'), Array.from({ length: 30 }, (_, i) => (i === 3 ? 'export const rule3 = 33;\n' : `export const rule${i} = ${i};\n`)).join('') + 'export const rule30 = 30;\n');
    unlinkSync(join(feature, 'docs/notes.md'));
    writeFileSync(join(feature, 'src/parser.test.ts'), 'import { rule3 } from "./parser";\nconsole.log(rule3);\n');
    writeFileSync(join(feature, 'README.md'), '# changes\n\nThe parser.\n');
    writeFileSync(join(other, 'README.md'), '# Changes\n');
    // The CLI is there (no warning row above the tree); no agent runs in this journey.
    wb = await openWorkbench({ folder: repo.repo, machineSettings: { 'claudeManager.claudePath': findClaudeBinary() } });
  });
  after(async () => {
    await wb?.close();
    rmSync(join(dirname(repo.repo), 'feature-parser'), { recursive: true, force: true });
    rmSync(join(dirname(repo.repo), 'other-work'), { recursive: true, force: true });
    repo?.cleanup();
  });

  it('shows Changes (N) under the worktree with +/− counts, warns of a file another worktree changed, and reviews all changes in the multi-file diff editor', async () => {
    const page = wb.page;
    const view = await showAgentsView(page);
    // A row by its label (another row's description may name it too).
    const rowNamed = (name: string) => view.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }) }).first();
    const worktree = rowNamed('feature/parser');
    // The row's counts: 1 + 2 committed, 2 + 2 + 2 not committed (parser.ts, its test, README.md) added; 1 + 1 removed.
    await worktree.locator('.label-description', { hasText: '+9 −2' }).waitFor({ timeout: 60_000 });
    // The collisions follow the counts: both rows carry the warning.
    await worktree.locator('.label-description', { hasText: /⚠ 1 file also changed in fix\/readme/ }).waitFor({ timeout: 30_000 });
    const otherRow = rowNamed('fix/readme');
    await otherRow.locator('.label-description', { hasText: /⚠ 1 file also changed in feature\/parser/ }).waitFor({ timeout: 30_000 });
    // Open the worktree, then its "Changes (6)" row.
    if ((await worktree.getAttribute('aria-expanded')) !== 'true') {
      await dismissHovers(page);
      await worktree.click();
    }
    const changes = view.locator('.monaco-list-row', { hasText: 'Changes (6)' }).first();
    await changes.waitFor({ timeout: 30_000 });
    if ((await changes.getAttribute('aria-expanded')) !== 'true') {
      await dismissHovers(page);
      await changes.click();
    }
    const described = async (name: string) => {
      const row = rowNamed(name);
      await row.waitFor({ timeout: 30_000 });
      return row.locator('.label-description').innerText();
    };
    assert.match(await described('parser.ts'), /^src\s+\+2 −1\s+M$/);
    assert.match(await described('new-name.ts'), /^src\s+\+1 −0\s+R$/);
    assert.match(await described('tokens.ts'), /^src\s+\+2 −0\s+A$/);
    assert.match(await described('notes.md'), /^docs\s+\+0 −1\s+D$/);
    assert.match(await described('parser.test.ts'), /^src\s+\+2 −0\s+U$/);
    assert.match(await described('README.md'), /^\+2 −0\s+M\s+⚠$/);
    await dismissHovers(page);
    await wb.screenshot('14-sidebar-changes');
    await wb.screenshotOf(page.locator('.part.sidebar'), 'readme-changes', { height: 330 });

    // A click on a file: merge-base ↔ working file.
    await rowNamed('parser.ts').click();
    await page.locator('.tabs-container .tab', { hasText: 'parser.ts (main ↔ working tree)' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-container .monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    await wb.screenshot('14-file-diff');

    // Review All Changes: every file in one multi-file diff editor.
    await clickRowAction(changes, 'Review All Changes');
    const tab = page.locator('.tabs-container .tab', { hasText: 'feature/parser: changes since main' });
    await tab.waitFor({ timeout: 30_000 });
    const multi = page.locator('.multiDiffEditor').first();
    await multi.waitFor({ timeout: 30_000 });
    for (const path of ['parser.ts', 'tokens.ts', 'notes.md']) await multi.locator('.multiDiffEntry', { hasText: path }).first().waitFor({ timeout: 30_000 });
    await dismissHovers(page);
    await page.waitForTimeout(500);
    await wb.screenshot('14-review-all-changes');
    await wb.screenshotOf(page.locator('.part.editor'), 'readme-review-all-changes', { height: 520 });
  });
});
