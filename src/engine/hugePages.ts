// Every inspection hands onnxruntime-node fresh output buffers of up to hundreds of MB, and in 4 KB
// pages each first touch is a page fault. glibc's malloc can ask the kernel for 2 MB pages for its
// large allocations (glibc ≥ 2.35 with transparent huge pages in `madvise` or `always` mode); the
// variable is ignored elsewhere. Measured in docs/benchmarks.md ("Changes").

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** `env` with the tunable added, unless it already sets glibc.malloc.hugetlb (to 0, say). */
export function withHugePages(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const current = env.GLIBC_TUNABLES;
  if (current?.includes('glibc.malloc.hugetlb')) return env;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}
