/**
 * Runs inside the extension host: mocha with the TDD interface, a spec-style log through
 * console (forwarded to the test driver), and a JSON summary file for the outer runner.
 */
import Mocha from 'mocha';
import * as fs from 'node:fs';

export function runMocha(load: () => void): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 180_000, color: false, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'medstudio-vscode-suite', mocha);
  load();
  const grep = process.env.MEDSTUDIO_VSCODE_GREP;
  if (grep) mocha.grep(grep);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      const summary = process.env.MEDSTUDIO_SUMMARY_FILE;
      if (summary) fs.writeFileSync(summary, JSON.stringify({ passed: stats.passes, failed: stats.failures, skipped: stats.pending }));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
  });
}
