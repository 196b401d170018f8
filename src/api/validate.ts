// validate(domain, options): the domain's PCI addresses and controllers against libvirt's and
// PCI's rules. A domain that breaks a rule is a report with valid: false, not an exception;
// only XML that cannot be read throws.
import { SCHEMA_VERSION } from '../schema/version.js';
import type { ValidateJson } from '../schema/index.js';
import type { Problem } from '../validate/problems.js';
import { validateDomain } from '../validate/validateDomain.js';
import { checkPolicy, domainOf, type DomainInput, type DomainOptions } from './options.js';

export type ValidateOptions = DomainOptions;

/** The fields of `pciplan validate --format json`; in TypeScript a problem's rule is one of today's rule ids. */
export type ValidateReport = Omit<ValidateJson, 'problems'> & { problems: Problem[] };

export function validate(domain: DomainInput, options: ValidateOptions = {}): ValidateReport {
  const { domain: d } = domainOf(domain, options);
  const result = validateDomain(d, checkPolicy(options.policy));
  return { schemaVersion: SCHEMA_VERSION, file: d.file, machine: d.machineName, family: d.machine.family, valid: result.valid, problems: result.problems };
}
