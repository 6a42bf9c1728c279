import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateClaudeCli, readCliVersion } from '../../src/services/cliLocator';
import { ClaudeManagerError } from '../../src/services/errors';
import { findClaudeBinary } from '../helpers/claudeCli';

const realCli = findClaudeBinary();

function isCliNotFound(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof ClaudeManagerError && error.code === 'CLI_NOT_FOUND' && pattern.test(error.message);
}

describe('locateClaudeCli', () => {
  let dir: string;
  let home: string;
  let binDir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm-cli-'));
    home = join(dir, 'home');
    binDir = join(dir, 'bin');
    mkdirSync(home);
    mkdirSync(binDir);
    symlinkSync(realCli, join(binDir, 'claude'));
    // A file named claude that is not executable must be passed over.
    mkdirSync(join(dir, 'noexec'));
    writeFileSync(join(dir, 'noexec', 'claude'), '#!/bin/sh\n');
    chmodSync(join(dir, 'noexec', 'claude'), 0o644);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds claude on PATH, skipping entries where it is not executable', async () => {
    const found = await locateClaudeCli({ pathEnv: [join(dir, 'noexec'), binDir].join(delimiter), home });
    assert.deepEqual(found, { path: join(binDir, 'claude'), source: 'path' });
  });

  it('uses a configured absolute path as is, and ~ for the home folder', async () => {
    assert.deepEqual(await locateClaudeCli({ configured: realCli, pathEnv: '', home }), { path: realCli, source: 'setting' });
    mkdirSync(join(home, 'tools'), { recursive: true });
    symlinkSync(realCli, join(home, 'tools', 'claude'));
    assert.deepEqual(await locateClaudeCli({ configured: '~/tools/claude', pathEnv: '', home }), {
      path: join(home, 'tools', 'claude'),
      source: 'setting',
    });
  });

  it('rejects a configured path with no executable there, naming the setting', async () => {
    await assert.rejects(
      locateClaudeCli({ configured: join(dir, 'noexec', 'claude'), pathEnv: binDir, home }),
      isCliNotFound(/claudeManager\.claudePath.*noexec/),
    );
  });

  it('falls back to the usual install locations when PATH is thin (remote hosts)', async () => {
    const localBin = join(home, '.local', 'bin');
    mkdirSync(localBin, { recursive: true });
    symlinkSync(realCli, join(localBin, 'claude'));
    try {
      assert.deepEqual(await locateClaudeCli({ pathEnv: '/nonexistent', home }), {
        path: join(localBin, 'claude'),
        source: 'installLocation',
      });
    } finally {
      rmSync(localBin, { recursive: true, force: true });
    }
  });

  it('says how to install it when it is nowhere', async () => {
    await assert.rejects(
      locateClaudeCli({ pathEnv: join(dir, 'noexec'), home: join(dir, 'empty-home') }),
      isCliNotFound(/not found on PATH or in its usual install locations.*npm install -g @anthropic-ai\/claude-code/),
    );
  });

  it('refuses a relative path, which would depend on the editor process\'s working folder', async () => {
    await assert.rejects(
      locateClaudeCli({ configured: 'bin/claude', pathEnv: binDir, home }),
      isCliNotFound(/relative path.*absolute path/),
    );
  });

  it('looks a configured command name up on PATH without the install-location fallback', async () => {
    symlinkSync(realCli, join(binDir, 'claude-nightly'));
    assert.deepEqual(await locateClaudeCli({ configured: 'claude-nightly', pathEnv: binDir, home }), {
      path: join(binDir, 'claude-nightly'),
      source: 'setting',
    });
    await assert.rejects(locateClaudeCli({ configured: 'claude-other', pathEnv: binDir, home }), isCliNotFound(/"claude-other"/));
  });
});

describe('readCliVersion', () => {
  it('reads the real CLI version', async () => {
    const version = await readCliVersion(realCli);
    assert.match(version, /^\d+\.\d+\.\d+/);
    // The version the project pins in package.json is the one installed.
    const pinned = (await import('../../package.json')).devDependencies['@anthropic-ai/claude-code'];
    assert.equal(version, pinned);
  });

  it('refuses a program that is not Claude Code', async () => {
    // node prints "v20.x": a version, but not the CLI's.
    await assert.rejects(readCliVersion(process.execPath), isCliNotFound(/not a Claude Code version/));
  });
});
