/** Whether a process runs: asked of the system with signal 0 (a cluster's node id check, leftover rehearsal directories). */
import { processExists } from '../../../src/ops/processExists';

describe('processExists', () => {
  it("counts a process of another user as running (it exists, though it cannot be signalled)", () => {
    const kill = jest.spyOn(process, 'kill');
    try {
      kill.mockImplementation(() => {
        throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
      });
      expect(processExists(1234)).toBe(true);
      kill.mockImplementation(() => {
        throw Object.assign(new Error('no such process'), { code: 'ESRCH' });
      });
      expect(processExists(1234)).toBe(false);
    } finally {
      kill.mockRestore();
    }
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(4194305)).toBe(false);
  });
});
