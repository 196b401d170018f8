// The subcommands, loaded on first use so that `pciplan validate` never pays for the solver.
export const subCommands = {
  validate: () => import('./validate.js').then((m) => m.default),
  assign: () => import('./assign.js').then((m) => m.default),
};
