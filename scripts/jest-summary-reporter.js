'use strict';
/**
 * Prints one closing line `N passed, N failed[, N skipped]` after Jest's own summary.
 * CI reads only that line; a suite that fails to load counts as one failure, so a
 * broken test file can never hide behind a green count.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const brokenSuites = results.testResults.filter(
      (suite) => suite.testExecError || (suite.failureMessage && suite.numFailingTests === 0),
    ).length;
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + brokenSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
module.exports = SummaryReporter;
