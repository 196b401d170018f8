// Where the libvirt corpus lives: ../shared/corpus beside the checkout, or $PCIPLAN_CORPUS. It is
// libvirt's data (LGPL) and stays out of this repository. Without it the corpus tests are skipped
// on a developer's machine and fail in CI.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS = resolve(process.env.PCIPLAN_CORPUS ?? join(REPO, '..', 'shared', 'corpus'));
export const HAVE_CORPUS = existsSync(join(CORPUS, 'libvirt', 'index.json'));
export const IN_CI = process.env.CI === 'true';

export interface PairInfo {
  name: string;
  arch: string;
  machine: string;
  machineFamily: string;
  devicesNeedingAddress: number;
  explicitPciAddressesIn: number;
  pciAddressesOut: number;
  controllersIn: number;
  controllersOut: number;
  addedControllerModels: Record<string, number>;
}

export function corpusIndex(): PairInfo[] {
  return (JSON.parse(readFileSync(join(CORPUS, 'libvirt', 'index.json'), 'utf8')) as { pairs: PairInfo[] }).pairs;
}

export function pairFile(name: string, file: 'input.xml' | 'expected.xml'): string {
  return join(CORPUS, 'libvirt', name, file);
}

export interface ErrorCase {
  name: string;
  input: string;
  libvirtError: string;
}

export function errorCases(): ErrorCase[] {
  const dir = join(CORPUS, 'libvirt-errors');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({
      name: e.name,
      input: join(dir, e.name, 'input.xml'),
      libvirtError: readFileSync(join(dir, e.name, 'libvirt-error.txt'), 'utf8').trim(),
    }));
}

/** describe.skipIf condition: skip without the corpus, except in CI where its absence must fail. */
export const skipCorpus = !HAVE_CORPUS && !IN_CI;
