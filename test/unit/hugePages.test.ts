// The engine process's memory setting: huge pages asked for, a user's own tunables kept.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HUGE_PAGES_TUNABLE, withHugePages } from '../../src/engine/hugePages';

describe('withHugePages', () => {
  it('adds the tunable where none is set', () => {
    assert.equal(withHugePages({ PATH: '/bin' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
    assert.equal(withHugePages({ PATH: '/bin' }).PATH, '/bin');
  });
  it("appends it to the user's other tunables", () => {
    assert.equal(withHugePages({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`);
  });
  it('leaves a hugetlb setting of the user as it is (0 turns it off)', () => {
    assert.equal(withHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0');
  });
});
