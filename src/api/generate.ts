// generate(options): a reproducible test domain of a family and size (libvirt domain XML, hints
// in pciplan's metadata). Same options, same bytes.
import { generateDomain, type GeneratedDomain, type GenerateOptions } from '../generate/index.js';

export type { GenerateOptions };

/** The domain (`xml`) and what it holds; `expect` is set when counting alone proves no layout exists. */
export type GenerateReport = GeneratedDomain;

/** `machine` defaults to 'q35', `family` to 'mixed', `seed` to 1; `devices` is required. */
export function generate(options: Partial<GenerateOptions> & { devices: number }): GenerateReport {
  return generateDomain({ machine: 'q35', family: 'mixed', seed: 1, ...options });
}
