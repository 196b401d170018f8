import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The oracle suites share one libvirt root and spawn QEMU: two workers match the two cores.
    maxWorkers: 2,
  },
});
