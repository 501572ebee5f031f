// Prints one closing line for the whole run: "tests: N passed, N failed, N skipped".
import fs from 'node:fs';

const [jestFile, tapFile] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
if (jestFile && fs.existsSync(jestFile)) {
  const jest = JSON.parse(fs.readFileSync(jestFile, 'utf8'));
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + (jest.numRuntimeErrorTestSuites ?? 0);
  skipped += jest.numPendingTests + jest.numTodoTests;
} else {
  failed += 1;
}
if (tapFile && fs.existsSync(tapFile)) {
  const tap = fs.readFileSync(tapFile, 'utf8');
  const count = name => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  skipped += count('skipped') + count('todo');
} else {
  failed += 1;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
