// Entry point VS Code loads as `extensionTestsPath`: runs every *.test.js beside it with mocha
// inside the real extension host.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  // CM_HOST_ONLY=<pattern> runs only the tests whose names match (while working on them).
  if (process.env.CM_HOST_ONLY) mocha.grep(process.env.CM_HOST_ONLY);
  // extension.test.js last: it ends with the extension's deactivation, which closes the store.
  const last = (f: string) => (f === 'extension.test.js' ? 1 : 0);
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort((a, b) => last(a) - last(b) || (a < b ? -1 : a > b ? 1 : 0))) {
    mocha.addFile(join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      console.log(`host tests: ${passed} passed, ${failures} failed`);
      const resultsFile = process.env.CM_HOST_RESULTS;
      if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ passed, failed: failures }));
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
  });
}
