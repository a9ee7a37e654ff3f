import { sharedFor } from '../../../src/console/sharedFor';

describe('a result shared for a while', () => {
  it('is computed once per period however many ask, never twice at once, and not kept when it failed', async () => {
    let now = 0;
    let calls = 0;
    let finish: (v: number) => void = () => undefined;
    const slow = sharedFor(30_000, () => new Promise<number>((resolve) => { calls++; finish = resolve; }), () => now);
    const first = [slow(), slow()];
    // Still running after the period: no second computation starts.
    now = 60_000;
    first.push(slow());
    expect(calls).toBe(1);
    finish(7);
    expect(await Promise.all(first)).toEqual([7, 7, 7]);
    // The period counts from the start of the computation: the next call computes anew.
    void slow();
    expect(calls).toBe(2);
    finish(8);

    let failures = 0;
    const failing = sharedFor(30_000, async () => { failures++; throw new Error('database down'); }, () => now);
    await expect(failing()).rejects.toThrow('database down');
    await expect(failing()).rejects.toThrow('database down');
    expect(failures).toBe(2);
  });
});
