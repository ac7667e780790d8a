// LanceDB runs its compute-heavy work (distance computations of a vector search, index training) on its
// own thread pool, sized once per process from LANCE_CPU_THREADS or else the core count minus two cores
// it reserves for I/O, and never fewer than one. On a 2-core machine that is one thread: a dedup's ANN
// search then uses half the machine while the other core idles (the data is on local disk, I/O is light).
// Setting the variable before LanceDB first computes anything gives the pool one thread per core.
import { availableParallelism } from 'node:os';

/**
 * Asks LanceDB for one compute thread per core unless the user chose a number (LANCE_CPU_THREADS). Only
 * effective before the process's first LanceDB search or index build (the pool is created then); later
 * calls change nothing. Returns the value in effect for pools created from now on.
 */
export function useAllCoresForLance(): number {
  const chosen = process.env.LANCE_CPU_THREADS;
  if (chosen !== undefined && chosen !== '') return Number(chosen);
  const cores = availableParallelism();
  process.env.LANCE_CPU_THREADS = String(cores);
  return cores;
}
